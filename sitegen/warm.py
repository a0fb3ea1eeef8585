"""MkDocs hooks that make a warm build fast: caches with honest keys.

Named in ``mkdocs.yml`` under ``hooks:`` after ``sitegen/hooks.py``. These parts
of a build give the same result for the same input every time and dominated a
warm rebuild (``DESIGN.md``, "Warm rebuild"), so their results are kept in
``.cache/warm/`` (or ``$DLREF_WARM_CACHE``) between builds:

- **API pages**: mkdocstrings collecting and rendering ``::: dlref.<module>``.
  The key holds the directive and its options, the page's URL, the theme
  language, every file of ``src/dlref`` (an object's page can show what it
  inherits or re-exports from another module), the two MkDocs configuration
  files (handler options, Markdown extensions), the templates under
  ``overrides/`` and the versions of every package that takes part. What is
  kept is what mkdocstrings' own code needs afterwards: the HTML, the headings
  it gives the table of contents, autorefs and the inventory, and each
  heading's aliases.
- **Highlighted code**: Pygments' HTML for each code block, keyed on the
  code, the highlighter's settings and the versions.
- **Rendered pages**: MkDocs converting a page's Markdown to HTML (its
  ``Page.render``), the largest part of a warm build. The key holds the
  page's Markdown as the build hands it over (after the execution hooks), its
  source path and URL, the configuration files, the site address and the
  versions; for an API page also everything the API-page key holds. Links
  are resolved against the other files of the site, so every lookup the render
  made is kept with its answer and the entry serves only while each lookup
  still gets the same answer (a page that disappears or moves invalidates the
  pages that link to it, and only those). Rendering also tells two plugins
  about the page's headings (autorefs anchors, mkdocstrings' inventory); those
  calls are recorded and replayed. A render that logs anything at INFO or
  above is not kept, so its messages (and strict mode's count of warnings)
  come back on every build.
- **Compiled templates**: Jinja compiling the theme's templates to Python on
  every build; its own bytecode cache keeps the result, keyed on each
  template's source (``.cache/warm/jinja/``).
- **Search entries**: Material's search plugin parsing a page's HTML into
  sections and, on the Chinese site, segmenting Chinese with jieba. The key
  holds the page's HTML, URL, title, metadata and table of contents, whether
  segmentation is on and the versions of Material, jieba and backrefs.

The English site does not segment Chinese (the few Chinese words on English
pages are indexed as typed), so the English build never loads jieba's
dictionary. Each build rewrites its cache files with the entries it used, so
stale entries do not pile up. ``KEY_VERSION`` is bumped when what is stored
changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # type: ignore[import-untyped]
from mkdocs.config.defaults import MkDocsConfig

from sitegen import execute as ex
from sitegen import memo

KEY_VERSION = "2"
WARM = Path(os.environ.get("DLREF_WARM_CACHE") or ex.REPO / ".cache" / "warm")
PACKAGES = (
    "mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python", "griffe",
    "mkdocs-autorefs", "Markdown", "pymdown-extensions", "Pygments", "jieba", "backrefs",
)  # fmt: skip


class _Store:
    """One JSON file of cached results; only the entries this build used are written back."""

    def __init__(self, name: str) -> None:
        self.name = name.rsplit("-", 1)[0]  # "api-en" -> "api", its name in _stores
        self.path = WARM / f"{name}.json"
        self.old = memo.read_entries(self.path)
        self.used: dict[str, Any] = {}
        self.hits = self.misses = 0

    def get(self, key: str, accept: Callable[[Any], bool] | None = None) -> Any:
        """The entry for ``key``, or None; ``accept`` can still turn an entry down."""
        value = self.used.get(key, self.old.get(key))
        if value is not None and accept is not None and not accept(value):
            value = None
        if value is not None:
            self.used[key] = value
            self.hits += 1
        else:
            self.misses += 1
        if _recording:  # a render that reuses this entry keeps it alive when it is replayed
            _recording[-1].uses.append([self.name, key])
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def keep(self, key: str) -> None:
        """Write ``key`` back at the end of this build, as if it had been used."""
        if key not in self.used and key in self.old:
            self.used[key] = self.old[key]

    def save(self) -> None:
        memo.write_entries(self.path, self.used)


_stores: dict[str, _Store] = {}


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


@cache
def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return " ".join(found)


def _tree_digest(root: Path, skip: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(ex.REPO).as_posix()
        if path.is_file() and not rel.startswith(skip) and "__pycache__" not in rel:
            digest.update(rel.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _inputs_digest(config: MkDocsConfig) -> str:
    """Everything outside a page that can change an API page's HTML."""
    configs = [
        Path(config.config_file_path or "mkdocs.yml"),
        ex.REPO / "mkdocs.yml",
        ex.REPO / "mkdocs.zh.yml",
    ]
    return _digest(
        KEY_VERSION,
        _versions(),
        _tree_digest(ex.LIBRARY),
        _tree_digest(ex.REPO / "overrides", skip=("overrides/assets",)),
        [p.read_text(encoding="utf-8") for p in configs if p.is_file()],
    )


# --- API pages (mkdocstrings) -----------------------------------------------------


def _heading_data(el: Element) -> list[Any]:
    return [el.tag, dict(el.attrib), el.text]


def _heading(data: list[Any]) -> Element:
    el = Element(data[0], data[1])
    el.text = data[2]
    return el


def _install_api_cache(store: _Store, inputs: str, lang: str) -> None:
    from mkdocstrings._internal.extension import AutoDocProcessor

    original = getattr(
        AutoDocProcessor._process_block, "__wrapped__", AutoDocProcessor._process_block
    )

    def process_block(
        self: Any, identifier: str, yaml_block: str, heading_level: int = 0
    ) -> tuple[str, Any, Any]:
        page = self._autorefs.current_page
        key = _digest(
            identifier, yaml_block, heading_level, getattr(page, "url", None), lang, inputs
        )
        hit = store.get(key)
        if hit is None:
            html, handler, data = original(self, identifier, yaml_block, heading_level)
            headings = list(handler._headings)  # what get_headings() hands to mkdocstrings next
            aliases = {h.get("id"): list(handler.get_aliases(h.get("id"))) for h in headings}
            store.put(key, {"html": html, "headings": [_heading_data(h) for h in headings],
                            "aliases": aliases})  # fmt: skip
            return html, handler, data
        local_config = yaml.safe_load(yaml_block) or {}
        handler = self._handlers.get_handler(self._handlers.get_handler_name(local_config))
        handler._headings.extend(_heading(h) for h in hit["headings"])
        known: dict[str, list[str]] = hit["aliases"]
        get_aliases = handler.get_aliases
        if not getattr(get_aliases, "dlref_cached", False):

            def cached_aliases(identifier: str, _get: Callable[[str], Any] = get_aliases) -> Any:
                extra = getattr(handler, "dlref_aliases", {})
                return tuple(extra[identifier]) if identifier in extra else _get(identifier)

            cached_aliases.dlref_cached = True  # type: ignore[attr-defined]
            handler.get_aliases = cached_aliases
            handler.dlref_aliases = {}
        handler.dlref_aliases.update(known)
        return hit["html"], handler, None

    process_block.__wrapped__ = original  # type: ignore[attr-defined]
    AutoDocProcessor._process_block = process_block  # type: ignore[method-assign]


# --- rendered pages (MkDocs' Page.render: Markdown to HTML) --------------------------


class _Recording(logging.Handler):
    """What one page's render did besides returning HTML: messages, lookups, plugin calls."""

    def __init__(self, page: Any) -> None:
        super().__init__(logging.INFO)
        self.page = page
        self.messages = 0
        self.lookups: dict[str, Any] = {}  # path -> [src_uri, url, excluded] or None
        self.calls: list[list[Any]] = []  # ["anchor", args] / ["inventory", kwargs]
        self.uses: list[list[str]] = []  # [store, key]: entries of the other caches it used
        self.cacheable = True

    def emit(self, record: logging.LogRecord) -> None:
        self.messages += 1


_recording: list[_Recording] = []  # the render in progress, if any


def _lookup_answer(file: Any) -> list[Any] | None:
    return None if file is None else [file.src_uri, file.url, file.inclusion.is_excluded()]


def _toc_items(items: Any) -> list[Any]:
    return [[i.title, i.id, i.level, bool(getattr(i, "active", False)), _toc_items(i.children)]
            for i in items]  # fmt: skip


def _toc_from(data: list[Any]) -> list[Any]:
    from mkdocs.structure.toc import AnchorLink

    items = []
    for title, anchor, level, active, children in data:
        item = AnchorLink(title, anchor, level)
        if active:
            item.active = True  # type: ignore[attr-defined]
        item.children = _toc_from(children)
        items.append(item)
    return items


def _record_plugin_calls() -> None:
    """Wrap the two plugin methods a render calls, so that a render can record them."""
    from mkdocs_autorefs import AutorefsPlugin
    from mkdocstrings import Inventory

    register_anchor = getattr(
        AutorefsPlugin.register_anchor, "__wrapped__", AutorefsPlugin.register_anchor
    )
    register = getattr(Inventory.register, "__wrapped__", Inventory.register)

    def anchor(self: Any, page: Any, identifier: str, anchor: str | None = None, *,
               title: str | None = None, primary: bool = True) -> None:  # fmt: skip
        if _recording:
            if page is _recording[-1].page:
                _recording[-1].calls.append(["anchor", [identifier, anchor, title, primary]])
            else:
                _recording[-1].cacheable = False  # about another page: not ours to replay
        register_anchor(self, page, identifier, anchor, title=title, primary=primary)

    def inventory(self: Any, *args: Any, **kwargs: Any) -> None:
        if _recording:
            names = ("name", "domain", "role", "uri", "priority", "dispname")
            _recording[-1].calls.append(
                ["inventory", {**dict(zip(names, args, strict=False)), **kwargs}]
            )
        register(self, *args, **kwargs)

    anchor.__wrapped__ = register_anchor  # type: ignore[attr-defined]
    inventory.__wrapped__ = register  # type: ignore[attr-defined]
    AutorefsPlugin.register_anchor = anchor  # type: ignore[method-assign]
    Inventory.register = inventory  # type: ignore[method-assign]


def _install_render_cache(store: _Store, config: MkDocsConfig, api_inputs: str) -> None:
    from mkdocs.structure import pages

    _record_plugin_calls()
    original = getattr(pages.Page.render, "__wrapped__", pages.Page.render)
    configs = [ex.REPO / "mkdocs.yml", ex.REPO / "mkdocs.zh.yml"]
    site = _digest(KEY_VERSION, _versions(), str(config.config_file_path), str(config.site_url),
                   [p.read_text(encoding="utf-8") for p in configs])  # fmt: skip
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]

    def render(self: Any, config: MkDocsConfig, files: Any) -> None:
        text = self.markdown or ""
        inputs = api_inputs if "\n::: " in f"\n{text}" else ""
        key = _digest(site, inputs, self.file.src_uri, self.url, text)
        hit = store.get(key, accept=lambda hit: all(
            _lookup_answer(files.get_file_from_path(path)) == answer
            for path, answer in hit["lookups"].items()
        ))  # fmt: skip
        if hit is not None:
            _replay(self, config, files, hit)
            return
        recording = _Recording(self)
        get_file = files.get_file_from_path

        def lookup(path: str) -> Any:
            found = get_file(path)
            recording.lookups[path] = _lookup_answer(found)
            return found

        files.get_file_from_path = lookup
        _recording.append(recording)
        for logger in loggers:
            logger.addHandler(recording)
        try:
            original(self, config, files)
        finally:
            for logger in loggers:
                logger.removeHandler(recording)
            _recording.pop()
            del files.get_file_from_path
        if recording.messages or not recording.cacheable:
            return
        links = self.links_to_anchors
        store.put(key, {
            "content": self.content,
            "toc": _toc_items(self.toc),
            "title": self._title_from_render,
            "anchors": sorted(self.present_anchor_ids or ()),
            "links": None if links is None else {f.src_uri: v for f, v in links.items()},
            "lookups": recording.lookups,
            "calls": recording.calls,
            "uses": recording.uses,
        })  # fmt: skip

    render.__wrapped__ = original  # type: ignore[attr-defined]
    pages.Page.render = render  # type: ignore[method-assign]


def _replay(page: Any, config: MkDocsConfig, files: Any, hit: dict[str, Any]) -> None:
    """Leave ``page`` as ``Page.render`` left it when ``hit`` was recorded."""
    from mkdocs.structure.toc import TableOfContents

    page.content = hit["content"]
    page.toc = TableOfContents(_toc_from(hit["toc"]))
    page._title_from_render = hit["title"]
    page.present_anchor_ids = set(hit["anchors"])
    if hit["links"] is not None:
        page.links_to_anchors = {
            files.get_file_from_path(uri): links for uri, links in hit["links"].items()
        }
    plugins: Any = config.plugins
    for kind, args in hit["calls"]:
        if kind == "anchor":
            identifier, anchor, title, primary = args
            plugins["autorefs"].register_anchor(
                page, identifier, anchor, title=title, primary=primary
            )
        else:
            plugins["mkdocstrings"].handlers.inventory.register(**args)
    for name, key in hit["uses"]:  # kept for when this page is next rendered for real
        _stores[name].keep(key)


# --- search entries (Material) ----------------------------------------------------


def _toc_data(items: Any) -> list[Any]:
    return [[item.id, item.url, _toc_data(item.children)] for item in items]


def _install_search_cache(store: _Store, segment: bool) -> None:
    from material.plugins.search import plugin as search  # type: ignore[import-untyped]

    jieba = sys.modules.get("jieba") or getattr(search, "jieba", None)
    search.jieba = jieba if segment else None
    index = search.SearchIndex
    original = getattr(index.add_entry_from_context, "__wrapped__", index.add_entry_from_context)

    def add_entry_from_context(self: Any, page: Any) -> None:
        meta = {k: page.meta.get(k) for k in ("search", "tags", "title")}
        key = _digest(KEY_VERSION, _versions(), segment, page.url, page.title, meta,
                      _toc_data(page.toc), page.content)  # fmt: skip
        hit = store.get(key)
        if hit is None:
            before = len(self.entries)
            original(self, page)
            store.put(key, self.entries[before:])
        else:
            self.entries.extend(json.loads(json.dumps(hit)))

    add_entry_from_context.__wrapped__ = original  # type: ignore[attr-defined]
    index.add_entry_from_context = add_entry_from_context


# --- code highlighting (Pygments, through pymdownx) -------------------------------


def _install_highlight_cache(store: _Store) -> None:
    from pymdownx.highlight import Highlight  # type: ignore[import-untyped]

    original = getattr(Highlight.highlight, "__wrapped__", Highlight.highlight)

    def highlight(self: Any, *args: Any, **kwargs: Any) -> Any:
        settings = {k: v for k, v in vars(self).items() if k != "md"}
        key = _digest(KEY_VERSION, _versions(), settings, args, kwargs)
        hit = store.get(key)
        if hit is None:
            hit = original(self, *args, **kwargs)
            store.put(key, str(hit))
        return hit

    highlight.__wrapped__ = original  # type: ignore[attr-defined]
    Highlight.highlight = highlight


# --- hooks -------------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    lang = str(config.theme["language"])
    _stores.clear()
    api = _stores["api"] = _Store(f"api-{lang}")
    search = _stores["search"] = _Store(f"search-{lang}")
    highlight = _stores["highlight"] = _Store(f"highlight-{lang}")
    rendered = _stores["render"] = _Store(f"render-{lang}")
    inputs = _inputs_digest(config)
    _install_api_cache(api, inputs, lang)
    _install_render_cache(rendered, config, inputs)
    _install_search_cache(search, segment=lang == "zh")
    _install_highlight_cache(highlight)
    return config


def on_env(env: Any, config: MkDocsConfig, files: Any) -> Any:
    import jinja2

    (WARM / "jinja").mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(WARM / "jinja"))
    return env


def on_post_build(config: MkDocsConfig) -> None:
    for store in _stores.values():
        store.save()
    if os.environ.get("DLREF_WARM_STATS"):
        stats = ", ".join(f"{n} {s.hits} hits {s.misses} misses" for n, s in _stores.items())
        print(f"warm cache ({config.theme['language']}): {stats}", file=sys.stderr)

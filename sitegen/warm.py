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

KEY_VERSION = "1"
WARM = Path(os.environ.get("DLREF_WARM_CACHE") or ex.REPO / ".cache" / "warm")
PACKAGES = (
    "mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python", "griffe",
    "mkdocs-autorefs", "Markdown", "pymdown-extensions", "Pygments", "jieba", "backrefs",
)  # fmt: skip


class _Store:
    """One JSON file of cached results; only the entries this build used are written back."""

    def __init__(self, name: str) -> None:
        self.path = WARM / f"{name}.json"
        try:
            self.old: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.old = {}
        self.used: dict[str, Any] = {}
        self.hits = self.misses = 0

    def get(self, key: str) -> Any:
        value = self.used.get(key, self.old.get(key))
        if value is not None:
            self.used[key] = value
            self.hits += 1
        else:
            self.misses += 1
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self) -> None:
        WARM.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(self.used, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)


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
    _install_api_cache(api, _inputs_digest(config), lang)
    _install_search_cache(search, segment=lang == "zh")
    _install_highlight_cache(highlight)
    return config


def on_post_build(config: MkDocsConfig) -> None:
    for store in _stores.values():
        store.save()
    if os.environ.get("DLREF_WARM_STATS"):
        stats = ", ".join(f"{n} {s.hits} hits {s.misses} misses" for n, s in _stores.items())
        print(f"warm cache ({config.theme['language']}): {stats}", file=sys.stderr)

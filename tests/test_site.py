"""The built site (site/): links, anchors, languages, offline, figures, notebooks, report."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from html.parser import HTMLParser
from typing import ClassVar

import nbformat
import pytest

from sitegen import apilinks
from sitegen import execute as ex
from tests.sitecheck import SITE, html_files, is_external, parse, resolve
from tests.test_sources import eaten_commands

pytestmark = pytest.mark.site

# Issue 6: a page's HTML, figures aside, stays under 100 KB. A page that grows
# past it is split (the API reference is one page per module) or moves helper
# code into the library.
MAX_PAGE_BYTES = 100_000


@pytest.fixture(scope="module", autouse=True)
def built_site() -> None:
    if not (SITE / "index.html").exists() or not (SITE / "zh" / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first")


def test_every_internal_link_and_anchor_resolves() -> None:
    broken = []
    for page in html_files():
        for href in parse(page).anchors:
            if is_external(href) or href.startswith(("mailto:", "javascript:")):
                continue
            target, fragment = resolve(page, href)
            assert target is not None
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)}: {href} (no {target.relative_to(SITE)})")
            elif fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                broken.append(f"{page.relative_to(SITE)}: {href} (no #{fragment})")
    assert not broken, "broken links:\n" + "\n".join(broken[:40])


def test_nothing_is_requested_from_another_host() -> None:
    for page in html_files():
        for src in parse(page).resources:
            assert not is_external(src), f"{page.relative_to(SITE)} loads {src}"
            target, _ = resolve(page, src)
            assert target is not None and target.exists(), f"{page.relative_to(SITE)}: {src}"


def test_every_page_declares_its_language() -> None:
    for page in html_files():
        expected = "zh" if page.relative_to(SITE).parts[0] == "zh" else "en"
        assert parse(page).lang == expected, page.relative_to(SITE)


def test_every_figure_has_alt_text() -> None:
    for page in html_files():
        for src, alt in parse(page).images:
            assert alt and alt.strip(), f"{page.relative_to(SITE)}: <img src={src}> has no alt"


def test_language_switcher_stays_on_the_same_page() -> None:
    checked = 0
    for page in html_files():
        rel = page.relative_to(SITE)
        if rel.name == "404.html":
            continue
        in_zh = rel.parts[0] == "zh"
        same = rel.relative_to("zh") if in_zh else rel
        switcher = parse(page).switcher
        assert set(switcher) == {"en", "zh"}, rel
        for lang, href in switcher.items():
            target, _ = resolve(page, href)
            expected = SITE / same if lang == "en" else SITE / "zh" / same
            assert target == expected, f"{rel}: {lang} link {href} -> {target}"
        checked += 1
    assert checked >= 4


def test_every_page_is_light() -> None:
    sizes = {p.relative_to(SITE).as_posix(): p.stat().st_size for p in html_files()}
    heavy = {page: size for page, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not heavy, f"pages over {MAX_PAGE_BYTES} bytes of HTML: {heavy}"
    assert len(sizes) > 2 * len(ex.pages("en"))  # chapters, API pages and the rest, both languages


@pytest.mark.parametrize("lang", ex.LANGS)
def test_every_public_function_has_its_entry_on_its_module_page(lang: str) -> None:
    root = SITE if lang == "en" else SITE / "zh"
    missing = []
    for module in apilinks.public_modules():
        page = root / "api" / module / "index.html"
        assert page.exists(), f"no API page for dlref.{module} in {lang}"
        ids = parse(page).ids
        library = importlib.import_module(f"dlref.{module}")
        for name, obj in vars(library).items():
            documented = (inspect.isfunction(obj) or inspect.isclass(obj)) and inspect.getdoc(obj)
            if name.startswith("_") or not documented or obj.__module__ != library.__name__:
                continue
            if f"{library.__name__}.{name}" not in ids:
                missing.append(f"{library.__name__}.{name}")
    assert not missing, f"{lang}: not rendered on their API page: {missing}"


def test_verification_report_covers_every_page_in_both_languages() -> None:
    report = json.loads((SITE / "verification.json").read_text(encoding="utf-8"))
    assert report["torch"] and report["device"]
    listed = {(p["lang"], p["page"]) for p in report["pages"]}
    expected = {(lang, ex.slug_of(path)) for lang in ex.LANGS for path in ex.pages(lang)}
    assert listed == expected
    for entry in report["pages"]:
        where = f"{entry['lang']}/{entry['page']}"
        assert entry["status"] == "verified" and entry["failed"] == 0, where
        assert entry["checks"] >= 3, f"{where} verifies only {entry['checks']} claims"
        assert isinstance(entry["seconds"], float), where


def test_downloadable_notebooks_are_the_executed_pages() -> None:
    for lang in ex.LANGS:
        root = SITE if lang == "en" else SITE / "zh"
        for path in ex.pages(lang):
            file = root / "notebooks" / f"{ex.slug_of(path)}.ipynb"
            notebook = nbformat.read(file, as_version=4)
            nbformat.validate(notebook)
            source = ex.read_notebook(path)
            assert source is not None
            expected = [c.source for c in source.cells if c.cell_type == "code"]
            code = [c for c in notebook.cells if c.cell_type == "code"]
            assert [c.source for c in code] == expected, file
            assert all(o.output_type != "error" for c in code for o in c.outputs), file
            assert any(c.outputs for c in code), f"{file} was never executed"


# An object's default repr carries its memory address, which changes from run to run:
# output that shows one is not the same in two builds, and tells a reader nothing.
MEMORY_ADDRESS = re.compile(r"<[^<>\n]* (?:object )?at 0x[0-9a-fA-F]{4,}>")


def test_no_output_shows_a_memory_address() -> None:
    assert MEMORY_ADDRESS.search("<torch._C.Generator at 0x7f0ea8582f70>")
    assert MEMORY_ADDRESS.search("<__main__.A object at 0x10a2b3c40>")
    found = []
    for lang in ex.LANGS:
        root = SITE if lang == "en" else SITE / "zh"
        for path in ex.pages(lang):
            notebook = nbformat.read(root / "notebooks" / f"{ex.slug_of(path)}.ipynb", as_version=4)
            for number, cell in enumerate(notebook.cells):
                for output in cell.get("outputs", []):
                    text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
                    if hit := MEMORY_ADDRESS.search(text):
                        found.append(f"{lang}/{ex.slug_of(path)}, cell {number}: {hit.group()}")
    assert not found, "outputs that differ from build to build:\n" + "\n".join(found)


def test_search_indexes_exist_and_chinese_is_segmented() -> None:
    en = json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))
    zh = json.loads((SITE / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert en["config"]["lang"] == ["en"] and zh["config"]["lang"] == ["zh"]
    separator = zh["config"]["separator"]  # a regular expression: "\\u200b" or the character
    assert "\\u200b" in separator or "\u200b" in separator
    assert any("\u200b" in doc["text"] for doc in zh["docs"]), "jieba did not segment Chinese"


def test_chapter_stamp_and_math_markup_present() -> None:
    for lang in ex.LANGS:
        root = SITE if lang == "en" else SITE / "zh"
        for path in ex.pages(lang):
            html = (root / ex.slug_of(path) / "index.html").read_text(encoding="utf-8")
            assert 'class="dlref-stamp"' in html, f"{lang}/{ex.slug_of(path)} has no stamp"


class _MathAndText(HTMLParser):
    """Rendered text outside code, and the TeX that arithmatex marked for KaTeX."""

    SKIP: ClassVar[frozenset[str]] = frozenset({"code", "pre", "script", "style", "kbd", "samp"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tex: list[str] = []
        self._skip = 0
        self._math = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr", "input", "meta", "link", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self._stack.append("math" if "arithmatex" in classes else tag)
        if tag in self.SKIP:
            self._skip += 1
        if "arithmatex" in classes:
            self._math += 1
            self.tex.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "hr", "input", "meta", "link", "wbr") or not self._stack:
            return
        top = self._stack.pop()
        if top in self.SKIP:
            self._skip -= 1
        elif top == "math":
            self._math -= 1

    def handle_data(self, data: str) -> None:
        if self._math:
            self.tex[-1] += data
        elif not self._skip:
            self.text.append(data)


def _math_and_text(page: object) -> _MathAndText:
    parser = _MathAndText()
    parser.feed(page.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    return parser


def test_no_dollar_sign_reaches_the_rendered_text() -> None:
    """A `$` outside code is math that arithmatex did not pick up: the reader sees raw TeX."""
    bad = []
    for page in html_files():
        text = " ".join(_math_and_text(page).text)
        for m in re.finditer(r"\$", text):
            bad.append(f"{page.relative_to(SITE)}: …{text[max(0, m.start() - 40) : m.end() + 40]}…")
    assert not bad, "unrendered maths:\n" + "\n".join(bad[:20])


def test_no_rendered_tex_command_lost_its_backslash() -> None:
    bad = []
    for page in html_files():
        for tex in _math_and_text(page).tex:
            if words := eaten_commands(tex):
                bad.append(f"{page.relative_to(SITE)}: {words} in {tex.strip()[:80]}")
    assert not bad, "TeX commands without their backslash:\n" + "\n".join(bad[:20])

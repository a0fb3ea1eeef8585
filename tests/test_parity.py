"""English and Chinese pages: same files, same code in the same order, same sections.

Only comments and the contents of string literals may differ between the two
languages' code, so both run the same computation; the prose is free.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from sitegen import execute as ex

EN, ZH = ex.DOCS / "en", ex.DOCS / "zh"
_STRING_PARTS = {tokenize.STRING} | {
    getattr(tokenize, name) for name in ("FSTRING_MIDDLE",) if hasattr(tokenize, name)
}
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}  # fmt: skip


def code_shape(source: str) -> list[str]:
    """The code's tokens with comments dropped and string contents blanked."""
    shape = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _SKIP:
            continue
        shape.append("<str>" if token.type in _STRING_PARTS else token.string)
    return shape


def _pages(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.md")}


def test_same_page_files_in_both_languages() -> None:
    only_en = sorted(_pages(EN) - _pages(ZH))
    only_zh = sorted(_pages(ZH) - _pages(EN))
    assert not only_en and not only_zh, f"only in en: {only_en}; only in zh: {only_zh}"


PAGES = sorted(_pages(EN) & _pages(ZH))


def _code_cells(path: Path) -> list[str]:
    notebook = ex.read_notebook(path)
    if notebook is None:
        return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)
    return [c.source for c in notebook.cells if c.cell_type == "code"]


@pytest.mark.parametrize("page", PAGES)
def test_same_code_in_the_same_order(page: str) -> None:
    en, zh = _code_cells(EN / page), _code_cells(ZH / page)
    assert len(en) == len(zh), f"{page}: {len(en)} code cells in en, {len(zh)} in zh"
    for i, (a, b) in enumerate(zip(en, zh, strict=True), start=1):
        assert code_shape(a) == code_shape(b), (
            f"{page}: code cell {i} differs beyond comments/strings"
        )


@pytest.mark.parametrize("page", PAGES)
def test_same_section_structure(page: str) -> None:
    def levels(path: Path) -> list[int]:
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
        return [len(m) for m in re.findall(r"^(#{1,3}) ", text, re.M)]

    assert levels(EN / page) == levels(ZH / page), f"{page}: heading levels differ"


def test_notebook_pages_are_notebooks_in_both_languages() -> None:
    for page in PAGES:
        assert ex.is_notebook_page(EN / page) == ex.is_notebook_page(ZH / page), page


def test_code_shape_ignores_only_comments_and_strings() -> None:
    assert code_shape('x = f(1)  # one\nprint("a")') == code_shape('x = f(1)  # 一\nprint("甲")')
    assert code_shape("x = f(1)") != code_shape("x = f(2)")

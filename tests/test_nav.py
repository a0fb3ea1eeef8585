"""Every page is in its language's navigation, in the same order in both languages."""

from __future__ import annotations

import re

from sitegen import execute as ex


def nav_pages(config: str) -> list[str]:
    text = (ex.REPO / config).read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"^\s+- (?:[^:\n]+: )?([\w./-]+\.md)$", nav, re.M)


def test_nav_lists_every_page_once_in_the_same_order() -> None:
    en, zh = nav_pages("mkdocs.yml"), nav_pages("mkdocs.zh.yml")
    assert en == zh
    assert len(en) == len(set(en))
    assert set(en) == {p.name for p in (ex.DOCS / "en").glob("*.md")}

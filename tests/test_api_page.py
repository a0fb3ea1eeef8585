"""The API index links every public module's page, once, in both languages."""

from __future__ import annotations

import re

import pytest

from sitegen import apilinks
from sitegen import execute as ex


@pytest.mark.parametrize("lang", ex.LANGS)
def test_api_index_links_every_public_module_once(lang: str) -> None:
    text = (ex.DOCS / lang / "api.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(api/(\w+)\.md\)", text)
    modules = {p.stem for p in ex.LIBRARY.glob("*.py") if not p.stem.startswith("_")}
    assert sorted(linked) == sorted(set(linked)), f"docs/{lang}/api.md links a module twice"
    assert modules - set(linked) == set(), f"missing from docs/{lang}/api.md"
    assert set(linked) - modules == set(), f"docs/{lang}/api.md links modules that do not exist"


def test_links_point_at_the_module_that_defines_the_object() -> None:
    code = "from dlref import check, plot\nfrom dlref.conv import summary\nplot.figure()\n"
    idents = apilinks.used_objects(code)
    assert idents == ["dlref.checks.check", "dlref.conv.summary", "dlref.plot.figure"]
    assert [apilinks.page_of(i) for i in idents] == ["api/checks.md", "api/conv.md", "api/plot.md"]

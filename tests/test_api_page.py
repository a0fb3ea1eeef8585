"""The API page documents every public module of the library, in both languages."""

from __future__ import annotations

import re

import pytest

from sitegen import execute as ex


@pytest.mark.parametrize("lang", ex.LANGS)
def test_every_public_module_is_on_the_api_page(lang: str) -> None:
    documented = set(
        re.findall(r"^::: dlref\.(\w+)", (ex.DOCS / lang / "api.md").read_text(), re.M)
    )
    modules = {p.stem for p in ex.LIBRARY.glob("*.py") if not p.stem.startswith("_")}
    assert modules - documented == set(), f"missing from docs/{lang}/api.md"
    assert documented - modules == set(), f"docs/{lang}/api.md names modules that do not exist"

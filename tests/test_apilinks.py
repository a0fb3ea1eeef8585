"""The "library functions used" scan reads the library without importing it: same answer."""

from __future__ import annotations

import importlib
import inspect

import pytest

from sitegen import apilinks, pagesource
from sitegen import execute as ex


def _by_import(module: str, name: str) -> str | None:
    """What the scan must find, by importing: the id mkdocstrings gives ``module.name``."""
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not obj.__doc__:
        return None
    home = obj.__module__.removeprefix("dlref.")
    if name.startswith("_") or home not in apilinks.public_modules():
        return None
    return f"{obj.__module__}.{obj.__name__}"


def _every_name() -> list[tuple[str, str]]:
    names = [("dlref", n) for n in vars(importlib.import_module("dlref"))]
    for module in apilinks.public_modules():
        names += [(f"dlref.{module}", n) for n in vars(importlib.import_module(f"dlref.{module}"))]
    return names


def test_reading_the_source_agrees_with_importing_for_every_library_name() -> None:
    wrong = [
        f"{module}.{name}: read {apilinks._documented(module, name)}, imported {expected}"
        for module, name in _every_name()
        if (expected := _by_import(module, name)) != apilinks._documented(module, name)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", ex.LANGS)
def test_every_page_links_the_functions_it_uses(lang: str) -> None:
    for path in ex.pages(lang):
        code = "\n".join(s for _, s in pagesource.code_cells(path.read_text(encoding="utf-8")))
        for ident in apilinks.used_objects(code):
            module, name = ident.rsplit(".", 1)
            assert _by_import(module, name) == ident, f"{path.name}: {ident}"


def test_a_re_export_resolves_to_its_home_and_undocumented_code_is_skipped() -> None:
    code = "from dlref import check\nfrom dlref import plot\nplot.figure()\nplot.nothing()\n"
    assert apilinks.used_objects(code) == ["dlref.checks.check", "dlref.plot.figure"]

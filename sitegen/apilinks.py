"""Which library functions and classes a page uses, as links into the API page.

Read from the page's own code: ``from dlref.conv import summary`` and
``from dlref import plot`` followed by ``plot.figure(...)`` both count. Only
public functions and classes defined in a module that the API page documents
(with a docstring, so mkdocstrings renders them) become links; their anchors
are mkdocstrings' ids, e.g. ``api.md#dlref.conv.summary``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache

from sitegen import execute as ex


@cache
def documented_modules() -> frozenset[str]:
    text = (ex.DOCS / "en" / "api.md").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^::: (dlref\.\w+)", text, re.M))


@cache
def _documented(module: str, name: str) -> str | None:
    """The mkdocstrings id of ``module.name`` if the API page shows it."""
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not inspect.getdoc(obj):
        return None
    home = obj.__module__
    if name.startswith("_") or home not in documented_modules():
        return None
    return f"{home}.{obj.__name__}"


def used_objects(code: str) -> list[str]:
    """Ids of documented dlref functions and classes that ``code`` uses, in first-use order."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    modules: dict[str, str] = {}  # local name -> dlref module
    found: list[str] = []

    def add(module: str, name: str) -> None:
        ident = _documented(module, name)
        if ident and ident not in found:
            found.append(ident)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dlref"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if ex._module_file(submodule) is not None:
                    modules[alias.asname or alias.name] = submodule
                else:
                    add(node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dlref.") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            add(modules[node.value.id], node.attr)
    return found

"""Every public function and class of dlref shows an example that `make doctest` runs."""

from __future__ import annotations

import importlib
import re

import pytest

from sitegen import apilinks, docexamples

SHOWS = re.compile(r"\bassert\b|\bprint\(|\bcheck(_close)?\(")


@pytest.mark.parametrize("module", apilinks.public_modules())
def test_every_public_name_has_an_example(module: str) -> None:
    mod = importlib.import_module(f"dlref.{module}")
    names = docexamples.public_names(module)
    missing = [n for n in names if not docexamples.python_fences(getattr(mod, n))]
    assert missing == [], (
        f"dlref.{module}: no ```python fence under 'Examples:' in the docstring of {missing}"
    )
    silent = [
        n
        for n in names
        if not any(SHOWS.search(code) for code in docexamples.python_fences(getattr(mod, n)))
    ]
    assert silent == [], f"dlref.{module}: the example of {silent} neither asserts nor prints"


def test_a_fence_indented_under_examples_is_collected() -> None:
    def documented() -> None:
        """Do nothing.

        Examples:
            ```python
            assert documented is not None
            ```
        """

    def prose_only() -> None:
        """Do nothing.

        Examples:
            Call it.
        """

    assert docexamples.python_fences(documented) == ["assert documented is not None\n"]
    assert docexamples.python_fences(prose_only) == []


def test_public_names_follow_all_and_the_defining_module() -> None:
    names = docexamples.public_names("data")
    assert set(names) == set(importlib.import_module("dlref.data").__all__)
    graphs = docexamples.public_names("graphs")
    assert "draw_value_graph" in graphs
    assert "Value" not in graphs  # imported from dlref.autograd, documented there

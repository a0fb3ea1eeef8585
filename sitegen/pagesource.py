"""What a page's Markdown source holds, read without Jupyter.

Whether a page is a notebook and what its code cells are, by a regular
expression over the fences pages use (```` ```python ```` at the start of a
line). It is fast: the cache key of every page is computed several times per
build. ``tests/test_sitegen.py`` checks that it agrees with jupytext on every
page of the site.
"""

from __future__ import annotations

import re

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def is_notebook_page(text: str) -> bool:
    """True for a jupytext Markdown notebook with a Python kernelspec in its front matter."""
    front = text.split("\n---", 1)[0] if text.startswith("---") else ""
    return "kernelspec:" in front and "language: python" in front


def code_cells(text: str) -> list[tuple[int, str]]:
    """(first line, source) of each code cell, in order; lines count from 1."""
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1).rstrip("\n"))
        for match in FENCE.finditer(text)
    ]

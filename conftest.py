"""Settings for ``pytest --markdown-docs`` (``make doctest``): the docstring examples.

The library's tests have their own ``tests/conftest.py``; this file only tells
pytest-markdown-docs how to find the fences under a Google-style ``Examples:``
heading (see ``sitegen/docexamples.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


# optionalhook: the library's own tests still run where the plugin is not installed
@pytest.hookimpl(optionalhook=True)
def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    """Read docstrings and Markdown files with the ``Examples:`` section unindented."""
    from sitegen import docexamples  # imported only when the plugin asks

    return docexamples.parser()

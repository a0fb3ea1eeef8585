"""The examples in the library's docstrings, as pytest-markdown-docs reads them.

Every public function and class of ``dlref`` shows an example in its docstring,
under a Google-style ``Examples:`` heading, indented like every other section::

    Examples:
        ```python
        from dlref.conv import conv_output_size
        assert conv_output_size(5, kernel_size=2, stride=2, padding=1) == 3
        ```

mkdocstrings renders that fence as a code block on the API page. CommonMark
(which pytest-markdown-docs parses docstrings with) reads a fence indented by
four spaces under a paragraph as more paragraph text, so ``parser()`` removes
the section's indentation first; line numbers stay the same, so a failing
example is reported at its line in the source file. ``conftest.py`` hands this
parser to the plugin, and ``tests/test_docstring_examples.py`` uses it to check
that every public name has an example the plugin collects.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

from markdown_it import MarkdownIt

SECTION = re.compile(r"^Examples?:[ \t]*$")
INDENT = "    "
PYTHON = ("py", "python", "python3")


def dedent_examples(text: str) -> str:
    """``text`` with the body of each unindented ``Examples:`` section moved left by 4 spaces."""
    lines = text.split("\n")
    inside = False
    for i, line in enumerate(lines):
        if SECTION.match(line):
            inside = True
        elif inside and line.strip() and not line.startswith(INDENT):
            inside = False
        elif inside:
            lines[i] = line.removeprefix(INDENT)
    return "\n".join(lines)


class _DocstringMarkdown(MarkdownIt):
    """CommonMark, reading the body of an ``Examples:`` section as if unindented."""

    def parse(self, src: str, env: Any = None) -> Any:
        return super().parse(dedent_examples(src), env)


def parser() -> MarkdownIt:
    """The Markdown parser pytest-markdown-docs uses (its default is plain CommonMark)."""
    return _DocstringMarkdown(config="commonmark")


def public_names(module: str) -> list[str]:
    """Public functions and classes that ``dlref.<module>`` defines (its API page shows them).

    Public: the name does not start with ``_``, the object is a function or a
    class whose home is this module, and, where the module has ``__all__``, it
    is listed there.
    """
    mod = importlib.import_module(f"dlref.{module}")
    exported = getattr(mod, "__all__", None)
    return [
        name
        for name, obj in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == mod.__name__
        and (exported is None or name in exported)
    ]


def python_fences(obj: object) -> list[str]:
    """The Python fences of ``obj``'s docstring that pytest-markdown-docs runs."""
    doc = inspect.getdoc(obj) or ""
    return [
        token.content
        for token in parser().parse(doc)
        if token.type == "fence"
        and token.info.split()[:1] != []
        and token.info.split()[0] in PYTHON
        and "notest" not in token.info.split()
    ]

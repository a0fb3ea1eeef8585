"""Tables built by the run: a page never types a measured number by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 4) -> str:
    """A Markdown table; floats are shown with ``digits`` significant digits.

    Examples:
        ```python
        from dlref.report import markdown_table

        text = markdown_table(["width", "error"], [[4, 0.123456], [8, 0.0312]], digits=3)
        print(text)
        assert text.splitlines()[2] == "| 4 | 0.123 |"
        ```
    """
    if any(len(row) != len(headers) for row in rows):
        raise ValueError(f"every row needs {len(headers)} cells")
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(_cell(v, digits) for v in row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 4) -> None:
    """Show a table: rendered Markdown in a notebook, plain text elsewhere.

    Examples:
        ```python
        import contextlib
        import io

        from dlref.report import markdown_table, table

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            table(["n", "n squared"], [[2, 4], [3, 9]])  # not in a notebook: printed
        print(out.getvalue())
        assert out.getvalue().strip() == markdown_table(["n", "n squared"], [[2, 4], [3, 9]])
        ```
    """
    text = markdown_table(headers, rows, digits)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display(Markdown(text))

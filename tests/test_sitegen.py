"""The build machinery: what invalidates the cache, and how failures are reported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen import execute as ex
from sitegen.render import render

FRONT = textwrap.dedent(
    """\
    ---
    jupyter:
      jupytext:
        text_representation:
          extension: .md
          format_name: markdown
      kernelspec:
        display_name: Python 3
        language: python
        name: python3
    ---

    """
)


def page(tmp_path: Path, body: str, name: str = "probe.md") -> Path:
    path = tmp_path / name
    path.write_text(FRONT + textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def library_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    copy = tmp_path / "dlref"
    shutil.copytree(ex.LIBRARY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(ex, "LIBRARY", copy)
    monkeypatch.setattr(ex, "REPO", tmp_path)
    yield copy


def test_dependencies_follow_imports_only() -> None:
    deps = {p.name for p in ex.library_dependencies("from dlref import conv\nimport torch")}
    assert {"conv.py", "__init__.py", "checks.py", "runtime.py"} <= deps
    assert "optim.py" not in deps and "plot.py" not in deps
    assert ex.library_dependencies("import torch") == []
    assert "conv.py" in {p.name for p in ex.library_dependencies("import dlref.conv as c")}


def test_key_changes_with_the_page_and_its_library_only(tmp_path: Path, library_copy: Path) -> None:
    path = page(tmp_path, "# T\n\n```python\nfrom dlref import conv\n```\n")
    before = ex.cache_key(path, "en")
    (library_copy / "optim.py").write_text("# unrelated change\n", encoding="utf-8")
    assert ex.cache_key(path, "en") == before, "a module the page does not import changed"
    (library_copy / "conv.py").write_text("# changed\n", encoding="utf-8")
    assert ex.cache_key(path, "en") != before, "a module the page imports changed"
    changed = ex.cache_key(path, "en")
    path.write_text(path.read_text(encoding="utf-8") + "\nMore prose.\n", encoding="utf-8")
    assert ex.cache_key(path, "en") != changed
    assert ex.cache_key(path, "zh") != ex.cache_key(path, "en")


def test_key_changes_with_pinned_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = page(tmp_path, "# T\n")
    before = ex.cache_key(path, "en")
    pins = tmp_path / "site.txt"
    pins.write_text("torch==0.0.0\n", encoding="utf-8")
    monkeypatch.setattr(ex, "REQUIREMENTS", pins)
    ex.environment_fingerprint.cache_clear()
    try:
        assert ex.cache_key(path, "en") != before
    finally:
        ex.environment_fingerprint.cache_clear()


def test_false_claim_names_file_line_and_claim(tmp_path: Path) -> None:
    path = page(
        tmp_path,
        """\
        # A page with a false claim

        ```python
        from dlref import check
        x = 2 + 2
        check("two and two make five", x == 5)
        ```
        """,
    )
    with pytest.raises(ex.PageError) as info:
        ex.execute(path, "en", use_cache=False)
    message = str(info.value)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "make five" in t)
    assert f"probe.md:{line}:" in message
    assert "ClaimError: claim failed: two and two make five" in message


def test_stderr_and_missing_alt_fail_and_checks_are_counted(tmp_path: Path) -> None:
    noisy = page(tmp_path, "# N\n\n```python\nimport warnings\nwarnings.warn('careful')\n```\n")
    with pytest.raises(ex.PageError, match=r"wrote to stderr: .*careful"):
        ex.execute(noisy, "en", use_cache=False)
    blind = page(
        tmp_path,
        "# B\n\n```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n```\n",
        name="blind.md",
    )
    with pytest.raises(ex.PageError, match="no alt text"):
        ex.execute(blind, "en", use_cache=False)


def test_render_turns_outputs_into_material_markdown() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "# Title"},
            {
                "cell_type": "code",
                "source": "print('```')",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": "```\n"},
                    {
                        "output_type": "display_data",
                        "data": {ex.CHECK_MIME: {"claim": "a <b> claim", "detail": ""}},
                        "metadata": {},
                    },
                    {
                        "output_type": "display_data",
                        "data": {"image/png": "aGVsbG8="},
                        "metadata": {"image/png": {"alt": "a [plot]"}},
                    },
                ],
            },
        ]
    }
    out = render(notebook, "demo", "zh")
    assert "````{.text .dlref-output}\n```\n````" in out.markdown  # fence longer than content
    assert "已验证</span> a &lt;b&gt; claim" in out.markdown
    assert "![a (plot)](demo-1.png)" in out.markdown
    assert out.figures == {"demo-1.png": b"hello"}


def test_a_failing_page_fails_the_mkdocs_build_with_its_location(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    bad = page(
        docs, "# Bad\n\n```python\nx = 1\nraise ValueError('snippet broke')\n```\n", "bad.md"
    )
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        textwrap.dedent(
            f"""\
            site_name: failing
            docs_dir: {docs}
            site_dir: {tmp_path / "site"}
            theme: {{name: material, language: en, custom_dir: {ex.REPO / "overrides"}}}
            hooks: [{ex.REPO / "sitegen" / "hooks.py"}]
            nav: [bad.md]
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode != 0
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "snippet broke" in t)
    assert f"{bad}:{line}: ValueError: snippet broke" in result.stdout + result.stderr


def test_page_source_reading_agrees_with_jupytext_on_every_page() -> None:
    """The fast reader (cache keys, the script runner) sees what the executor runs."""
    from sitegen import pagesource

    notebooks = 0
    for path in sorted(ex.DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        notebook = ex.read_notebook(path)
        assert pagesource.is_notebook_page(text) == (notebook is not None), path
        if notebook is not None:
            notebooks += 1
            cells = [c.source for c in notebook.cells if c.cell_type == "code"]
            assert [code for _, code in pagesource.code_cells(text)] == cells, path
    assert notebooks == sum(len(ex.pages(lang)) for lang in ex.LANGS) > 0


def test_plain_script_runner_runs_a_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen import script

    body = "# S\n\n```python\nfrom dlref import check\ncheck('one is one', 1 == 1)\n```\n"
    path = page(tmp_path, body)
    monkeypatch.setattr(script, "REPO", tmp_path)  # names in the script are relative to REPO
    _, _, checks, error = script.run_page(path)
    assert (checks, error) == (1, "")


def test_slim_html_keeps_what_is_shown() -> None:
    from html.parser import HTMLParser

    from sitegen.render import slim_html

    page = (
        "<div>\n    <p>Some   <b>text</b>\n      here</p>\n"
        '<pre><code><span class="n">x</span><span class="w"> </span>'
        '<span class="o">=</span> <span class="p">(</span><span class="mi">1</span>'
        '<span class="p">)</span>\n'
        "    indented line\n</code></pre>\n  <textarea>\n  keep\n</textarea></div>"
    )

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.chunks: list[str] = []

        def handle_data(self, data: str) -> None:
            self.chunks.append(data)

    def shown(markup: str) -> str:
        parser = Text()
        parser.feed(markup)
        return "".join(parser.chunks)

    slim = slim_html(page)
    assert len(slim) < len(page)
    assert '<span class="mi">1</span>' in slim  # tokens with a colour of their own stay
    assert '<span class="o">' not in slim and '<span class="p">' not in slim
    pre = lambda s: s[s.index("<pre") : s.index("</pre>")]  # noqa: E731
    assert shown(pre(slim)) == shown(pre(page)) == "x = (1)\n    indented line\n"
    assert "<textarea>\n  keep\n</textarea>" in slim
    assert " ".join(shown(slim).split()) == " ".join(shown(page).split())


def test_slim_html_joins_wrapped_chinese_lines_only() -> None:
    from sitegen.render import slim_html

    assert slim_html("<p>第一行，\n第二行 and\nEnglish</p>") == "<p>第一行，第二行 and\nEnglish</p>"
    assert slim_html("<pre>第一行\n第二行</pre>") == "<pre>第一行\n第二行</pre>"


def test_the_cpu_is_known_without_torch_only_when_nothing_else_is_possible(tmp_path: Path) -> None:
    driver = tmp_path / "nvidiactl"
    assert ex.cpu_without_asking_torch("", (str(driver),))  # no driver: torch cannot see CUDA
    assert ex.cpu_without_asking_torch(" cpu ", (str(driver),))
    driver.touch()
    assert not ex.cpu_without_asking_torch("", (str(driver),))  # a GPU may be there: ask torch
    assert ex.cpu_without_asking_torch("cpu", (str(driver),))
    assert not ex.cpu_without_asking_torch("cuda", ())
    assert not ex.cpu_without_asking_torch("cuda:1", (str(driver),))


def _stream(text: str) -> dict[str, str]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def test_printed_lines_are_settled_whatever_the_chunking() -> None:
    badge = {"output_type": "display_data", "data": {ex.CHECK_MIME: {"claim": "c"}}}
    whole = [_stream("value 1\n"), badge, _stream("after\n")]
    for chunks in (
        [_stream("value 1\n"), badge, _stream("after"), _stream("\n")],
        [_stream("value 1"), badge, _stream("\n"), _stream("after\n")],
        [_stream("val"), _stream("ue 1"), badge, _stream("\nafter\n")],
    ):
        assert ex.settle_streams(chunks) == whole
    # Text printed without a newline on purpose stays where it was printed.
    kept = [_stream("no newline"), badge, _stream("next\n")]
    assert ex.settle_streams([dict(o) for o in kept]) == kept


def test_a_page_that_prints_and_checks_in_one_cell_executes_identically(tmp_path: Path) -> None:
    cells = "".join(
        f"```python\nprint('value {i}')\ncheck('claim {i}', True)\nprint('after {i}')\n```\n\n"
        for i in range(40)
    )
    path = page(tmp_path, "# P\n\n```python\nfrom dlref import check\n```\n\n" + cells)
    runs = [ex.execute(path, "en", use_cache=False).notebook for _ in range(2)]
    layouts = [
        [
            [(o["output_type"], o.get("text")) for o in c["outputs"]]
            for c in nb["cells"]
            if c["cell_type"] == "code" and c["outputs"]
        ]
        for nb in runs
    ]
    assert layouts[0] == layouts[1]
    for i, layout in enumerate(layouts[0]):
        assert layout == [
            ("stream", f"value {i}\n"),
            ("display_data", None),
            ("stream", f"after {i}\n"),
        ]


def test_the_site_build_is_not_quiet() -> None:
    """`mkdocs build -q` filters warnings out before `strict: true` counts them, so a
    broken link or a missing nav page would pass the build unnoticed."""
    makefile = (ex.REPO / "Makefile").read_text(encoding="utf-8")
    builds = [line for line in makefile.splitlines() if "mkdocs build" in line]
    assert builds
    assert not [line for line in builds if " -q" in line or "--quiet" in line], builds

"""The warm-build caches (sitegen/warm.py) change nothing but the time a build takes."""

from __future__ import annotations

import ast
import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen import execute as ex
from sitegen import pagesource


def test_the_statement_walk_finds_every_import_that_ast_walk_finds() -> None:
    sources = [p.read_text(encoding="utf-8") for p in sorted(ex.LIBRARY.glob("*.py"))]
    for lang in ex.LANGS:
        for path in ex.pages(lang):
            cells = pagesource.code_cells(path.read_text(encoding="utf-8"))
            sources.append("\n".join(code for _, code in cells))
    sources.append("def f():\n    try:\n        import dlref.conv\n    except ImportError:\n"
                   "        from dlref import plot\n    match 1:\n        case 1:\n"
                   "            import dlref.data as d\n")  # fmt: skip
    kinds = (ast.Import, ast.ImportFrom)
    for source in sources:
        tree = ast.parse(source)
        walked = sorted(ast.dump(n) for n in ast.walk(tree) if isinstance(n, kinds))
        statements = sorted(ast.dump(n) for n in ex._statements(tree) if isinstance(n, kinds))
        assert walked == statements
    assert ex._dlref_imports(sources[-1]) == {"dlref.conv", "dlref", "dlref.plot", "dlref.data"}


def _build(out: Path, cache: Path) -> str:
    env = {**os.environ, "DLREF_WARM_CACHE": str(cache), "DLREF_WARM_STATS": "1",
           "NO_MKDOCS_2_WARNING": "1"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(out)],
        cwd=ex.REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def _differences(a: Path, b: Path) -> list[str]:
    compared = filecmp.dircmp(a, b)
    found = [str(a / n) for n in compared.left_only + compared.right_only + compared.diff_files]
    for name in compared.common_dirs:
        found += _differences(a / name, b / name)
    return found


@pytest.mark.site
def test_a_warm_build_gives_the_same_site_as_a_cold_one(tmp_path: Path) -> None:
    cache = tmp_path / "warm"
    cold = _build(tmp_path / "cold", cache)
    assert re.search(r"api 0 hits [1-9]\d* misses", cold), cold  # nothing to hit yet
    warm = _build(tmp_path / "warm-site", cache)
    hits = r"api [1-9]\d* hits 0 misses, search [1-9]\d* hits 0 misses, highlight [1-9]\d* hits 0"
    assert re.search(hits, warm), warm
    assert not _differences(tmp_path / "cold", tmp_path / "warm-site")
    # the English build leaves Chinese unsegmented: jieba never loads its dictionary
    assert "Building prefix dict" not in cold + warm

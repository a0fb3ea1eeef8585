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
    # Every page's render comes from the cache (so its API and highlighting entries are
    # not even asked for), with the anchors and inventory entries it registered replayed:
    # cross-references, objects.inv and every page come out byte for byte the same.
    hits = (
        r"api 0 hits 0 misses, search [1-9]\d* hits 0 misses, highlight 0 hits 0 misses, "
        r"render [1-9]\d* hits 0 misses"
    )
    assert re.search(hits, warm), warm
    assert (tmp_path / "warm-site" / "objects.inv").is_file()
    assert not _differences(tmp_path / "cold", tmp_path / "warm-site")
    # the English build leaves Chinese unsegmented: jieba never loads its dictionary
    assert "Building prefix dict" not in cold + warm


def _tiny_site(root: Path) -> Path:
    """A three-page MkDocs project that uses only the warm-build hook."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text(
        "# Home\n\nSee [b](b.md) and [the section](c.md#sec).\n\n```python\nx = 1\n```\n"
    )
    (docs / "b.md").write_text("# B\n\nText.\n")
    (docs / "c.md").write_text("# C\n\n## sec\n\nText.\n")
    (root / "mkdocs.yml").write_text(
        "site_name: tiny\ntheme:\n  name: material\n  language: en\nplugins: []\n"
        "validation:\n  anchors: warn\n"
        f"hooks:\n  - {ex.REPO / 'sitegen' / 'warm.py'}\n"
        "markdown_extensions:\n  - toc\n  - pymdownx.highlight\n  - pymdownx.superfences\n"
    )
    return root / "mkdocs.yml"


def _tiny_build(config: Path, out: Path, cache: Path, strict: bool = True) -> tuple[bool, str]:
    env = {**os.environ, "DLREF_WARM_CACHE": str(cache), "DLREF_WARM_STATS": "1",
           "NO_MKDOCS_2_WARNING": "1"}  # fmt: skip
    command = [sys.executable, "-m", "mkdocs", "build", "-f", str(config), "-d", str(out)]
    result = subprocess.run(command + (["--strict"] if strict else []), env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    return result.returncode == 0, result.stderr


def test_a_cached_render_serves_only_while_its_links_resolve_the_same(tmp_path: Path) -> None:
    config, cache = _tiny_site(tmp_path / "p"), tmp_path / "warm"
    ok, log = _tiny_build(config, tmp_path / "cold", cache)
    assert ok and "render 0 hits 3 misses" in log, log
    ok, log = _tiny_build(config, tmp_path / "warm-site", cache)
    assert ok and "render 3 hits 0 misses" in log, log
    assert not _differences(tmp_path / "cold", tmp_path / "warm-site")

    # The linked section is renamed: the home page is unchanged (its render is served
    # from the cache), but the anchor check still sees its link and fails the build.
    (tmp_path / "p" / "docs" / "c.md").write_text("# C\n\n## renamed\n\nText.\n")
    ok, log = _tiny_build(config, tmp_path / "out", cache)
    assert not ok and "does not contain an anchor '#sec'" in log, log
    assert "render 2 hits 1 misses" in log  # only c.md rendered again

    # The linked page is gone: the home page's lookup of b.md now gets another answer,
    # so its render is not served from the cache and MkDocs' warning comes back.
    (tmp_path / "p" / "docs" / "c.md").write_text("# C\n\n## sec\n\nText.\n")
    (tmp_path / "p" / "docs" / "b.md").unlink()
    ok, log = _tiny_build(config, tmp_path / "out", cache)
    assert not ok and "contains a link 'b.md', but the target is not found" in log, log

    # A render that warned is not kept: the warning comes back on every build.
    for _ in range(2):
        ok, log = _tiny_build(config, tmp_path / "out", cache, strict=False)
        assert ok and "contains a link 'b.md', but the target is not found" in log, log
    assert "render 1 hits 1 misses" in log  # c.md served, index.md rendered again

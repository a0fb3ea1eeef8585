"""`make bench`: measure the build and the tests on this machine and print a table.

    python -m sitegen.bench [--skip-tests]

Phases: a cold build (empty execution cache), a warm rebuild with no change,
a rebuild after editing the prose of one chapter in one language, a rebuild
after changing one library module, and the test suite. Edited files are
restored afterwards. The cold phase empties .cache/exec, so the bench leaves a
fully warm cache behind but discards whatever was cached before.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sitegen import execute as ex

PY = sys.executable
SUMMARY = re.compile(r"(\d+) pages ok \((\d+) executed, (\d+) cached\)")
EXECUTED = re.compile(r"^ok\s+(en|zh) (\S+)\s+([\d.]+) s", re.M)


def _run(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ex.REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"bench: {' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return seconds, result.stdout + result.stderr


def build() -> dict[str, object]:
    """Execute (cached), then build both languages (`make html`), timing each part."""
    exec_s, out = _run([PY, "-m", "sitegen", "--jobs", "2"])
    match = SUMMARY.search(out)
    assert match, out
    executed = [f"{lang}/{slug}" for lang, slug, _ in EXECUTED.findall(out)]
    build_s, _ = _run(["make", "--no-print-directory", "-s", "html"])
    return {
        "execute_s": exec_s,
        "build_s": build_s,
        "executed": executed,
        "per_page": {f"{lang}/{slug}": float(t) for lang, slug, t in EXECUTED.findall(out)},
    }


def with_edit(path: Path, edit: Callable[[str], str]) -> dict[str, object]:
    original = path.read_text(encoding="utf-8")
    path.write_text(edit(original), encoding="utf-8")
    try:
        return build()
    finally:
        path.write_text(original, encoding="utf-8")


def page_weights() -> tuple[int, int, str]:
    sizes = {}
    for lang in ex.LANGS:
        root = ex.REPO / "site" if lang == "en" else ex.REPO / "site" / "zh"
        for path in ex.pages(lang):
            html = root / ex.slug_of(path) / "index.html"
            sizes[f"{lang}/{ex.slug_of(path)}"] = html.stat().st_size
    largest = max(sizes, key=lambda k: sizes[k])
    return sizes[largest], int(statistics.median(sizes.values())), largest


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m sitegen.bench")
    parser.add_argument("--skip-tests", action="store_true", help="do not time `make test`")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    shutil.rmtree(ex.CACHE, ignore_errors=True)
    cold = build()
    rows.append(("cold build (empty cache)", f"{cold['execute_s'] + cold['build_s']:.1f} s",
                 f"execute {cold['execute_s']:.1f} s + build {cold['build_s']:.1f} s, "
                 f"{len(cold['executed'])} page runs"))  # fmt: skip
    warm = build()
    rows.append(("warm rebuild, no change", f"{warm['execute_s'] + warm['build_s']:.1f} s",
                 f"re-executed: {len(warm['executed'])}"))  # fmt: skip

    chapter = max(cold["per_page"], key=lambda k: cold["per_page"][k]).split("/")[1]  # type: ignore[attr-defined]
    prose = with_edit(ex.DOCS / "en" / f"{chapter}.md", lambda t: t + "\nOne more sentence.\n")
    rows.append((f"edit prose of en/{chapter}", f"{prose['execute_s'] + prose['build_s']:.1f} s",
                 f"re-executed: {', '.join(prose['executed']) or 'nothing'}"))  # fmt: skip
    library = with_edit(ex.LIBRARY / "conv.py", lambda t: t + "\n# bench: a harmless change\n")
    rows.append(("change src/dlref/conv.py", f"{library['execute_s'] + library['build_s']:.1f} s",
                 f"re-executed: {', '.join(library['executed']) or 'nothing'}"))  # fmt: skip
    build()  # back to the original sources (cache hits: older versions are kept)

    largest, median, where = page_weights()
    rows.append(("chapter HTML size", f"median {median / 1000:.0f} KB",
                 f"largest {largest / 1000:.0f} KB ({where}), figures aside"))  # fmt: skip
    if not args.skip_tests:
        test_s, out = _run(["make", "--no-print-directory", "test"])
        passed = re.findall(r"(\d+) passed", out)
        rows.append(("make test (warm cache)", f"{test_s:.1f} s",
                     f"{' + '.join(passed)} tests passed; chapters executed again: 0 "
                     "(the tests read the build's executed pages)"))  # fmt: skip

    width = max(len(r[0]) for r in rows)
    print(f"\n{'phase':<{width}}  {'time':>16}  details")
    for name, value, details in rows:
        print(f"{name:<{width}}  {value:>16}  {details}")
    print("\nper-page execution time (cold), slowest first:")
    for page, seconds in sorted(cold["per_page"].items(), key=lambda kv: -kv[1]):  # type: ignore[attr-defined]
        print(f"  {page:<32} {seconds:6.1f} s")
    (ex.REPO / ".cache" / "bench.json").write_text(
        json.dumps({"rows": rows, "cold": cold}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

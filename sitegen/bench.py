"""`make bench`: measure the build and the tests on this machine and print a table.

    python -m sitegen.bench [--skip-tests]

Phases: a cold build (empty execution cache), a warm rebuild with no change,
a rebuild after editing the prose of one chapter in one language, a rebuild
after changing one library module, the time from saving a prose edit to the
page changing under ``make preview``, and the test suite. Edited files are
restored afterwards. The cold phase empties .cache/exec, so the bench leaves a
fully warm cache behind but discards whatever was cached before.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sitegen import execute as ex

PY = sys.executable
SUMMARY = re.compile(r"(\d+) pages ok \((\d+) executed, (\d+) cached\)")
EXECUTED = re.compile(r"^ok\s+(en|zh) (\S+)\s+([\d.]+) s", re.M)
# Issue 6's limits on one page's execution time, on the 2-core CPU machine.
PAGE_LIMIT_S = 20.0
PAGE_LIMITS_S = {"spiral-classification": 60.0}


@dataclass
class Build:
    execute_s: float
    build_s: float
    per_page: dict[str, float]  # "lang/slug" -> seconds, for the pages executed

    @property
    def total_s(self) -> float:
        return self.execute_s + self.build_s

    @property
    def executed(self) -> list[str]:
        return list(self.per_page)


def _run(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ex.REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"bench: {' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return seconds, result.stdout + result.stderr


def build() -> Build:
    """Execute (cached), then build both languages (`make html`), timing each part."""
    exec_s, out = _run([PY, "-m", "sitegen", "--jobs", "2"])
    assert SUMMARY.search(out), out
    build_s, _ = _run(["make", "--no-print-directory", "-s", "html"])
    per_page = {f"{lang}/{slug}": float(t) for lang, slug, t in EXECUTED.findall(out)}
    return Build(exec_s, build_s, per_page)


def with_edit(path: Path, edit: Callable[[str], str]) -> Build:
    original = path.read_text(encoding="utf-8")
    path.write_text(edit(original), encoding="utf-8")
    try:
        return build()
    finally:
        path.write_text(original, encoding="utf-8")


def preview_reload(path: Path, slug: str) -> float:
    """Seconds from saving a prose edit to `make preview` serving the changed page."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{slug}/"
    with tempfile.TemporaryDirectory(prefix="dlref-bench-") as folder:
        log = Path(folder) / "preview.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [PY, "-m", "sitegen.preview", "--port", str(port), "--folder", folder + "/b"],
                cwd=ex.REPO, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        original = path.read_text(encoding="utf-8")
        try:
            _until(lambda: "serving http" in log.read_text(), 600, log)
            marker = f"bench-{time.time_ns()}"
            started = time.perf_counter()
            path.write_text(original + f"\n{marker}\n", encoding="utf-8")
            _until(lambda: marker in _get(url), 120, log)
            return time.perf_counter() - started
        finally:
            path.write_text(original, encoding="utf-8")
            server.terminate()
            server.wait(timeout=30)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return str(response.read().decode("utf-8"))


def _until(test: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            sys.exit(f"bench: make preview did not respond:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def page_weights() -> dict[str, int]:
    """Bytes of every HTML page of the built site, by path relative to site/ (figures aside)."""
    site = ex.REPO / "site"
    return {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*.html")}


def over_limit(per_page: dict[str, float]) -> list[str]:
    return [
        f"{page} {seconds:.1f} s"
        for page, seconds in per_page.items()
        if seconds > PAGE_LIMITS_S.get(page.split("/")[1], PAGE_LIMIT_S)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m sitegen.bench")
    parser.add_argument("--skip-tests", action="store_true", help="do not time `make test`")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    shutil.rmtree(ex.CACHE, ignore_errors=True)
    cold = build()
    slow = over_limit(cold.per_page)
    rows.append(("cold build (empty cache)", f"{cold.total_s:.1f} s",
                 f"execute {cold.execute_s:.1f} s + build {cold.build_s:.1f} s, "
                 f"{len(cold.executed)} page runs; over the page limits: "
                 f"{', '.join(slow) or 'none'}"))  # fmt: skip
    warm = build()
    rows.append(("warm rebuild, no change", f"{warm.total_s:.1f} s",
                 f"re-executed: {len(warm.executed)}; cache check {warm.execute_s:.1f} s + "
                 f"make html (wheel, both languages) {warm.build_s:.1f} s; "
                 f"{cold.total_s / warm.total_s:.1f}x faster than cold"))  # fmt: skip

    chapter = max(cold.per_page, key=lambda k: cold.per_page[k]).split("/")[1]
    prose = with_edit(ex.DOCS / "en" / f"{chapter}.md", lambda t: t + "\nOne more sentence.\n")
    rows.append((f"edit prose of en/{chapter}", f"{prose.total_s:.1f} s",
                 f"re-executed: {', '.join(prose.executed) or 'nothing'}"))  # fmt: skip
    reload_s = preview_reload(ex.DOCS / "en" / f"{chapter}.md", chapter)
    rows.append((f"preview: prose edit of en/{chapter} to reload", f"{reload_s:.1f} s",
                 "save -> served page changed, `make preview` (one language rebuilt, "
                 "nothing executed)"))  # fmt: skip
    library = with_edit(ex.LIBRARY / "conv.py", lambda t: t + "\n# bench: a harmless change\n")
    rows.append(("change src/dlref/conv.py", f"{library.total_s:.1f} s",
                 f"re-executed: {', '.join(library.executed) or 'nothing'}"))  # fmt: skip
    build()  # back to the original sources (cache hits: older versions are kept)

    sizes = page_weights()
    chapters = [
        sizes[("" if lang == "en" else "zh/") + f"{ex.slug_of(path)}/index.html"]
        for lang in ex.LANGS
        for path in ex.pages(lang)
    ]
    largest = max(sizes, key=lambda k: sizes[k])
    rows.append(("HTML size, figures aside", f"median {statistics.median(chapters) / 1000:.0f} KB",
                 f"median over the {len(chapters)} chapters; largest page of all "
                 f"{sizes[largest] / 1000:.0f} KB ({largest})"))  # fmt: skip
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
    load = os.getloadavg()
    print(
        f"\nload average while measuring (1, 5, 15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print("\nper-page execution time (cold), slowest first:")
    for page, seconds in sorted(cold.per_page.items(), key=lambda kv: -kv[1]):
        print(f"  {page:<32} {seconds:6.1f} s")
    (ex.REPO / ".cache" / "bench.json").write_text(
        json.dumps({"rows": rows, "cold": asdict(cold), "sizes": sizes}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

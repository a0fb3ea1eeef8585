"""Run pages as plain Python scripts, without Jupyter.

    python -m sitegen.script [--page SLUG ...] [--lang en|zh] [--jobs N]

Each page's code cells are joined into one script (a comment before each cell
names its file and line) and run in a fresh ``python`` process with
matplotlib's non-interactive backend. This is what a reader does who pastes a
page's snippets into a file, and it needs nothing beyond the library's own
dependencies: it is how the site is checked on machines without Jupyter (a
GPU box, say). Outside a notebook ``dlref.check`` prints ``✓ verified: ...``,
so the verified claims are counted from the output.

Deliberately free of jupytext/nbclient imports; the fence syntax it reads is
the one pages use (```` ```python ```` fences at the start of a line).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sitegen.pageenv import page_env
from sitegen.pagesource import code_cells, is_notebook_page

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
VERIFIED = "✓ verified: "


def to_script(path: Path) -> str:
    """The page's code cells as one script, each preceded by its location."""
    text = path.read_text(encoding="utf-8")
    where = path.relative_to(REPO)
    parts = [f"# Generated from {where}: its code cells, in order.\n"]
    parts += [f"# %% {where}:{line}\n{code}\n" for line, code in code_cells(text)]
    return "\n".join(parts)


def run_page(path: Path, timeout: float = 600) -> tuple[str, float, int, str]:
    """(page, seconds, verified claims, error or "") for one page."""
    env = {**page_env(), "MPLBACKEND": "Agg"}
    name = f"{path.parent.name}/{path.stem}"
    with tempfile.TemporaryDirectory(prefix="dlref-script-") as workdir:
        script = Path(workdir) / "page.py"
        script.write_text(to_script(path), encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-W", "error::UserWarning:dlref", str(script)],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    checks = result.stdout.count(VERIFIED)
    if result.returncode != 0:
        return (
            name,
            seconds,
            checks,
            result.stderr.strip().splitlines()[-1:][0] if result.stderr else "failed",
        )
    return name, seconds, checks, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitegen.script", description=__doc__)
    parser.add_argument("--page", action="append", help="only this page (file name without .md)")
    parser.add_argument("--lang", action="append", choices=("en", "zh"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--print", action="store_true", help="print the script(s) instead")
    args = parser.parse_args(argv)
    paths = [
        p
        for lang in args.lang or ["en", "zh"]
        for p in sorted((DOCS / lang).glob("*.md"))
        if is_notebook_page(p.read_text(encoding="utf-8"))
        and (not args.page or p.stem in args.page)
    ]
    if args.print:
        for path in paths:
            print(to_script(path))
        return 0
    started = time.perf_counter()
    failures = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, seconds, checks, error in pool.map(run_page, paths):
            status = f"FAIL {error}" if error else "ok"
            failures += bool(error)
            print(f"{name:<34} {seconds:6.1f} s  {checks:3d} checks  {status}", flush=True)
    print(f"{len(paths)} pages, {failures} failed, {time.perf_counter() - started:.1f} s wall")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

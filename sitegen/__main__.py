"""Execute every page of both languages in parallel, then print a table.

    python -m sitegen [--jobs N] [--lang en|zh] [--page SLUG] [--no-cache]

Pages already in the cache are not executed again. On failure every broken
page is listed as ``file:line: message`` and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from sitegen import execute as ex


def _run(path: Path, lang: str, use_cache: bool) -> tuple[str, str, float, int, bool, str]:
    try:
        page = ex.execute(path, lang, use_cache=use_cache)
    except ex.PageError as err:
        return lang, ex.slug_of(path), 0.0, 0, False, str(err)
    return lang, page.slug, page.seconds, page.checks, page.cached, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitegen", description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="pages executed at once")
    parser.add_argument("--lang", choices=ex.LANGS, action="append", help="default: both")
    parser.add_argument("--page", action="append", help="only this page (file name without .md)")
    parser.add_argument("--no-cache", action="store_true", help="execute even cached pages")
    args = parser.parse_args(argv)
    langs = args.lang or list(ex.LANGS)
    jobs = [
        (path, lang)
        for lang in langs
        for path in ex.pages(lang)
        if not args.page or ex.slug_of(path) in args.page
    ]
    if args.page and not jobs:
        parser.error(f"no notebook page named {args.page} in {langs}")
    ex.device_name()  # resolve once, before forking workers
    started = time.perf_counter()
    failures: list[str] = []
    rows: list[tuple[str, str, float, int, bool]] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(_run, path, lang, not args.no_cache) for path, lang in jobs]
        for future in as_completed(futures):
            lang, slug, seconds, checks, cached, error = future.result()
            if error:
                failures.append(error)
                print(f"FAIL {lang} {slug}: {error}", flush=True)
            else:
                rows.append((lang, slug, seconds, checks, cached))
                state = "cached" if cached else f"{seconds:6.1f} s"
                print(f"ok   {lang} {slug:<28} {state:>9}  {checks:3d} checks", flush=True)
    wall = time.perf_counter() - started
    executed = [r for r in rows if not r[4]]
    print(
        f"{len(rows)} pages ok ({len(executed)} executed, {len(rows) - len(executed)} cached), "
        f"{sum(r[3] for r in rows)} checks, {len(failures)} failed, {wall:.1f} s wall"
    )
    if failures:
        print("\n".join(["", "Failed pages:", *failures]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check the version ranges ``pyproject.toml`` claims: ``make compat``.

    python -m sitegen.compat [--env NAME ...] [--keep] [--jobs N] [--page SLUG ...]

For each environment below, a throwaway virtual environment under
``.cache/compat/`` gets the Python and the exact versions the environment names,
and ``dlref`` from its own wheel: one ``pip install`` of the wheel and the pins
together, so pip also checks the pins against the wheel's declared ranges. Then,
in that environment:

1. the library's tests (every ``tests/test_*.py`` that imports nothing of the
   site machinery: ``sitegen``, Jupyter, MkDocs, Playwright);
2. the docstring examples (``pytest --markdown-docs src/dlref``);
3. every English page as a plain script (:mod:`sitegen.script`).

The results go to ``compat/results.json`` (tracked), one entry per environment
with the date and commit it ran at; running some environments replaces only
their entries. The verification page shows the table. Nothing here runs in
``make test``: see "Cost" below.

PyPI's torch for Linux x86_64 is a CUDA build of several GB (it runs on the CPU
here); only the pinned 2.13.0 CPU wheel lies on this machine's disk, and the
machine's pip configuration may cap torch below the newest release, so the
``newest`` environment installs with that cap lifted.

This module runs under every Python it tests: standard library only.

Cost, measured on the 2-core build machine (2026-12-01, shared with other jobs):
an environment with PyPI's CUDA torch downloads about 2.5 GB (pip kept none of
it in its cache here), takes 5.0-5.7 GB of disk (deleted afterwards unless
``--keep``) and 70-300 s to install; the one with the pinned CPU torch from disk
takes 1.2 GB and about 80 s. The library's tests take 10-60 s, the docstring
examples 5-50 s, the 37 English pages 270-430 s two at a time (about 20 minutes
when eight jobs share the two cores): 6-25 minutes per environment. That is why
``make test`` (and so CI) runs none of it: it would add 15-50 minutes and 5 GB of
downloads to every run. What CI does run is ``tests/test_compat.py`` (under a
second): the ``oldest`` environment must pin exactly the floors
``pyproject.toml`` declares, and the recorded results must be for today's
environments and must have passed, so a range cannot change without
``make compat`` being run again.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / ".cache" / "compat"
RESULTS = REPO / "compat" / "results.json"
REQUIREMENTS = REPO / "requirements" / "site.txt"
SITE_MACHINERY = re.compile(
    r"^\s*(from|import)\s+(sitegen|tests\.sitecheck|nbformat|nbclient|jupytext|mkdocs|playwright)\b"
    r"|pytest\.mark\.site\b",
    re.M,
)
# Test tools, not dlref's dependencies: at the site's pins where it has them.
TEST_TOOLS = ("pytest", "pytest-markdown-docs")
# Pages compare with SciPy (an independent implementation); not a dependency of dlref.
PAGE_TOOLS = ("scipy",)
# pyproject.toml turns every warning into an error in the tests. An old dependency
# may warn about a newer one at import (matplotlib 3.7 calls pyparsing 3.3's
# deprecated names); that says nothing about dlref, so deprecation warnings
# attributed to modules outside dlref and its tests are ignored here. Any warning
# raised in dlref, or in a library called from dlref with the usual stacklevel, still fails.
# (Given as the ini option, which reads the module as a regular expression; -W would not.)
THIRD_PARTY_DEPRECATIONS = r"ignore::DeprecationWarning:(?!dlref|tests)"
# torch 2.4 and 2.6 (seen; 2.13 does not) warn about their own call: SequentialLR
# steps the next scheduler with step(0), which torch itself deprecated.
TORCH_SELF_WARNING = r"ignore:The epoch parameter in:UserWarning:torch\.optim\.lr_scheduler"
# These pin the wording of the pinned torch's error messages, which the Part 5
# pages quote (their docstrings say so): they test PyTorch at the site's version,
# not dlref, and the build re-checks those pages with that version.
PINNED_TORCH_WORDING = ("tests/test_pytorch_messages.py", "tests/test_device_messages.py")
REPORTED = ("torch", "numpy", "matplotlib", "scikit-learn", "scipy")


@dataclass(frozen=True)
class Environment:
    name: str
    python: str  # "3.10", or "newest": the newest Python installed here
    pins: tuple[str, ...]
    about: dict[str, str]  # language -> one line for the verification page
    lift_torch_cap: bool = False  # ignore a pip constraint file that caps torch


ENVIRONMENTS = (
    Environment(
        "oldest",
        "3.11",
        ("torch==2.7.0", "numpy==1.25.0", "matplotlib==3.11.0", "scikit-learn==1.4.0"),
        {
            "en": "the oldest versions pyproject.toml admits (torch from PyPI: a CUDA build, "
            "run on the CPU)",
            "zh": "pyproject.toml 允许的最低版本（torch 取自 PyPI，是 CUDA 版，在 CPU 上运行）",
        },
    ),
    Environment(
        "oldest-libs",
        "3.11",
        ("torch==2.13.0", "numpy==1.25.0", "matplotlib==3.11.0", "scikit-learn==1.4.0"),
        {
            "en": "the site's torch (CPU) with the oldest NumPy, Matplotlib and scikit-learn "
            "pyproject.toml admits: no download of torch, so it is cheap",
            "zh": "本站所用的 torch（CPU 版），搭配 pyproject.toml 允许的最低版本 "
            "NumPy、Matplotlib 和 scikit-learn；无须下载 torch，代价小",
        },
    ),
    Environment(
        "newest",
        "newest",
        ("torch", "numpy", "matplotlib", "scikit-learn"),
        {
            "en": "the newest releases the registry serves within pyproject.toml's ranges, "
            "on the newest Python here",
            "zh": "包索引上、pyproject.toml 范围之内的最新版本，使用本机最新的 Python",
        },
        lift_torch_cap=True,
    ),
)


# --- small helpers ------------------------------------------------------------------


def find_python(version: str) -> Path:
    """The interpreter for "3.10" (or the newest one installed, for "newest")."""
    roots = sorted(
        glob.glob(str(Path.home() / ".pyenv" / "versions" / "3.*" / "bin" / "python3")),
        key=lambda p: tuple(int(x) for x in re.findall(r"\d+", Path(p).parents[1].name)),
    )
    if version == "newest" and roots:
        return Path(roots[-1])
    for root in reversed(roots):
        if Path(root).parents[1].name.startswith(version + "."):
            return Path(root)
    found = shutil.which(f"python{version}")
    if found is None:
        raise FileNotFoundError(f"no Python {version} here (pyenv or PATH)")
    return Path(found)


def site_pin(name: str) -> str:
    """``name==version`` as requirements/site.txt pins it, or plain ``name``."""
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if re.match(rf"^{re.escape(name)}==", line.strip(), re.I):
            return line.strip()
    return name


def library_tests() -> list[str]:
    """The test files that exercise the library alone (no site machinery)."""
    return [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "tests").glob("test_*.py"))
        if not SITE_MACHINERY.search(path.read_text(encoding="utf-8"))
        and str(path.relative_to(REPO)) not in PINNED_TORCH_WORDING
    ]


def english_pages() -> list[Path]:
    sys.path.insert(0, str(REPO))
    from sitegen.pagesource import is_notebook_page

    return [
        p
        for p in sorted((REPO / "docs" / "en").glob("*.md"))
        if is_notebook_page(p.read_text(encoding="utf-8"))
    ]


def folder_bytes(path: Path) -> int:
    total = 0
    for root, _, names in os.walk(path):
        for name in names:
            full = Path(root) / name
            if not full.is_symlink():
                total += full.stat().st_size
    return total


def commit() -> tuple[str, bool]:
    """(short commit, whether the files the checks read differ from it)."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.strip()

    watched = ["src", "tests", "docs/en", "sitegen", "pyproject.toml", "conftest.py"]
    return git("rev-parse", "--short=12", "HEAD"), bool(
        git("status", "--porcelain", "--", *watched)
    )


def clean_env(env: Environment, venv: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out.update(
        # The tests, the examples and the pages all import dlref from the working tree
        # (pages always do: sitegen.pageenv), so one run sees one version of it even if
        # the tree is edited after the wheel was built; the wheel is installed all the
        # same, so that pip checks its declared ranges against the pins.
        PYTHONPATH=str(REPO / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        DLREF_DEVICE="cpu",
        MPLBACKEND="Agg",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    if env.lift_torch_cap:
        empty = WORK / "no-constraints.txt"
        empty.parent.mkdir(parents=True, exist_ok=True)
        empty.write_text("# make compat: the newest releases, whatever the machine's pip caps\n")
        out["PIP_CONSTRAINT"] = str(empty)
    return out


def run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[int, float, str]:
    started = time.perf_counter()
    try:
        result = subprocess.run(
            cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as err:
        partial = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else ""
        code, output = -1, f"timed out after {timeout:.0f} s\n{partial}"
    return code, round(time.perf_counter() - started, 1), str(output)


def last_lines(text: str, n: int = 3) -> str:
    lines = [line for line in text.strip().splitlines() if not line.startswith("WARNING: Location")]
    return "\n".join(lines[-n:])[-600:]


# --- the steps ----------------------------------------------------------------------


def install(env: Environment, venv: Path, wheel: Path, keep: bool) -> dict[str, Any]:
    """Create the venv (or reuse a kept one with the same spec) and install everything."""
    python = find_python(env.python)
    spec = json.dumps(
        [str(python), env.pins, env.lift_torch_cap, [site_pin(t) for t in TEST_TOOLS]]
    )
    stamp = venv / ".compat-spec"
    variables = clean_env(env, venv)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    if keep and stamp.exists() and stamp.read_text() == spec:
        code, seconds, output = run(
            [*pip, "--no-deps", "--force-reinstall", str(wheel)], variables, 600
        )
        return {
            "status": "ok" if code == 0 else "fail",
            "seconds": seconds,
            "reused": True,
            "error": "" if code == 0 else last_lines(output),
        }
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    requirements = [f"dlref[data] @ {wheel.as_uri()}", *env.pins, *PAGE_TOOLS]
    requirements += [site_pin(t) for t in TEST_TOOLS]
    code, _, output = run([*pip, *requirements], variables, 3600)
    seconds = round(time.perf_counter() - started, 1)
    if code == 0:
        stamp.write_text(spec)
    return {
        "status": "ok" if code == 0 else "fail",
        "seconds": seconds,
        "reused": False,
        "disk_mb": round(folder_bytes(venv) / 2**20),
        "error": "" if code == 0 else last_lines(output),
    }


def versions(venv: Path, variables: dict[str, str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, platform\n"
        f"names = {list(REPORTED)!r}\n"
        "out = {'python': platform.python_version()}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'missing'\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], env=variables, capture_output=True, text=True
    )
    return dict(json.loads(result.stdout)) if result.returncode == 0 else {}


def pytest_step(venv: Path, variables: dict[str, str], args: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dlref-compat-") as tmp:
        report = Path(tmp) / "junit.xml"
        cmd = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        filters = ["error", THIRD_PARTY_DEPRECATIONS, TORCH_SELF_WARNING]
        cmd += ["-o", "filterwarnings=" + "\n".join(filters)]
        code, seconds, output = run([*cmd, f"--junitxml={report}", *args], variables, 1800)
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        failures: list[str] = []
        if report.exists():
            for case in ET.parse(report).getroot().iter("testcase"):
                bad = case.find("failure")
                if bad is None:
                    bad = case.find("error")
                if bad is not None:
                    counts["failed"] += 1
                    failures.append(f"{case.get('classname')}::{case.get('name')}")
                elif case.find("skipped") is not None:
                    counts["skipped"] += 1
                else:
                    counts["passed"] += 1
    status = "pass" if code == 0 else "fail"
    return {
        "status": status,
        "seconds": seconds,
        **counts,
        "failures": failures[:20],
        "error": "" if code == 0 else last_lines(output, 6),
    }


PAGE_DRIVER = """
import json, sys
sys.path.insert(0, {repo!r})
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from sitegen.script import run_page
paths = [Path(p) for p in {paths!r}]
with ThreadPoolExecutor(max_workers={jobs}) as pool:
    for name, seconds, checks, error in pool.map(run_page, paths):
        print(json.dumps([name, round(seconds, 1), checks, error]), flush=True)
"""


def pages_step(
    venv: Path, variables: dict[str, str], pages: list[Path], jobs: int
) -> dict[str, Any]:
    driver = PAGE_DRIVER.format(repo=str(REPO), paths=[str(p) for p in pages], jobs=jobs)
    _, seconds, output = run([str(venv / "bin" / "python"), "-c", driver], variables, 3600)
    results: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith("["):
            name, page_seconds, checks, error = json.loads(line)
            results[name.split("/", 1)[1]] = {
                "status": "fail" if error else "pass",
                "seconds": page_seconds,
                "checks": checks,
                "error": error[-300:],
            }
    for path in pages:
        results.setdefault(
            path.stem, {"status": "fail", "seconds": None, "checks": 0, "error": last_lines(output)}
        )
    return {"seconds": seconds, "pages": results}


def check_environment(env: Environment, wheel: Path, args: argparse.Namespace) -> dict[str, Any]:
    venv = WORK / "venvs" / env.name
    variables = clean_env(env, venv)
    head, dirty = commit()
    entry: dict[str, Any] = {
        "name": env.name,
        "about": env.about,
        "pins": list(env.pins),
        "date": date.today().isoformat(),
        "commit": head,
        "dirty": dirty,
    }
    print(f"[{env.name}] installing Python {env.python}, {' '.join(env.pins)} ...", flush=True)
    entry["install"] = install(env, venv, wheel, args.keep)
    entry["versions"] = versions(venv, variables)
    print(
        f"[{env.name}] install: {entry['install']['status']}, {entry['install']['seconds']} s, "
        f"{entry['install'].get('disk_mb', '?')} MB; {entry['versions']}",
        flush=True,
    )
    if entry["install"]["status"] != "ok":
        print(entry["install"]["error"], flush=True)
    else:
        entry["tests"] = pytest_step(venv, variables, library_tests())
        print(f"[{env.name}] library tests: {_summary(entry['tests'])}", flush=True)
        entry["doctest"] = pytest_step(
            venv, variables, ["--markdown-docs", "-m", "markdown-docs", "src/dlref"]
        )
        print(f"[{env.name}] docstring examples: {_summary(entry['doctest'])}", flush=True)
        pages = [p for p in english_pages() if not args.page or p.stem in args.page]
        entry.update(pages_step(venv, variables, pages, args.jobs))
        for slug, page in entry["pages"].items():
            print(
                f"[{env.name}] {slug:<28} {page['status']:<4} {page['seconds']} s "
                f"{page['checks']} checks {page['error']}",
                flush=True,
            )
    if not args.keep:
        shutil.rmtree(venv, ignore_errors=True)
    return entry


def _summary(step: dict[str, Any]) -> str:
    text = (
        f"{step['status']}, {step['passed']} passed, {step['failed']} failed, {step['seconds']} s"
    )
    return text + (f"\n{step['error']}" if step["status"] != "pass" else "")


def passed(entry: dict[str, Any]) -> bool:
    return (
        entry.get("install", {}).get("status") == "ok"
        and entry.get("tests", {}).get("status") == "pass"
        and entry.get("doctest", {}).get("status") == "pass"
        and all(p["status"] == "pass" for p in entry.get("pages", {}).values())
        and bool(entry.get("pages"))
    )


def save(entries: list[dict[str, Any]]) -> None:
    """Replace these environments' entries in the results file, keep the others."""
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    kept = [e for e in old.get("environments", []) if e["name"] not in {x["name"] for x in entries}]
    order = [env.name for env in ENVIRONMENTS]
    merged = sorted(
        kept + entries, key=lambda e: order.index(e["name"]) if e["name"] in order else 99
    )
    data = {
        "about": "Written by `make compat` (sitegen/compat.py); shown on the verification page.",
        "environments": merged,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sitegen.compat",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = [env.name for env in ENVIRONMENTS]
    parser.add_argument("--env", action="append", choices=names, help="only this environment")
    parser.add_argument("--keep", action="store_true", help="keep the venvs (and reuse kept ones)")
    parser.add_argument("--jobs", type=int, default=2, help="pages run at a time")
    parser.add_argument("--page", action="append", help="only this page (a trial; not saved)")
    parser.add_argument("--no-save", action="store_true", help="do not write compat/results.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from sitegen import dist

    wheel = next(p for p in dist.build(WORK / "dist") if p.suffix == ".whl")
    entries: list[dict[str, Any]] = []
    for env in ENVIRONMENTS:
        if args.env and env.name not in args.env:
            continue
        entries.append(check_environment(env, wheel, args))
        if not args.page and not args.no_save:
            save(entries)  # after each environment: an interrupted run keeps what it finished
            print(f"wrote {RESULTS.relative_to(REPO)}", flush=True)
    failed = [e["name"] for e in entries if not passed(e)]
    print("all passed" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

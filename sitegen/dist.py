"""The library as a reader installs it: a wheel and an sdist published with the site.

    python -m sitegen.dist          # build both into .cache/dist (make html does this)

``make html`` builds them from the working tree the site is built from, and the
MkDocs hook copies them into each language's ``dist/`` folder, next to the pages
that link to them. The file names carry only the version from ``pyproject.toml``
(``dlref-0.1.0-py3-none-any.whl``), so a link stays valid for as long as the
version does. The build is offline (``--no-isolation``: setuptools from the
site environment), and the wheel is reproducible: its file times are the time
of the last commit (``SOURCE_DATE_EPOCH``), so the same sources give the same
bytes (the sdist's gzip header still differs from build to build).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / ".cache" / "dist"
SITE_FOLDER = "dist"  # under each language's site root


def version() -> str:
    """The version ``pyproject.toml`` declares (read without a TOML parser: one line)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^version = "([^"]+)"$', text, re.M)
    if found is None:
        raise RuntimeError('pyproject.toml: no `version = "..."` line')
    return found.group(1)


def requires_python() -> str:
    """``requires-python`` from ``pyproject.toml``, as a reader reads it (">=3.10" -> "≥ 3.10")."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^requires-python = "([^"]+)"$', text, re.M)
    if found is None:
        raise RuntimeError('pyproject.toml: no `requires-python = "..."` line')
    return found.group(1).replace(">=", "≥ ")


def wheel_name() -> str:
    return f"dlref-{version()}-py3-none-any.whl"


def sdist_name() -> str:
    return f"dlref-{version()}.tar.gz"


def site_paths() -> dict[str, Path]:
    """Site-relative URI (``dist/<file>``) -> built file, for the wheel and the sdist."""
    return {f"{SITE_FOLDER}/{name}": DIST / name for name in (wheel_name(), sdist_name())}


def _commit_time() -> str:
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        out = ""
    return out or "315532800"  # 1980-01-01, the earliest time a zip file can hold


def build(outdir: Path = DIST) -> list[Path]:
    """Build the sdist, then the wheel from the sdist, into ``outdir`` (emptied first)."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": _commit_time()}
    result = subprocess.run(
        [sys.executable, "-m", "build", "-q", "--no-isolation", "--outdir", str(outdir), str(REPO)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"building the dlref wheel failed:\n{result.stdout}{result.stderr}")
    built = sorted(outdir.iterdir())
    expected = sorted([wheel_name(), sdist_name()])
    if [p.name for p in built] != expected:
        raise RuntimeError(f"expected {expected}, built {[p.name for p in built]}")
    return built


def main() -> int:
    for path in build():
        print(f"built {path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

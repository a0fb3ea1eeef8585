"""What the build verified: the data behind verification.json, the verification
page and the stamp on every chapter."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sitegen import execute as ex

COMPAT_RESULTS = ex.REPO / "compat" / "results.json"  # written by `make compat`
VERSIONED = ("torch", "numpy", "matplotlib", "scikit-learn", "dlref", "mkdocs", "mkdocs-material")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def build_report() -> dict[str, Any]:
    """Every notebook page of both languages, from the execution cache.

    A page whose current version has not been executed is listed with
    ``"status": "not executed"`` (the tests require none).
    """
    pages: list[dict[str, Any]] = []
    for lang in ex.LANGS:
        for path in ex.pages(lang):
            page = ex.load_cached(path, lang)
            entry: dict[str, Any] = {"lang": lang, "page": ex.slug_of(path)}
            if page is None:
                entry.update(status="not executed", checks=0, failed=0, seconds=None)
            else:
                entry.update(
                    status="verified",
                    checks=page.checks,
                    failed=0,
                    seconds=page.seconds,
                    executed_on=page.executed_on,
                    claims=page.claims,
                )
            pages.append(entry)
    all_versions = versions()
    return {
        "torch": all_versions["torch"],
        "device": ex.device_name(),
        "versions": all_versions,
        "pages": pages,
        "compat": compat_results(),
    }


def compat_results() -> list[dict[str, Any]]:
    """The environments ``make compat`` last checked (``compat/results.json``), or none."""
    if not COMPAT_RESULTS.exists():
        return []
    data = json.loads(COMPAT_RESULTS.read_text(encoding="utf-8"))
    return list(data.get("environments", []))


# --- translation freshness ---------------------------------------------------------


@dataclass(frozen=True)
class LastChange:
    commit: str
    day: str  # ISO date


@cache
def last_change(path: Path) -> LastChange | None:
    """The last commit that touched ``path`` (None outside git or if never committed)."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%H %cs", "--", str(path)],
            cwd=ex.REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return LastChange(out[0], out[1]) if len(out) == 2 else None


def newer_translation(slug_path: str, lang: str) -> tuple[str, str] | None:
    """(other language, its date) when the other language's source changed later.

    "Later" means: the two sources were last changed in different commits and
    the other one's commit is more recent, so this page may lag behind it.
    """
    other = "zh" if lang == "en" else "en"
    mine = last_change(ex.DOCS / lang / slug_path)
    theirs = last_change(ex.DOCS / other / slug_path)
    if mine is None or theirs is None or mine.commit == theirs.commit:
        return None
    if _is_ancestor(mine.commit, theirs.commit):
        return other, theirs.day
    return None


@cache
def _is_ancestor(older: str, newer: str) -> bool:
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", older, newer], cwd=ex.REPO, capture_output=True
    )
    return result.returncode == 0

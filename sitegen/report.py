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


@cache  # every chapter's stamp asks; `make preview` forgets it between builds
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


# A change to one language that does not change what the page says (typography, the
# glossary's terms, a smoother phrasing) leaves the other language as current as it
# was. Such a commit says so with this trailer in its message:
NEUTRAL_TRAILER = "Translation-neutral"  # "Translation-neutral: yes"
# and a commit made before it could say so is listed in this file (like
# .git-blame-ignore-revs): "<commit>" for all its files, "<commit> <path> ..." for some.
NEUTRAL_REVS = ex.REPO / ".translation-neutral-revs"


@dataclass(frozen=True)
class LastChange:
    commit: str
    day: str  # ISO date


@dataclass(frozen=True)
class History:
    last: dict[str, LastChange]  # repository path under docs/ -> its last change that counts
    parents: dict[str, tuple[str, ...]]  # every commit reachable from HEAD -> its parents


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=ex.REPO, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None


def neutral_revs(text: str) -> dict[str, frozenset[str] | None]:
    """The commits a ``.translation-neutral-revs`` text lists: commit (or its prefix) ->
    the paths it applies to, or None for all of them. ``#`` starts a comment."""
    found: dict[str, frozenset[str] | None] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            found[words[0]] = frozenset(words[1:]) or None
    return found


def _is_neutral(commit: str, path: str, trailer: str, listed: dict[str, frozenset[str] | None]
                ) -> bool:  # fmt: skip
    if trailer.strip().lower() in ("yes", "true"):
        return True
    for prefix, paths in listed.items():
        if commit.startswith(prefix):
            return paths is None or path in paths
    return False


@cache  # one build asks for every page; `make preview` forgets it between builds
def history() -> History:
    """The last change to each file under ``docs/`` that counts for translation freshness,
    and the commit graph: two git commands for all pages (it was one or two per page).
    Empty outside git."""
    log = _git("log", f"--format=%x00%H %cs %(trailers:key={NEUTRAL_TRAILER},valueonly)",
               "--name-only", "--", str(ex.DOCS))  # fmt: skip
    graph = _git("rev-list", "--parents", "HEAD")
    if log is None or graph is None:
        return History({}, {})
    listed = neutral_revs(NEUTRAL_REVS.read_text(encoding="utf-8")) if NEUTRAL_REVS.exists() else {}
    last: dict[str, LastChange] = {}
    for entry in log.split("\0")[1:]:  # newest first: the first change that counts wins
        head, _, names = entry.partition("\n")
        commit, day, *trailer = head.split(maxsplit=2)
        for name in names.split("\n"):
            if name and name not in last and not _is_neutral(commit, name, " ".join(trailer),
                                                             listed):  # fmt: skip
                last[name] = LastChange(commit, day)
    parents = {line.split()[0]: tuple(line.split()[1:]) for line in graph.splitlines() if line}
    return History(last, parents)


def last_change(path: Path) -> LastChange | None:
    """The last commit that changed ``path`` and counts (None outside git or if never)."""
    try:
        rel = path.resolve().relative_to(ex.REPO.resolve()).as_posix()
    except ValueError:
        return None
    return history().last.get(rel)


def newer_translation(slug_path: str, lang: str) -> tuple[str, str] | None:
    """(other language, its date) when the other language's source changed later.

    "Later" means: the two sources were last changed in different commits and
    the other one's commit descends from this one's, so this page may lag behind it.
    """
    other = "zh" if lang == "en" else "en"
    mine = last_change(ex.DOCS / lang / slug_path)
    theirs = last_change(ex.DOCS / other / slug_path)
    if mine is None or theirs is None or mine.commit == theirs.commit:
        return None
    if mine.commit in _ancestors(theirs.commit):
        return other, theirs.day
    return None


@cache
def _ancestors(commit: str) -> frozenset[str]:
    parents = history().parents
    found: set[str] = set()
    pending = list(parents.get(commit, ()))
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(parents.get(current, ()))
    return frozenset(found)

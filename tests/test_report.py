"""Translation freshness: a page says so when the other language changed later."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sitegen import execute as ex
from sitegen import report


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_newer_translation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    for lang in ex.LANGS:
        (docs / lang).mkdir(parents=True)
        (docs / lang / "page.md").write_text(f"# {lang}\n", encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "both")
    monkeypatch.setattr(ex, "REPO", tmp_path)
    monkeypatch.setattr(ex, "DOCS", docs)
    report.last_change.cache_clear()
    assert report.newer_translation("page.md", "en") is None  # changed together
    assert report.newer_translation("page.md", "zh") is None

    (docs / "en" / "page.md").write_text("# en, revised\n", encoding="utf-8")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "en only")
    report.last_change.cache_clear()
    lagging = report.newer_translation("page.md", "zh")
    assert lagging is not None and lagging[0] == "en"
    assert report.newer_translation("page.md", "en") is None  # the newer one says nothing
    report.last_change.cache_clear()

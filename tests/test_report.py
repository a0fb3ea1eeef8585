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
    report.history.cache_clear()
    report._ancestors.cache_clear()
    assert report.newer_translation("page.md", "en") is None  # changed together
    assert report.newer_translation("page.md", "zh") is None

    (docs / "en" / "page.md").write_text("# en, revised\n", encoding="utf-8")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "en only")
    report.history.cache_clear()
    report._ancestors.cache_clear()
    lagging = report.newer_translation("page.md", "zh")
    assert lagging is not None and lagging[0] == "en"
    assert report.newer_translation("page.md", "en") is None  # the newer one says nothing
    report.history.cache_clear()
    report._ancestors.cache_clear()


def test_a_translation_neutral_change_leaves_the_other_language_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    for lang in ex.LANGS:
        (docs / lang).mkdir(parents=True)
        for name in ("a.md", "b.md"):
            (docs / lang / name).write_text(f"# {lang}\n", encoding="utf-8")
    who = ("-c", "user.name=t", "-c", "user.email=t@t")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, *who, "add", ".")
    _git(tmp_path, *who, "commit", "-qm", "both")
    monkeypatch.setattr(ex, "REPO", tmp_path)
    monkeypatch.setattr(ex, "DOCS", docs)
    monkeypatch.setattr(report, "NEUTRAL_REVS", tmp_path / ".translation-neutral-revs")

    def lags() -> list[str]:
        report.history.cache_clear()
        report._ancestors.cache_clear()
        return [f"{lang}/{name}" for name in ("a.md", "b.md") for lang in ex.LANGS
                if report.newer_translation(name, lang)]  # fmt: skip

    (docs / "zh" / "a.md").write_text("# zh「」\n", encoding="utf-8")
    _git(tmp_path, *who, "commit", "-qam", "zh: quotes\n\nTranslation-neutral: yes")
    assert lags() == []  # the trailer
    for name in ("a.md", "b.md"):
        (docs / "zh" / name).write_text("# zh, typography\n", encoding="utf-8")
    _git(tmp_path, *who, "commit", "-qam", "zh: typography")
    assert lags() == ["en/a.md", "en/b.md"]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    (tmp_path / ".translation-neutral-revs").write_text(
        f"# listed afterwards\n{commit[:7]} docs/zh/a.md  # only this file\n", encoding="utf-8"
    )
    assert lags() == ["en/b.md"]  # the listed file only
    (tmp_path / ".translation-neutral-revs").write_text(f"{commit}\n", encoding="utf-8")
    assert lags() == []
    report.history.cache_clear()  # not this repository's answers for the next test
    report._ancestors.cache_clear()


def test_neutral_revs_format() -> None:
    text = "# comment\n\nabc123  # all files\ndef456 docs/zh/a.md docs/zh/b.md # two\n"
    assert report.neutral_revs(text) == {
        "abc123": None,
        "def456": frozenset({"docs/zh/a.md", "docs/zh/b.md"}),
    }
    assert report.neutral_revs((ex.REPO / ".translation-neutral-revs").read_text())  # parses

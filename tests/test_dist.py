"""The wheel and sdist are rebuilt when, and only when, what they are built from changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import dist


def test_archives_are_reused_until_an_input_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / dist.wheel_name()
    dist.build(tmp_path)
    built = wheel.stat().st_mtime_ns
    assert dist.is_current(tmp_path)
    dist.build(tmp_path)
    assert wheel.stat().st_mtime_ns == built  # reused

    # Anything in the key: here the commit time the archives' file times come from.
    monkeypatch.setattr(dist, "_commit_time", lambda: "315532801")
    assert not dist.is_current(tmp_path)
    dist.build(tmp_path)
    assert wheel.stat().st_mtime_ns != built  # built again
    assert dist.is_current(tmp_path)

    # A file the sdist holds but the key does not read makes the key untrustworthy.
    files = dist._input_files()
    monkeypatch.setattr(dist, "_input_files", lambda: [p for p in files if p.name != "README.md"])
    assert not dist.is_current(tmp_path)


def test_the_key_reads_the_library_and_the_commit_time() -> None:
    key = dist.inputs_key("0")
    assert dist.inputs_key("0") == key
    assert dist.inputs_key("1") != key
    assert any(p.parts[-2:] == ("dlref", "conv.py") for p in dist._input_files())

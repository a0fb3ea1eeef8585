"""Answers kept on disk between processes (sitegen/memo.py): reused only for the same
arguments and the same defining code, bounded, and merged between processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen import execute as ex
from sitegen import memo

MODULE = """
import sys
from sitegen import memo

@memo.on_disk("lengths")
def length(text, extra=("",)):
    with open(sys.argv[1], "a") as log:
        log.write(text + "\\n")  # one line per real call
    return [len(text), {VERSION}]

for word in sys.argv[2:]:
    print(length(word)[0])
"""


def _run(folder: Path, *words: str, version: int = 1) -> list[str]:
    (folder / "lengthy.py").write_text(MODULE.replace("{VERSION}", str(version)))
    env = {**os.environ, "DLREF_MEMO_CACHE": str(folder / "memo"),
           "PYTHONPATH": f"{ex.REPO}{os.pathsep}{folder}"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(folder / "lengthy.py"), str(folder / "calls.log"), *words],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.split()


def _calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    calls = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def test_answers_come_back_in_the_next_process_until_the_code_changes(tmp_path: Path) -> None:
    assert _run(tmp_path, "ab", "abc", "ab") == ["2", "3", "2"]
    assert _calls(tmp_path) == ["ab", "abc"]  # the repeat came from memory
    assert _run(tmp_path, "abc", "abcd") == ["3", "4"]
    assert _calls(tmp_path) == ["abcd"]  # "abc" came from the file
    assert _run(tmp_path, "abc", version=2) == ["3"]
    assert _calls(tmp_path) == ["abc"]  # the function's module changed: computed again


def test_a_file_keeps_the_answers_used_last_and_what_others_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "MEMO", tmp_path)
    monkeypatch.setattr(memo, "LIMIT", 3)

    def double(text: str) -> str:
        return text * 2

    first = memo.on_disk("double")(double)
    for word in "abcd":
        first(word)
    first.memo.save()  # type: ignore[attr-defined]
    stored = json.loads((tmp_path / "double.json").read_text())
    assert sorted(stored.values()) == ["aa", "bb", "cc", "dd"]  # all four used: all kept

    second = memo.on_disk("double")(double)  # another process, same code
    assert second("d") == "dd"
    assert second("e") == "ee"
    second.memo.save()  # type: ignore[attr-defined]
    stored = json.loads((tmp_path / "double.json").read_text())
    assert list(stored.values())[:2] == ["dd", "ee"] and len(stored) == 3  # used ones first


def test_arguments_are_told_apart_exactly() -> None:
    keeper = memo._Memo("x", b"salt")
    assert keeper.key(("ab", "c")) != keeper.key(("a", "bc"))
    assert keeper.key(("a",)) != keeper.key((b"a",))
    assert keeper.key((("a", b"b"),)) != keeper.key(("a", b"b"))
    with pytest.raises(TypeError, match="not int"):
        keeper.key((1,))

"""Answers of the build's pure functions of source text, kept between processes.

A warm build parses the same page code and library modules as the build before
it did: which ``dlref`` modules a source imports (``execute``) and which
documented functions a page's code uses (``apilinks``), about a fifth of a
warm build. ``@on_disk(name)`` keeps such answers in ``.cache/memo/<name>.json``
(or under ``$DLREF_MEMO_CACHE``), keyed on a digest of the arguments and of the
file that defines the function: an edit to the function, or to anything beside
it in its module, starts afresh. Arguments are ``str``, ``bytes`` or tuples of
them; answers are JSON values.

A file holds at most ``LIMIT`` answers, those this process used first. It is
written when the process exits, merged with what another process (the other
language's build) wrote meanwhile, and replaced atomically.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
MEMO = Path(os.environ.get("DLREF_MEMO_CACHE") or REPO / ".cache" / "memo")
LIMIT = 4096
Answer = TypeVar("Answer")


def _feed(digest: Any, value: object) -> None:
    """Add ``value`` to ``digest`` unambiguously (type and length before the bytes)."""
    if isinstance(value, tuple):
        digest.update(b"t%d:" % len(value))
        for item in value:
            _feed(digest, item)
        return
    if isinstance(value, str):
        data, tag = value.encode(), b"s"
    elif isinstance(value, bytes):
        data, tag = value, b"b"
    else:
        raise TypeError(f"memo.on_disk takes str, bytes and tuples, not {type(value).__name__}")
    digest.update(tag + b"%d:" % len(data) + data)


def read_entries(path: Path) -> dict[str, Any]:
    """A cache file's entries; none when it is missing or unreadable (a cache, not a record)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_entries(path: Path, entries: dict[str, Any]) -> None:
    """Replace a cache file at once: a reader, or a build killed halfway, never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


class _Memo:
    def __init__(self, name: str, salt: bytes) -> None:
        self.path = MEMO / f"{name}.json"
        self.salt = salt
        self.loaded: dict[str, Any] | None = None
        self.used: dict[str, Any] = {}
        self.new = False

    def key(self, args: tuple[object, ...]) -> str:
        digest = hashlib.sha256(self.salt)
        _feed(digest, args)
        return digest.hexdigest()

    def get(self, key: str) -> Any:
        if key in self.used:
            return self.used[key]
        if self.loaded is None:
            self.loaded = read_entries(self.path)
        answer = self.loaded[key]  # KeyError: not known
        self.used[key] = answer
        self.new = True  # its place moves to the front
        return answer

    def put(self, key: str, answer: Any) -> None:
        self.used[key] = answer
        self.new = True

    def save(self) -> None:
        if not self.new:
            return
        merged = dict(self.used)
        for key, answer in read_entries(self.path).items():
            if len(merged) >= LIMIT:
                break
            merged.setdefault(key, answer)
        write_entries(self.path, merged)
        self.new = False


def on_disk(name: str) -> Callable[[Callable[..., Answer]], Callable[..., Answer]]:
    """Keep the answers of a pure function of its (text) arguments on disk; see above."""

    def decorate(function: Callable[..., Answer]) -> Callable[..., Answer]:
        defined_in = Path(inspect.getsourcefile(function) or "")
        salt = f"{name}\0{function.__qualname__}\0".encode() + defined_in.read_bytes()
        memo = _Memo(name, salt)
        atexit.register(memo.save)

        @functools.wraps(function)
        def remembered(*args: object) -> Answer:
            key = memo.key(args)
            try:
                answer: Answer = memo.get(key)
            except KeyError:
                answer = function(*args)
                memo.put(key, answer)
            return answer

        remembered.memo = memo  # type: ignore[attr-defined]
        return remembered

    return decorate

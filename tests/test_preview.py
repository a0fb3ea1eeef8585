"""`make preview` (sitegen/preview.py) on a copy of the sources: real edits, served pages change.

A code-cell edit executes that page (a printed timestamp shows the run), a prose
edit re-renders it without executing (the timestamp stays), a failing cell prints
``docs/en/<slug>.md:<line>: ...`` and the last good page stays served. Both
languages are served at their real URLs with the language switcher. The
repository itself is never edited: the sources and the execution cache are
copied into a temporary folder.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen import execute as ex

pytestmark = pytest.mark.site

COPIED = ("docs", "src", "sitegen", "overrides", "requirements", "mkdocs.yml", "mkdocs.zh.yml",
          "pyproject.toml", "README.md", ".cache/exec", ".cache/dist", ".cache/warm")  # fmt: skip
TIMEOUT_S = 300


def _fastest_english_page() -> str:
    seconds = {}
    for file in (ex.CACHE / "en").glob("*.json"):
        data = json.loads(file.read_text(encoding="utf-8"))
        seconds[data["slug"]] = min(seconds.get(data["slug"], 1e9), data["seconds"])
    current = {ex.slug_of(p) for p in ex.pages("en")}
    return min((s for s in seconds if s in current), key=lambda s: seconds[s])


class Preview:
    def __init__(self, repo: Path, port: int, log: Path) -> None:
        self.repo, self.url, self.log = repo, f"http://127.0.0.1:{port}", log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return str(response.read().decode("utf-8"))

    def wait_for(self, what: str, test: object, timeout: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test():  # type: ignore[operator]
                return
            time.sleep(0.3)
        pytest.fail(f"timed out waiting for {what}; preview printed:\n{self.output()[-4000:]}")


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    repo = tmp_path_factory.mktemp("preview") / "repo"
    for name in COPIED:
        source = ex.REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = repo.parent / "preview.log"
    command = [sys.executable, "-m", "sitegen.preview", "--port", str(port),
               "--folder", str(repo.parent / "build"), "--no-strict"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=repo, stdout=out, stderr=subprocess.STDOUT)
    running = Preview(repo, port, log)
    try:
        running.wait_for("the first build", lambda: "serving http" in running.output())
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_both_languages_at_their_real_urls_with_the_switcher(preview: Preview) -> None:
    english, chinese = preview.get("/"), preview.get("/zh/")
    assert '<html lang="en"' in english and '<html lang="zh"' in chinese
    assert "livereload(" in english and "livereload(" in chinese  # the reload script
    slug = _fastest_english_page()
    page = preview.get(f"/{slug}/")
    switcher = re.search(r'<a href="([^"]+)" hreflang="zh"', page)
    assert switcher is not None
    target = urllib.request.urljoin(f"{preview.url}/{slug}/", switcher.group(1))
    assert target == f"{preview.url}/zh/{slug}/"
    assert '<html lang="zh"' in preview.get(f"/zh/{slug}/")


def test_edits_rebuild_and_only_code_edits_execute(preview: Preview) -> None:
    slug = _fastest_english_page()
    source = preview.repo / "docs" / "en" / f"{slug}.md"
    original = source.read_text(encoding="utf-8")
    token = f"preview-{time.time_ns()}"

    # 1. a code-cell edit: the page executes again, in English only
    cell = f'```python\nimport time\nprint("{token}", time.time_ns())\n```\n'
    source.write_text(original + "\n" + cell, encoding="utf-8")
    stamp = re.compile(f"{token} (\\d+)")
    preview.wait_for("the code edit", lambda: stamp.search(preview.get(f"/{slug}/")))
    first_run = stamp.search(preview.get(f"/{slug}/"))
    assert first_run is not None
    assert stamp.search(preview.get(f"/zh/{slug}/")) is None

    # 2. a prose edit: re-rendered, not executed (the printed time stays the same)
    builds = preview.output().count("en: built")
    prose = f"Prose written during the preview test, {token}."
    source.write_text(original + f"\n{prose}\n\n" + cell, encoding="utf-8")
    preview.wait_for("the prose edit", lambda: prose in preview.get(f"/{slug}/"))
    again = stamp.search(preview.get(f"/{slug}/"))
    assert again is not None and again.group(1) == first_run.group(1), "the page executed again"
    assert preview.output().count("en: built") == builds + 1
    assert "zh: built" not in preview.output().split("changed: ")[-1]

    # 3. a failing cell: file:line: message in the terminal, the last good page served
    failing = original + f"\n{prose}\n\n```python\nraise ValueError('{token}')\n```\n"
    source.write_text(failing, encoding="utf-8")
    line = failing.split("\n").index(f"raise ValueError('{token}')") + 1
    expected = f"docs/en/{slug}.md:{line}: ValueError: {token}"
    preview.wait_for("the failure report", lambda: "en: build failed" in preview.output())
    assert expected in preview.output()
    page = preview.get(f"/{slug}/")
    assert prose in page and stamp.search(page) is not None

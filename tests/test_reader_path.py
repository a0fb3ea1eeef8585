"""The reader's path: install dlref from the served site, run downloaded notebooks.

The built site is served over HTTP on 127.0.0.1. A virtual environment that
holds only the pinned torch and what runs a notebook (nbclient, nbformat,
ipykernel) installs dlref with the command the home page shows, the wheel's
address resolved against the page's URL as the page's script does in a browser.
Then one chapter per language is downloaded through its stamp's link and run
top to bottom with nbclient, in an empty folder, with nothing of the repository
on the path: no error, and as many check badges as the build recorded.

Creating that environment costs about a minute (torch from the wheel on disk),
so it is kept in ``.cache/reader-venv`` and reused while the pins are the same;
every run removes dlref from it and installs it again from the served site.
``DLREF_READER_FRESH=1`` makes a new one.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from sitegen import dist
from sitegen.execute import CHECK_MIME, REPO
from tests import sitecheck

pytestmark = pytest.mark.site

# The built site; DLREF_TEST_SITE points at a build made into another folder.
SITE = Path(os.environ.get("DLREF_TEST_SITE", str(sitecheck.SITE)))

# Short chapters (about 2 s each in the build), a different one per language.
CHAPTERS = {"en": "tensors", "zh": "shapes"}
READER_VENV = REPO / ".cache" / "reader-venv"
RUNNER = ("nbclient", "nbformat", "ipykernel")
TIMEOUT_S = 900

RUN_NOTEBOOK = f"""
import json, sys
import nbclient, nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
print(json.dumps({{
    "checks": sum({CHECK_MIME!r} in o.get("data", {{}}) for o in outputs),
    "errors": sum(o.output_type == "error" for o in outputs),
    "first_cell": notebook.cells[0].source,
}}))
"""


@pytest.fixture(scope="module", autouse=True)
def built_site() -> None:
    if not (SITE / "index.html").exists() or not (SITE / "zh" / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first")


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The site's root URL, served from a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def site_pin(name: str) -> str:
    for line in (REPO / "requirements" / "site.txt").read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(f"{name.lower()}=="):
            return line.strip()
    raise AssertionError(f"requirements/site.txt pins no {name}")


def reader_env() -> dict[str, str]:
    """The environment of a reader's shell: nothing of the repository on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{READER_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def sh(*cmd: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=reader_env(), capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, f"{shlex.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def reader_python() -> Path:
    """A venv with only the pinned torch and the notebook runner (kept while the pins are)."""
    pins = [site_pin("torch"), *(site_pin(name) for name in RUNNER)]
    key = hashlib.sha256(json.dumps([sys.version, pins]).encode()).hexdigest()
    stamp = READER_VENV / ".pins"
    python = READER_VENV / "bin" / "python"
    fresh = os.environ.get("DLREF_READER_FRESH") == "1"
    if fresh or not stamp.exists() or stamp.read_text() != key:
        shutil.rmtree(READER_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(READER_VENV)], check=True)
        sh(str(python), "-m", "pip", "install", "-q", *pins)
        stamp.write_text(key)
    return python


class _Links(HTMLParser):
    """Every <a href>, with its class, and the text of the install command."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.command = ""
        self._box = self._pre = self._code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append((str(a["href"]), a.get("class") or ""))
        if tag == "div" and "dlref-install" in (a.get("class") or ""):
            self._box = True
        self._pre = self._pre or (self._box and tag == "pre")
        self._code = self._code or (self._pre and tag == "code")  # the script's `pre code`

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._code:
            self._box = self._pre = self._code = False

    def handle_data(self, data: str) -> None:
        if self._code:
            self.command += data


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
    return body


def links_of(url: str) -> _Links:
    parser = _Links()
    parser.feed(fetch(url).decode("utf-8"))
    return parser


def install_command(home: str) -> tuple[list[str], str]:
    """The home page's install command, with the address a browser gives the wheel link."""
    page = links_of(home)
    wheel = next(href for href, cls in page.links if "dlref-wheel" in cls)
    url = urljoin(home, wheel)  # what `link.href` is in the page's script
    command = re.sub(r'@ [^"]*\.whl', f"@ {url}", page.command.strip())
    assert url in command, f"the script's substitution finds no wheel address in {command!r}"
    return shlex.split(command), url


@pytest.mark.parametrize("lang", sorted(CHAPTERS))
def test_a_reader_installs_from_the_site_and_runs_a_downloaded_notebook(
    lang: str, served: str, reader_python: Path, tmp_path: Path
) -> None:
    root = served if lang == "en" else urljoin(served, "zh/")
    argv, wheel_url = install_command(root)
    assert argv[:2] == ["pip", "install"], argv
    sh(str(reader_python), "-m", "pip", "uninstall", "-q", "-y", "dlref")
    sh(str(reader_python), "-m", *argv[:2], "-q", *argv[2:])
    origin = sh(
        str(reader_python),
        "-c",
        "import importlib.metadata as m; print(m.distribution('dlref').read_text('direct_url.json'))",  # noqa: E501
        cwd=tmp_path,
    )
    assert json.loads(origin)["url"] == wheel_url

    chapter = urljoin(root, f"{CHAPTERS[lang]}/")
    notebook_href = next(h for h, _ in links_of(chapter).links if h.endswith(".ipynb"))
    folder = tmp_path / "reader"
    folder.mkdir()
    notebook = folder / f"{CHAPTERS[lang]}.ipynb"
    notebook.write_bytes(fetch(urljoin(chapter, notebook_href)))
    out = json.loads(sh(str(reader_python), "-c", RUN_NOTEBOOK, notebook.name, cwd=folder))

    report = json.loads((SITE / "verification.json").read_text(encoding="utf-8"))
    built = next(p for p in report["pages"] if (p["lang"], p["page"]) == (lang, CHAPTERS[lang]))
    assert out["errors"] == 0
    assert out["checks"] == built["checks"] > 0
    assert dist.wheel_name() in out["first_cell"]
    assert not re.search(r"^\s*[!%]", out["first_cell"], re.M), "a shell magic in the first cell"


def test_the_published_wheel_holds_the_library_the_site_was_built_with() -> None:
    wheels = [
        SITE / dist.SITE_FOLDER / dist.wheel_name(),
        SITE / "zh" / dist.SITE_FOLDER / dist.wheel_name(),
    ]
    assert wheels[0].read_bytes() == wheels[1].read_bytes()
    assert (SITE / dist.SITE_FOLDER / dist.sdist_name()).is_file()
    with zipfile.ZipFile(wheels[0]) as wheel:
        packaged = {n: wheel.read(n) for n in wheel.namelist() if n.startswith("dlref/")}
    library = {
        f"dlref/{p.relative_to(REPO / 'src' / 'dlref').as_posix()}": p.read_bytes()
        for p in (REPO / "src" / "dlref").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert packaged == library


@pytest.mark.browser
def test_the_page_script_puts_the_wheels_address_into_the_command(served: str) -> None:
    """What the copy button copies on the home page and the API index, in Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.sitecheck import CHROMIUM, CHROMIUM_FLAGS

    pages = ["", "api/", "zh/", "zh/api/"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            for path in pages:
                page = browser.new_page()
                page.goto(urljoin(served, path))
                command = page.locator(".dlref-install pre code").inner_text().strip()
                root = urljoin(served, "zh/" if path.startswith("zh/") else "")
                wheel = f"{root}{dist.SITE_FOLDER}/{dist.wheel_name()}"
                assert command == f'pip install "dlref[data] @ {wheel}"', path
                page.close()
        finally:
            browser.close()

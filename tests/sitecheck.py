"""Helpers for tests that read the built site in site/."""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from sitegen.execute import REPO

SITE = REPO / "site"
ORIGIN = "http://dlref.test"


@dataclass
class ParsedPage:
    lang: str = ""
    ids: set[str] = field(default_factory=set)
    anchors: list[str] = field(default_factory=list)  # <a href>
    resources: list[str] = field(default_factory=list)  # img/script src, link href
    images: list[tuple[str, str | None]] = field(default_factory=list)  # (src, alt)
    switcher: dict[str, str] = field(default_factory=dict)  # hreflang -> href


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = ParsedPage()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.page.ids.add(str(a["id"]))
        if tag == "html":
            self.page.lang = a.get("lang") or ""
        elif tag == "a" and a.get("href") is not None:
            self.page.anchors.append(str(a["href"]))
            if "md-select__link" in (a.get("class") or ""):
                self.page.switcher[str(a.get("hreflang"))] = str(a["href"])
        elif tag in ("img", "script", "iframe", "source") and a.get("src"):
            self.page.resources.append(str(a["src"]))
            if tag == "img":
                self.page.images.append((str(a["src"]), a.get("alt")))
        elif tag == "link" and a.get("href"):
            self.page.resources.append(str(a["href"]))


@cache
def parse(path: Path) -> ParsedPage:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.page


def html_files() -> list[Path]:
    return sorted(SITE.rglob("*.html"))


def url_of(path: Path) -> str:
    rel = path.relative_to(SITE).as_posix()
    return f"{ORIGIN}/{rel}"


def resolve(page: Path, href: str) -> tuple[Path | None, str]:
    """The file an internal link points to (None if external) and its fragment."""
    absolute = urljoin(url_of(page), href)
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None, ""
    target = SITE / unquote(parts.path).lstrip("/")
    if parts.path.endswith("/") or (not target.exists() and (target / "index.html").exists()):
        target = target / "index.html"
    return target, unquote(parts.fragment)


def is_external(href: str) -> bool:
    return urlsplit(href).scheme in ("http", "https") or href.startswith("//")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A built site served on 127.0.0.1 from a thread; yields its base URL."""
    if not (folder / "zh" / "index.html").exists():
        pytest.fail(f"{folder} is not built: run `make site` first")
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def chromium(width: int, height: int) -> Iterator[Any]:
    """Debian's headless Chromium under Playwright, with a fresh profile."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-system-deps.sh")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="dlref-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                headless=True, viewport={"width": width, "height": height},
            )  # fmt: skip
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

"""Every page in headless Chromium: no console error, no failed or off-site request,
images decoded, math typeset; the language switcher and Chinese search work."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.sitecheck import SITE, html_files

pytestmark = [pytest.mark.site, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
SCREENSHOTS = os.environ.get("DLREF_SCREENSHOTS")  # a folder: save one screenshot per page


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "zh" / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first")
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-system-deps.sh")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="dlref-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS,
            headless=True, viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def page_urls(server: str) -> list[str]:
    urls = []
    for path in html_files():
        rel = path.relative_to(SITE).as_posix()
        if rel.endswith("404.html"):
            continue
        urls.append(f"{server}/{rel.removesuffix('index.html')}")
    return urls


CHECK_PAGE = """async () => {
  const images = [...document.querySelectorAll('article img')];
  const broken = [];
  await Promise.all(images.map(async (img) => {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) { broken.push(img.getAttribute('src')); }
    if (!img.naturalWidth) broken.push(img.getAttribute('src'));
  }));
  return {
    images: images.length,
    broken,
    math: document.querySelectorAll('.arithmatex').length,
    typeset: document.querySelectorAll('.arithmatex .katex').length,
    mathErrors: document.querySelectorAll('.katex-error').length,
  };
}"""


def test_every_page_loads_cleanly(server: str, browser: Any) -> None:
    host = urlsplit(server).netloc
    problems: list[str] = []
    page = browser.new_page()
    current = {"url": ""}
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"{current['url']}: console: {m.text}"),
    )
    page.on("pageerror", lambda e: problems.append(f"{current['url']}: page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"{current['url']}: failed: {r.url}"))

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc != host and not route.request.url.startswith("data:"):
            problems.append(f"{current['url']}: request to another host: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    urls = page_urls(server)
    pages_with_math = 0
    for url in urls:
        current["url"] = url
        page.goto(url, wait_until="networkidle")
        result = page.evaluate(CHECK_PAGE)
        if result["broken"]:
            problems.append(f"{url}: images not decoded: {result['broken']}")
        if result["math"]:
            pages_with_math += 1
            if result["typeset"] != result["math"] or result["mathErrors"]:
                problems.append(f"{url}: math typeset {result['typeset']}/{result['math']}")
        if SCREENSHOTS:
            name = urlsplit(url).path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=False)
    page.close()
    assert not problems, "\n".join(problems[:30])
    assert len(urls) >= 4 and pages_with_math >= 1


def test_switcher_click_lands_on_the_same_page(server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{server}/verification/", wait_until="networkidle")
    page.hover(".md-header__option .md-select")
    page.click("a.md-select__link[hreflang='zh']")
    page.wait_for_url(f"{server}/zh/verification/")
    page.hover(".md-header__option .md-select")
    page.click("a.md-select__link[hreflang='en']")
    page.wait_for_url(f"{server}/verification/")
    page.close()


@pytest.mark.parametrize(
    ("start", "query"), [("/zh/", "验证"), ("/zh/", "卷积"), ("/", "verification")]
)
def test_search_finds_pages(server: str, browser: Any, start: str, query: str) -> None:
    page = browser.new_page()
    page.goto(server + start, wait_until="networkidle")
    page.fill("input.md-search__input", query)
    page.keyboard.press("End")  # Material's search listens to key events
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    assert page.locator(".md-search-result__item").count() > 0
    page.close()

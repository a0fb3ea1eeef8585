"""Every page in headless Chromium: no console error, no failed or off-site request,
images decoded, math typeset; the language switcher and Chinese search work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.sitecheck import (
    SITE,
    chromium,
    html_files,
    served,
)

pytestmark = [pytest.mark.site, pytest.mark.browser]

SCREENSHOTS = os.environ.get("DLREF_SCREENSHOTS")  # a folder: save one screenshot per page


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with served(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(1280, 900) as context:
        yield context


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

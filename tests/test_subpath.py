"""The built site under a sub-path, as on a project page (https://<user>.github.io/dlref/).

Every page loads with nothing requested outside the prefix, links and anchors stay
under it, figures decode, maths is typeset, search works in both languages, the
switcher keeps the page, and the notebook downloads are there."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.sitecheck import SITE, QuietHandler
from tests.test_browser import CHECK_PAGE, browser, page_urls

pytestmark = [pytest.mark.site, pytest.mark.browser]
PREFIX = "/dlref/"
__all__ = ["browser"]  # the Chromium fixture of test_browser.py, shared


class _UnderPrefix(QuietHandler):
    """Serves site/ at PREFIX and nothing anywhere else (a request outside it is a 404)."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX):
            return str(SITE / "no-such-file")
        return super().translate_path("/" + path[len(PREFIX) :])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "zh" / "index.html").exists():
        pytest.fail("site/ is not built: run `make site` first")

    def handler(*args: Any) -> _UnderPrefix:
        return _UnderPrefix(*args, directory=str(SITE))

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}{PREFIX.rstrip('/')}"
    httpd.shutdown()
    httpd.server_close()


LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


def test_every_page_works_under_the_prefix(server: str, browser: Any) -> None:
    origin = server[: -len(PREFIX.rstrip("/"))]
    problems: list[str] = []
    page = browser.new_page()
    current = {"url": ""}

    def note(what: str) -> None:
        problems.append(f"{current['url']}: {what}")

    page.on("console", lambda m: m.type == "error" and note(f"console: {m.text}"))
    page.on("pageerror", lambda e: note(f"page error: {e}"))
    page.on("requestfailed", lambda r: note(f"failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and note(f"{r.status} {r.url}"))

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or url.startswith(origin + PREFIX):
            route.continue_()
        else:
            problems.append(f"{current['url']}: request outside {PREFIX}: {url}")
            route.abort()

    page.route("**/*", guard)
    for url in page_urls(server):
        current["url"] = url
        page.goto(url, wait_until="networkidle")
        result = page.evaluate(CHECK_PAGE)
        if result["broken"]:
            problems.append(f"{url}: images not decoded: {result['broken']}")
        if result["typeset"] != result["math"] or result["mathErrors"]:
            problems.append(f"{url}: math typeset {result['typeset']}/{result['math']}")
        for link in page.evaluate(LINKS):
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" == origin and not parts.path.startswith(PREFIX):
                problems.append(f"{url}: link outside {PREFIX}: {link}")
            anchor = unquote(parts.fragment)
            here = link.startswith(url + "#") and anchor
            if here and not page.evaluate("(id) => !!document.getElementById(id)", anchor):
                problems.append(f"{url}: no anchor #{anchor}")
    page.close()
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize(("start", "query"), [("/", "verification"), ("/zh/", "卷积")])
def test_search_under_the_prefix(server: str, browser: Any, start: str, query: str) -> None:
    page = browser.new_page()
    page.goto(server + start, wait_until="networkidle")
    page.fill("input.md-search__input", query)
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    hrefs = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert hrefs and all(urlsplit(h).path.startswith(PREFIX) for h in hrefs), hrefs[:5]
    page.close()


def test_switcher_and_notebook_download_under_the_prefix(server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{server}/tensors/", wait_until="networkidle")
    page.hover(".md-header__option .md-select")
    page.click("a.md-select__link[hreflang='zh']")
    page.wait_for_url(f"{server}/zh/tensors/")
    for lang_root in ("", "/zh"):
        page.goto(f"{server}{lang_root}/tensors/", wait_until="networkidle")
        link = page.eval_on_selector("a[href$='notebooks/tensors.ipynb']", "a => a.href")
        expected = PREFIX + ("zh/" if lang_root else "") + "notebooks/tensors.ipynb"
        assert urlsplit(link).path == expected
        response = page.request.get(link)
        assert response.status == 200
        notebook = json.loads(response.text())
        assert notebook["nbformat"] == 4
        assert any(c["cell_type"] == "code" and c["outputs"] for c in notebook["cells"])
    page.close()

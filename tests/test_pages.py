"""Every page, in both languages, as a test: executed through the build's own
executor and cache, so after `make site` these are cache hits, and on their own
(`pytest tests/test_pages.py -k activations`) they execute the page and report
a failure as ``docs/<lang>/<slug>.md:<line>: <error>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen import execute as ex

pytestmark = pytest.mark.site

PAGES = [(lang, path) for lang in ex.LANGS for path in ex.pages(lang)]


@pytest.mark.parametrize(
    ("lang", "path"), PAGES, ids=[f"{lang}/{ex.slug_of(path)}" for lang, path in PAGES]
)
def test_page_runs_and_verifies_its_claims(lang: str, path: Path) -> None:
    try:
        page = ex.execute(path, lang)
    except ex.PageError as err:
        pytest.fail(str(err), pytrace=False)
    assert page.checks >= 3, f"{ex.display_path(path)} verifies only {page.checks} claims"
    assert page.checks == len(page.claims)

"""Canonical links and the sitemap: right when DLREF_SITE_URL is set, absent when it is not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen import execute as ex
from sitegen.hosting import site_url
from tests.sitecheck import SITE

BASE = "https://example.test/dlref/"
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]*)"')


def test_one_variable_gives_both_languages_their_address() -> None:
    assert site_url(BASE, "en") == BASE and site_url(BASE, "zh") == BASE + "zh/"
    assert site_url("https://example.test/dlref", "zh") == "https://example.test/dlref/zh/"
    assert site_url("", "zh") == ""


@pytest.mark.site
def test_without_an_address_nothing_is_made_up() -> None:
    for root in (SITE, SITE / "zh"):
        assert "<loc>" not in (root / "sitemap.xml").read_text(encoding="utf-8")
        for page in root.glob("*/index.html"):
            assert not CANONICAL.search(page.read_text(encoding="utf-8")), page


@pytest.mark.site
def test_with_an_address_canonical_links_and_sitemaps_are_right(tmp_path: Path) -> None:
    env = {**os.environ, "DLREF_SITE_URL": BASE, "NO_MKDOCS_2_WARNING": "1"}
    for lang, config in (("en", "mkdocs.yml"), ("zh", "mkdocs.zh.yml")):
        out = tmp_path / lang
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-q", "-f", config, "-d", str(out)],
            cwd=ex.REPO, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        root = BASE + ("" if lang == "en" else "zh/")
        locs = re.findall(r"<loc>([^<]*)</loc>", (out / "sitemap.xml").read_text("utf-8"))
        slugs = [ex.slug_of(p) for p in ex.pages(lang)]
        assert root in locs and all(f"{root}{slug}/" in locs for slug in slugs)
        assert all(loc.startswith(root) for loc in locs)
        for slug in slugs:
            found = CANONICAL.search((out / slug / "index.html").read_text("utf-8"))
            assert found is not None and found.group(1) == f"{root}{slug}/"
        # the 404 page is served at any depth, so its links start at the sub-path
        assets = re.findall(r'href="([^"]*assets/[^"]*)"', (out / "404.html").read_text("utf-8"))
        prefix = "/dlref/" + ("" if lang == "en" else "zh/")
        assert assets and all(a.startswith(prefix + "assets/") for a in assets), assets[:3]
        notebook = (out / "notebooks" / f"{slugs[0]}.ipynb").read_text(encoding="utf-8")
        assert f"{root}dist/dlref-" in notebook  # the install command's full wheel address

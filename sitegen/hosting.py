"""MkDocs hook: where the site is hosted, from one variable.

Named in ``mkdocs.yml`` under ``hooks:``. ``DLREF_SITE_URL`` is the address of
the English home page, e.g. ``https://<user>.github.io/dlref/``; the Chinese
site is under it at ``zh/``. When it is set, each page gets its canonical link,
``sitemap.xml`` lists every page, the 404 page finds its styles under any
sub-path and a downloaded notebook's install command carries the wheel's full
address. When it is unset (a local build, a preview, a host whose address is
not known yet) all of these are left out rather than made up: every other link
of the site is relative, so the site works wherever it is copied.
"""

from __future__ import annotations

import os

from mkdocs.config.defaults import MkDocsConfig

VARIABLE = "DLREF_SITE_URL"
LANGUAGE_ROOTS = {"en": "", "zh": "zh/"}


def site_url(base: str, lang: str) -> str:
    """The ``site_url`` of one language, given the English site's address."""
    base = base.strip()
    if not base:
        return ""
    return base.rstrip("/") + "/" + LANGUAGE_ROOTS[lang]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    base = os.environ.get(VARIABLE, "")
    if base.strip():
        config.site_url = site_url(base, str(config.theme["language"]))
    return config

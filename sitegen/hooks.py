"""MkDocs hooks: execute notebook pages (through the cache) and render them.

Named in ``mkdocs.yml`` under ``hooks:``. Every notebook page is executed (or
taken from the cache) when MkDocs collects files, so its figures and
downloadable notebook can be registered as site files; a failing page stops
the build with ``file:line: what went wrong``.
"""

from __future__ import annotations

import posixpath
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from sitegen import execute as ex
from sitegen.render import render

_rendered: dict[str, str] = {}  # src_uri -> Markdown
_executed: dict[str, ex.ExecutedPage] = {}


def _lang(config: MkDocsConfig) -> str:
    lang = str(config.theme["language"])
    if lang not in ex.LANGS:
        raise PluginError(f"theme.language is {lang!r}; dlref builds only {ex.LANGS}")
    return lang


def on_files(files: Files, config: MkDocsConfig) -> Files:
    lang = _lang(config)
    _rendered.clear()
    _executed.clear()
    for file in list(files.documentation_pages()):
        path = Path(file.abs_src_path or "")
        if not ex.is_notebook_page(path):
            continue
        try:
            page = ex.execute(path, lang)
        except ex.PageError as err:
            raise PluginError(str(err)) from None
        _executed[file.src_uri] = page
        result = render(page.notebook, page.slug, lang)
        page_dir = posixpath.dirname(file.src_uri)
        markdown = result.markdown
        for name, png in result.figures.items():
            uri = posixpath.join("figures", name)
            files.append(File.generated(config, uri, content=png))
            markdown = markdown.replace(
                f"]({name})", f"]({posixpath.relpath(uri, page_dir or '.')})"
            )
        notebook_uri = posixpath.join("notebooks", f"{page.slug}.ipynb")
        notebook_text = nbformat.writes(nbformat.from_dict(page.notebook))
        files.append(File.generated(config, notebook_uri, content=notebook_text))
        _rendered[file.src_uri] = markdown
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return _rendered.get(page.file.src_uri, markdown)


def executed_pages() -> dict[str, Any]:
    """For tests and other hooks: the pages this build executed or loaded."""
    return dict(_executed)

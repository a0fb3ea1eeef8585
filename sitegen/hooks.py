"""MkDocs hooks: execute notebook pages (through the cache) and render them.

Named in ``mkdocs.yml`` under ``hooks:``. Every notebook page is executed (or
taken from the cache) when MkDocs collects files, so its figures and
downloadable notebook can be registered as site files; a failing page stops
the build with ``file:line: what went wrong``.
"""

from __future__ import annotations

import json
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

from sitegen import apilinks, report, widgets
from sitegen import execute as ex
from sitegen.render import render, slim_html

VERIFICATION_MARKER = "<!-- dlref:verification -->"
STAMP = {
    "en": "✓ Verified on {day}: {checks} checks passed, torch {torch}, dlref {dlref}, "
    "on {device}. [Download this page as a notebook]({notebook})",
    "zh": "✓ 已于 {day} 验证：{checks} 项检查全部通过，torch {torch}，dlref {dlref}，"
    "设备 {device}。[下载本页的 notebook]({notebook})",
}
USES = {"en": "Library functions used on this page:", "zh": "本页用到的库函数："}
# On every page; listing them would only bury the ones that carry the idea.
PLUMBING = {"dlref.checks.check", "dlref.checks.check_close", "dlref.runtime.seed",
            "dlref.plot.figure", "dlref.plot.show", "dlref.report.table"}  # fmt: skip
API_BACK = {"en": "[← Library API](../api.md)", "zh": "[← 库的 API](../api.md)"}
LAGGING = {
    "en": "The Chinese version of this page was changed later, on {day}; "
    "this English version may lag behind it.",
    "zh": "本页的英文版在 {day} 有更新，晚于中文版；中文版可能尚未同步。",
}

_rendered: dict[str, str] = {}  # src_uri -> Markdown
_executed: dict[str, ex.ExecutedPage] = {}
_report: dict[str, Any] = {}  # this build's report, made once in on_files


def _lang(config: MkDocsConfig) -> str:
    lang = str(config.theme["language"])
    if lang not in ex.LANGS:
        raise PluginError(f"theme.language is {lang!r}; dlref builds only {ex.LANGS}")
    return lang


def on_files(files: Files, config: MkDocsConfig) -> Files:
    lang = _lang(config)
    _rendered.clear()
    _executed.clear()
    _report.clear()
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
    for module in apilinks.public_modules():
        api_page = _api_page(module, lang)
        files.append(File.generated(config, apilinks.module_page(module), content=api_page))
    for uri, text in widgets.data_files().items():  # the interactive figures' data
        files.append(File.generated(config, uri, content=text))
    _report.update(report.build_report())  # after executing, so it covers this build's pages
    if lang == "en":  # the site root holds the report for both languages
        data = json.dumps(_report, ensure_ascii=False, indent=1)
        files.append(File.generated(config, "verification.json", content=data))
    return files


def _api_page(module: str, lang: str) -> str:
    """One module's API page: its docstrings, rendered by mkdocstrings."""
    return (
        f"# dlref.{module}\n\n{API_BACK[lang]}\n\n"
        f"::: dlref.{module}\n    options:\n"
        "      show_root_heading: false\n      show_root_toc_entry: false\n"
    )


def _stamp(executed: ex.ExecutedPage, src_uri: str, lang: str) -> str:
    versions = report.versions()
    notebook = posixpath.relpath(
        posixpath.join("notebooks", f"{executed.slug}.ipynb"), posixpath.dirname(src_uri) or "."
    )
    text = STAMP[lang].format(
        day=executed.executed_on,
        checks=executed.checks,
        torch=versions["torch"],
        dlref=versions["dlref"],
        device=ex.device_name(),
        notebook=notebook,
    )
    lines = [f"{text}\n{{: .dlref-stamp }}"]
    code = "\n".join(c["source"] for c in executed.notebook["cells"] if c["cell_type"] == "code")
    used = [ident for ident in apilinks.used_objects(code) if ident not in PLUMBING]
    if used:
        here = posixpath.dirname(src_uri) or "."
        targets = {ident: posixpath.relpath(apilinks.page_of(ident), here) for ident in used}
        links = ", ".join(
            f"[`{ident.rsplit('.', 1)[1]}`]({target}#{ident})" for ident, target in targets.items()
        )
        lines.append(f"{USES[lang]} {links}\n{{: .dlref-stamp }}")
    lag = report.newer_translation(src_uri, lang)
    if lag is not None:
        lines.append(f'!!! note ""\n    {LAGGING[lang].format(day=lag[1])}')
    return "\n\n".join(lines)


def _after_title(markdown: str, block: str) -> str:
    """Insert ``block`` after the page's first level-1 heading (or at the top)."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join([*lines[: i + 1], "", block, "", *lines[i + 1 :]])
    return block + "\n\n" + markdown


def _verification_table(lang: str) -> str:
    data = _report
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in data["pages"]:
        rows.setdefault(entry["page"], {})[entry["lang"]] = entry
    words = {
        "en": ("Chapter", "English", "Chinese", "checks", "s", "all verified", "NOT EXECUTED"),
        "zh": ("章节", "英文版", "中文版", "项检查", "秒", "全部通过", "未执行"),
    }[lang]
    head = f"| {words[0]} | {words[1]} | {words[2]} |\n|---|---|---|"
    lines = [head]
    for slug in sorted(rows):
        cells = []
        for column in ex.LANGS:
            entry = rows[slug].get(column)
            if entry is None or entry["status"] != "verified":
                cells.append(f"**{words[6]}**")
            else:
                cells.append(f"✓ {entry['checks']} {words[3]}, {entry['seconds']:.1f} {words[4]}")
        link = f"[{slug}]({slug}.md)" if (ex.DOCS / lang / f"{slug}.md").exists() else slug
        lines.append(f"| {link} | {cells[0]} | {cells[1]} |")
    pages = data["pages"]
    verified = [p for p in pages if p["status"] == "verified"]
    total_checks = sum(p["checks"] for p in verified)
    total_seconds = sum(p["seconds"] for p in verified)
    summary = {
        "en": f"**{len(verified)} of {len(pages)} executed pages verified, {total_checks} checks, "
        f"{total_seconds:.0f} s of execution on {data['device']}.**",
        "zh": f"**已执行页面 {len(pages)} 个，其中 {len(verified)} 个通过验证，"
        f"共 {total_checks} 项检查，在 {data['device']} 上执行共 {total_seconds:.0f} 秒。**",
    }[lang]
    version_table = "| | |\n|---|---|\n" + "\n".join(
        f"| {name} | {value} |" for name, value in data["versions"].items()
    )
    return "\n\n".join([summary, "\n".join(lines), version_table])


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    lang = _lang(config)
    src_uri = page.file.src_uri
    if src_uri in _rendered:
        return _after_title(_rendered[src_uri], _stamp(_executed[src_uri], src_uri, lang))
    if VERIFICATION_MARKER in markdown:
        return markdown.replace(VERIFICATION_MARKER, _verification_table(lang))
    return markdown


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return slim_html(output)

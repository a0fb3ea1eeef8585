"""MkDocs hooks: execute notebook pages (through the cache) and render them.

Named in ``mkdocs.yml`` under ``hooks:``. Every notebook page is executed (or
taken from the cache) when MkDocs collects files, so its figures and
downloadable notebook can be registered as site files; a failing page stops
the build with ``file:line: what went wrong``.
"""

from __future__ import annotations

import html
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

from sitegen import apilinks, dist, report, widgets
from sitegen import execute as ex
from sitegen.render import render, slim_html

VERIFICATION_MARKER = "<!-- dlref:verification -->"
INSTALL_MARKER = "<!-- dlref:install -->"  # the home page and the API index
STAMP = {
    "en": "✓ Verified on {day}: {checks} checks passed, torch {torch}, dlref {dlref}, "
    "on {device}. [Download this page as a notebook]({notebook}) · "
    "[Install dlref]({install}) ([wheel]({wheel}))",
    "zh": "✓ 已于 {day} 验证：{checks} 项检查全部通过，torch {torch}，dlref {dlref}，"
    "设备 {device}。[下载本页的 notebook]({notebook}) · "
    "[安装 dlref]({install})（[wheel 文件]({wheel})）",
}
# The install command needs the wheel's absolute URL, which only the browser
# knows (the site can be hosted anywhere). The link beside the command is
# relative; the script writes the address the browser resolved it to into the
# command, so the copy button copies a command that works as it is.
INSTALL = {
    "en": "Install the library the pages import, `dlref` {version}, from the "
    "[wheel]({wheel}) published with this site, built from the same commit as "
    "these pages ([sdist]({sdist})). One command, in any Python {python} "
    "environment; it also installs torch, NumPy, Matplotlib and scikit-learn "
    "where they are missing:",
    "zh": "各页导入的小型库 `dlref` {version} 随本站一起发布，"
    "[wheel 文件]({wheel})与这些页面出自同一次提交（另有 [sdist]({sdist})）。"
    "在任意 Python {python} 的环境中运行下面这一条命令即可安装；"
    "缺少 torch、NumPy、Matplotlib 或 scikit-learn 时会一并安装：",
}
INSTALL_COMMAND = 'pip install "dlref[data] @ {url}"'
SITE_ADDRESS = {"en": "<site address>/", "zh": "<网站地址>/"}
INSTALL_SCRIPT = """<script>
document.querySelectorAll(".dlref-install").forEach(function (box) {
  var link = box.querySelector("a.dlref-wheel"), code = box.querySelector("pre code");
  if (link && code) code.textContent = code.textContent.replace(/@ [^"]*\\.whl/, "@ " + link.href);
});
</script>"""
NOTEBOOK_INTRO = {
    "en": "**Before you run this notebook**: it imports `dlref` {version}, the small "
    "library of the site this notebook comes from. Install it from the wheel published "
    "with the site (this also installs torch, NumPy, Matplotlib and scikit-learn where "
    "they are missing):\n\n```bash\n{command}\n```\n\n{where}Then run the cells "
    "from top to bottom in a fresh kernel.",
    "zh": "**运行本 notebook 之前**：它导入 `dlref` {version}，即下载本 notebook 的网站所用的"
    "小型库。请先安装随网站发布的 wheel 文件（缺少 torch、NumPy、Matplotlib 或 scikit-learn "
    "时会一并安装）：\n\n```bash\n{command}\n```\n\n{where}然后在全新的内核中从上到下"
    "依次运行各单元格。",
}
SITE_ADDRESS_NOTE = {
    "en": "Replace `<site address>` with the address of the site's home page, where the "
    "same command is shown with the address filled in. ",
    "zh": "把 `<网站地址>` 换成网站首页的地址；首页上给出了填好地址的同一条命令。",
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
        notebook = nbformat.from_dict(page.notebook)
        intro = nbformat.v4.new_markdown_cell(_notebook_intro(lang, config), id="dlref-install")
        notebook.cells.insert(0, intro)
        # Not nbformat.writes: it validates (0.15 s a build) and only logs a failure;
        # tests/test_site.py validates every published notebook instead.
        notebook_text = nbformat.v4.writes(notebook)
        files.append(File.generated(config, notebook_uri, content=notebook_text))
        _rendered[file.src_uri] = markdown
    for module in apilinks.public_modules():
        api_page = _api_page(module, lang)
        files.append(File.generated(config, apilinks.module_page(module), content=api_page))
    for uri, text in widgets.data_files().items():  # the interactive figures' data
        files.append(File.generated(config, uri, content=text))
    for uri, path in dist.site_paths().items():
        if not path.is_file():
            raise PluginError(f"{path} is missing: `make html` builds it (python -m sitegen.dist)")
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    _report.update(report.build_report())  # after executing, so it covers this build's pages
    if lang == "en":  # the site root holds the report for both languages
        data = json.dumps(_report, ensure_ascii=False, indent=1)
        files.append(File.generated(config, "verification.json", content=data))
    return files


def _notebook_intro(lang: str, config: MkDocsConfig) -> str:
    """The first cell of a downloaded notebook: how to get dlref (text, no shell magic)."""
    site_url = str(config.site_url or "")
    base = site_url if site_url.endswith("/") else SITE_ADDRESS[lang]
    command = INSTALL_COMMAND.format(url=f"{base}{dist.SITE_FOLDER}/{dist.wheel_name()}")
    where = "" if site_url.endswith("/") else SITE_ADDRESS_NOTE[lang]
    return NOTEBOOK_INTRO[lang].format(version=dist.version(), command=command, where=where)


def _install_block(src_uri: str, lang: str) -> str:
    """The install paragraph and command, with links relative to the page at ``src_uri``."""
    here = posixpath.dirname(src_uri) or "."
    wheel = posixpath.relpath(f"{dist.SITE_FOLDER}/{dist.wheel_name()}", here)
    sdist = posixpath.relpath(f"{dist.SITE_FOLDER}/{dist.sdist_name()}", here)
    text = INSTALL[lang].format(
        version=dist.version(), python=dist.requires_python(), wheel=wheel, sdist=sdist
    )
    # attr_list gives the wheel link the class the script looks for
    text = text.replace(f"]({wheel})", f"]({wheel}){{: .dlref-wheel }}", 1)
    command = INSTALL_COMMAND.format(
        url=f"{SITE_ADDRESS[lang]}{dist.SITE_FOLDER}/{dist.wheel_name()}"
    )
    return (
        f'<div class="dlref-install" markdown>\n\n{text}\n\n```bash\n{command}\n```\n\n'
        f"</div>\n\n{INSTALL_SCRIPT}"
    )


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
    here = posixpath.dirname(src_uri) or "."
    text = STAMP[lang].format(
        install=posixpath.relpath("index.md", here) + "#install",
        wheel=posixpath.relpath(f"{dist.SITE_FOLDER}/{dist.wheel_name()}", here),
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
    return "\n\n".join([summary, "\n".join(lines), version_table, _compat_section(lang)])


COMPAT_WORDS = {
    "en": {
        "heading": "## The versions the library claims",
        "intro": "`pyproject.toml` states the versions `dlref` works with. `make compat` checks "
        "them: it creates throwaway environments at the oldest versions those ranges admit and "
        "at the newest the package registry serves, installs `dlref` from its wheel into each, "
        "and runs the library's tests, the docstring examples and every English page as a "
        "plain script. The table holds its last results; the site itself is built with the "
        "versions above. There, deprecation warnings that one dependency raises about another "
        "(or that older torch raises about its own call inside `SequentialLR`) are ignored, "
        "while any warning from `dlref` fails; the tests that pin the wording of the site's "
        "torch error messages are left to the build.",
        "none": "`make compat` has not been run yet.",
        "env": "Environment",
        "ran": "Run",
        "install": "Install",
        "tests": "Library tests",
        "doctest": "Docstring examples",
        "page": "Page",
        "dirty": "uncommitted changes",
        "failures": "What failed:",
        "not_run": "not run",
    },
    "zh": {
        "heading": "## 库所声明的版本范围",
        "intro": "`pyproject.toml` 写明了 `dlref` 支持的版本。`make compat` 负责检验："
        "它按这些范围允许的最低版本和包索引上的最新版本分别建立临时环境，从 wheel 安装 "
        "`dlref`，然后运行库的测试、文档字符串中的示例，并把每个英文页面作为普通脚本运行。"
        "下表是最近一次的结果；网站本身用上表所列的版本构建。"
        "运行时，一个依赖针对另一个依赖发出的弃用警告（DeprecationWarning）不计，"
        "旧版 torch 在 `SequentialLR` 内部针对自身调用发出的弃用警告也不计；"
        "`dlref` 自身发出的任何警告都算失败。检查本站 torch 报错原文的那些测试只在构建时运行。",
        "none": "尚未运行过 `make compat`。",
        "env": "环境",
        "ran": "运行于",
        "install": "安装",
        "tests": "库的测试",
        "doctest": "文档字符串示例",
        "page": "页面",
        "dirty": "含未提交的修改",
        "failures": "失败的项目：",
        "not_run": "未运行",
    },
}


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span (literal, whatever backticks it holds)."""
    text = " ".join(text.split())
    ticks = "`"
    while ticks in text:
        ticks += "`"
    return f"{ticks} {text} {ticks}"


def _step_cell(step: dict[str, Any] | None, words: dict[str, str]) -> str:
    if not step:
        return words["not_run"]
    mark = "✓" if step["status"] in ("pass", "ok") else "**✗**"
    counts = f"{step['passed']}/{step['passed'] + step['failed']}, " if "passed" in step else ""
    return f"{mark} {counts}{step['seconds']:.0f} s"


def _compat_section(lang: str) -> str:
    """The table `make compat` wrote: environment x (install, tests, examples, each page)."""
    words = COMPAT_WORDS[lang]
    envs: list[dict[str, Any]] = _report.get("compat") or []
    if not envs:
        return f"{words['heading']}\n\n{words['intro']}\n\n{words['none']}"
    head = "| " + words["env"] + " | " + " | ".join(f"`{e['name']}`" for e in envs) + " |"
    rule = "|---" * (len(envs) + 1) + "|"
    rows = [head, rule]

    def row(label: str, cells: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("", [html.escape(e["about"][lang]) for e in envs])
    for name in ("python", "torch", "numpy", "matplotlib", "scikit-learn"):
        row(name, [e.get("versions", {}).get(name, "?") for e in envs])
    row(
        words["ran"],
        [
            f"{e['date']}, `{e['commit']}`" + (f" ({words['dirty']})" if e.get("dirty") else "")
            for e in envs
        ],
    )
    row(words["install"], [_step_cell(e.get("install"), words) for e in envs])
    row(words["tests"], [_step_cell(e.get("tests"), words) for e in envs])
    row(words["doctest"], [_step_cell(e.get("doctest"), words) for e in envs])
    slugs = sorted({slug for e in envs for slug in e.get("pages", {})})
    for slug in slugs:
        cells = []
        for e in envs:
            page = e.get("pages", {}).get(slug)
            if page is None:
                cells.append(words["not_run"])
            elif page["status"] == "pass":
                cells.append(f"✓ {page['seconds']:.1f} s")
            else:
                cells.append("**✗**")
        link = f"[{slug}]({slug}.md)" if (ex.DOCS / lang / f"{slug}.md").exists() else slug
        row(link, cells)
    failures = []
    for e in envs:
        for step in ("install", "tests", "doctest"):
            info = e.get(step) or {}
            if info.get("status") in ("fail",):
                what = ", ".join(info.get("failures") or []) or info.get("error", "")
                failures.append(f"`{e['name']}`, {words[step]}: {_code_span(what)}")
        for slug, page in e.get("pages", {}).items():
            if page["status"] != "pass":
                failures.append(f"`{e['name']}`, {slug}: {_code_span(page.get('error', ''))}")
    parts = [words["heading"], words["intro"], "\n".join(rows)]
    if failures:
        parts.append(words["failures"] + "\n\n" + "\n".join(f"- {f}" for f in failures))
    return "\n\n".join(parts)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    lang = _lang(config)
    src_uri = page.file.src_uri
    if src_uri in _rendered:
        return _after_title(_rendered[src_uri], _stamp(_executed[src_uri], src_uri, lang))
    if INSTALL_MARKER in markdown:
        markdown = markdown.replace(INSTALL_MARKER, _install_block(src_uri, lang))
    if VERIFICATION_MARKER in markdown:
        return markdown.replace(VERIFICATION_MARKER, _verification_table(lang))
    return markdown


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return slim_html(output)

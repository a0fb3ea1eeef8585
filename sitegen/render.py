"""Turn an executed notebook into Markdown that Material renders like any other page.

Code cells become ordinary fenced code (so copy buttons, highlighting and the
table of contents behave as on plain pages), outputs become ``output`` blocks,
verified claims become badges, and figures become PNG files beside the page.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from typing import Any

from sitegen.execute import CHECK_MIME

VERIFIED = {"en": "verified", "zh": "已验证"}


@dataclass
class Rendered:
    markdown: str
    figures: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG bytes


def _fence(body: str, info: str) -> str:
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return f"{ticks}{info}\n{body.rstrip()}\n{ticks}"


def _check_badge(claim: str, detail: str, lang: str) -> str:
    extra = f' <span class="dlref-check__detail">({html.escape(detail)})</span>' if detail else ""
    return (
        f'<p class="dlref-check"><span class="dlref-check__mark">✓ {VERIFIED[lang]}</span> '
        f"{html.escape(claim)}{extra}</p>"
    )


def render(notebook: dict[str, Any], slug: str, lang: str) -> Rendered:
    out = Rendered(markdown="")
    parts: list[str] = []
    figure_count = 0
    for cell in notebook["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append(source)
            continue
        if cell["cell_type"] != "code":
            continue
        parts.append(_fence(source, "python"))
        text_run: list[str] = []

        def flush(run: list[str] = text_run) -> None:
            if run:
                parts.append(_fence("".join(run), "{.text .dlref-output}"))
                run.clear()

        for output in cell.get("outputs", []):
            kind = output["output_type"]
            if kind == "stream":
                text = output["text"]
                text_run.append(text if isinstance(text, str) else "".join(text))
                continue
            data = output.get("data", {})
            if CHECK_MIME in data:
                flush()
                info = data[CHECK_MIME]
                parts.append(_check_badge(info["claim"], info.get("detail", ""), lang))
            elif "image/png" in data:
                flush()
                figure_count += 1
                name = f"{slug}-{figure_count}.png"
                out.figures[name] = base64.b64decode(data["image/png"])
                alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
                parts.append(f"![{_escape_alt(alt)}]({name}){{ loading=lazy .dlref-figure }}")
            elif "text/markdown" in data:
                flush()
                markdown = data["text/markdown"]
                parts.append(markdown if isinstance(markdown, str) else "".join(markdown))
            elif "text/plain" in data:
                plain = data["text/plain"]
                text_run.append((plain if isinstance(plain, str) else "".join(plain)) + "\n")
        flush()
    out.markdown = "\n\n".join(parts) + "\n"
    return out


def _escape_alt(alt: str) -> str:
    return alt.replace("[", "(").replace("]", ")").replace("\n", " ")


# Pygments wraps every name, space, bracket and operator in a <span>. In
# Material's palette names (.n) and whitespace (.w) look exactly like unwrapped
# code; punctuation (.p) and operators (.o) differ only by a lighter grey, and
# unwrapped they share the code's own colour. Unwrapping all four cuts a
# code-heavy chapter's HTML by 40% (DESIGN.md, page weight).
_PLAIN_TOKENS = re.compile(r'<span class="[nwpo]">([^<]*)</span>')
_VERBATIM = re.compile(r"(<pre[ >].*?</pre>|<textarea.*?</textarea>)", re.S)
_INDENT = re.compile(r"[ \t]*\n\s*")


# A line break in the Markdown source becomes a space in HTML, which between two
# Chinese characters shows as a gap: Chinese sources are wrapped, so join them.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")


def slim_html(html_text: str) -> str:
    """Drop what changes nothing on screen (plain-token spans, the templates'
    indentation) and the line breaks that would show as gaps between Chinese
    characters; <pre> and <textarea>, where whitespace is shown, stay as they are."""
    html_text = _PLAIN_TOKENS.sub(r"\1", html_text)
    parts = _VERBATIM.split(html_text)
    return "".join(
        part
        if part.startswith(("<pre", "<textarea"))
        else _CJK_BREAK.sub("", _INDENT.sub("\n", part))
        for part in parts
    )

"""Guards on the page sources that the build cannot see.

Each test here exists because a defect of its kind reached the site while
every other test passed: a `\\t` of `\\times` eaten into a TAB character,
ASCII quotation marks and half-width commas in Chinese prose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen import execute as ex

PAGES = sorted(ex.DOCS.rglob("*.md"))
ZH_PAGES = sorted((ex.DOCS / "zh").rglob("*.md"))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ex.DOCS)) for p in paths]


# --- control characters --------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def control_characters(text: str) -> list[tuple[int, str]]:
    """(line, character) of every control character other than a newline."""
    return [(text.count("\n", 0, m.start()) + 1, repr(m.group())) for m in _CONTROL.finditer(text)]


@pytest.mark.parametrize("path", PAGES, ids=_ids(PAGES))
def test_no_control_characters(path: Path) -> None:
    found = control_characters(path.read_text(encoding="utf-8"))
    assert not found, f"{ex.display_path(path)}: control characters at (line, char) {found[:10]}"


# --- TeX commands that lost their backslash ------------------------------------

# A backslash followed by one of these letters is a string escape in Python and
# in many editors' "interpret escapes" modes; the command then loses its first
# letter and its backslash: \times -> TAB + "imes", \frac -> form feed + "rac".
_ESCAPE_LETTERS = "abfnrtv"
_TEX_COMMANDS = re.findall(
    r"\w+",
    """
    alpha approx arg ast angle arccos arcsin arctan
    bar beta big bigg bigl bigr bmatrix binom bold boldsymbol bot bullet begin
    frac forall
    rangle rceil rfloor rho right rightarrow rm rvert
    tanh tau text textbf textrm theta tilde times to top triangle tfrac
    varepsilon varphi vdots vec vee vert
    nabla neq nu not nolimits
    """,
)
EATEN = {c[1:] for c in _TEX_COMMANDS if c[0] in _ESCAPE_LETTERS and len(c) >= 3}
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_TEXT_GROUPS = re.compile(r"\\(?:text|textrm|textbf|mathrm|operatorname|mathbf|mathit)\{[^{}]*\}")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")


def eaten_commands(tex: str) -> list[str]:
    """Bare words in TeX source that are a command name without its first letter."""
    tex = _TEXT_GROUPS.sub(" ", tex)
    return [w for w in _WORD.findall(tex) if w in EATEN]


def _prose(text: str) -> str:
    """The page text without front matter, fenced code and inline code."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


@pytest.mark.parametrize("path", PAGES, ids=_ids(PAGES))
def test_no_tex_command_lost_its_backslash(path: Path) -> None:
    bad = []
    for match in _MATH.finditer(_prose(path.read_text(encoding="utf-8"))):
        tex = match.group(1) or match.group(2)
        if words := eaten_commands(tex):
            bad.append(f"{words} in ${tex.strip()[:80]}$")
    assert not bad, f"{ex.display_path(path)}: " + "; ".join(bad[:10])


def test_the_control_character_detector() -> None:
    assert control_characters("$2 \times 3$\n") == [(1, "'\\t'")]
    assert control_characters("\\frac\x0c\n") == [(1, "'\\x0c'")]
    assert control_characters("line\nline\n") == []


def test_the_eaten_command_detector() -> None:
    assert eaten_commands(r"2 \times 3") == []
    assert eaten_commands("2 \times 3") == ["imes"]  # a Python "\t" is the eaten TAB
    assert eaten_commands("XW^op") == ["op"]
    assert eaten_commands(" anh(z)") == ["anh"]
    assert eaten_commands("\\frac{a}{b}") == [] and eaten_commands("rac{a}{b}") == ["rac"]
    assert eaten_commands("\\text{rac and imes}") == []
    assert eaten_commands("\\eta + \\beta") == []
    assert eaten_commands("lpha_t") == ["lpha"]


# --- Chinese typography ---------------------------------------------------------

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
# An ASCII double quote touching a Chinese character or Chinese punctuation.
_ASCII_QUOTE = re.compile(rf'[{_CJK}{_CJK_PUNCT}]\s*"|"\s*[{_CJK}{_CJK_PUNCT}]')
# A half-width comma, full stop, colon or semicolon right after a Chinese
# character (（前, 后）, Szegedy 等, ..., 其他,) or a full-width bracket (）.).
_HALF_WIDTH = re.compile(rf"[{_CJK}）](?:[,;:]|\.(?=\s|$))", re.M)


def chinese_typography_errors(text: str) -> list[str]:
    prose = _prose(text)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
    prose = re.sub(r"<[^>]+>", "", prose)  # HTML tags and their attributes
    found = []
    for pattern, what in ((_ASCII_QUOTE, "ASCII quote"), (_HALF_WIDTH, "half-width punctuation")):
        for m in pattern.finditer(prose):
            line = prose[prose.rfind("\n", 0, m.start()) + 1 : prose.find("\n", m.end())]
            found.append(f"{what} {m.group()!r} in: {line.strip()[:70]}")
    return found


@pytest.mark.parametrize("path", ZH_PAGES, ids=_ids(ZH_PAGES))
def test_chinese_prose_uses_chinese_punctuation(path: Path) -> None:
    found = chinese_typography_errors(path.read_text(encoding="utf-8"))
    assert not found, f"{ex.display_path(path)}:\n" + "\n".join(found[:15])


def test_the_typography_detector() -> None:
    assert chinese_typography_errors('所谓"折角"就是') != []
    assert chinese_typography_errors("（批量, 时间, 类别）") != []
    assert chinese_typography_errors("Szegedy 等, 2014") != []
    assert chinese_typography_errors("出版社）.\n") != []
    assert chinese_typography_errors("“折角”（前，后）。") == []
    assert chinese_typography_errors('代码 `print("你好")` 不算') == []
    assert chinese_typography_errors('```python\nprint("类别", x)\n```\n') == []


# --- one term for one thing (GLOSSARY.md) ---------------------------------------

# Variants the glossary replaced, as (pattern, the site's term).
_TERM_VARIANTS = [
    (re.compile(r"类别下标"), "类别索引"),
    (re.compile(r"梯度跟踪"), "梯度追踪"),
    (re.compile(r"参数个数"), "参数量"),
    (re.compile(r"中心 ?RMSprop"), "中心化 RMSprop"),
    (re.compile(r"(?<![\w.\-/])sigmoid(?![\w(])"), "Sigmoid (capitalised in prose)"),
    (re.compile(r"(?<![\w.\-/])autograd(?![\w(])"), "自动微分 (name `torch.autograd` as code)"),
]


def term_variants(text: str) -> list[str]:
    prose = _MATH.sub(" ", _prose(text))
    prose = re.sub(r"\]\([^)]*\)", "]", prose)
    prose = re.sub(r"<[^>]+>", "", prose)
    # Lines with no Chinese at all (an English title in the references) keep their words.
    prose = "\n".join(line for line in prose.split("\n") if re.search(f"[{_CJK}]", line))
    found = [f"{m.group()!r} (use {term})" for p, term in _TERM_VARIANTS for m in p.finditer(prose)]
    if prose.count("sup 误差") > 1:
        found.append("'sup 误差' after its first use (use 一致误差)")
    return found


@pytest.mark.parametrize("path", ZH_PAGES, ids=_ids(ZH_PAGES))
def test_chinese_pages_use_the_glossary_terms(path: Path) -> None:
    found = term_variants(path.read_text(encoding="utf-8"))
    assert not found, f"{ex.display_path(path)}: " + "; ".join(found[:15])


def test_the_term_detector() -> None:
    assert term_variants("每个类别下标") != []
    assert term_variants("用 sigmoid 激活") != []
    assert term_variants("`torch.sigmoid` 与 $\\operatorname{sigmoid}(z)$ 与 Sigmoid") == []
    assert term_variants("[自动微分](custom-autograd.md)") == []
    assert term_variants("一致误差（sup 误差）。一致误差") == []


_LINK = re.compile(r"\[([^\]]+)\]\(([\w\-]+\.md)\)")


def link_names(text: str) -> dict[str, set[str]]:
    """Target page -> the link texts a page uses for it (links to a section aside)."""
    names: dict[str, set[str]] = {}
    for m in _LINK.finditer(_MATH.sub(" ", _prose(text))):
        names.setdefault(m.group(2), set()).add(m.group(1))
    return names


@pytest.mark.parametrize("path", ZH_PAGES, ids=_ids(ZH_PAGES))
def test_a_chinese_page_names_each_page_it_links_to_one_way(path: Path) -> None:
    several = {t: n for t, n in link_names(path.read_text(encoding="utf-8")).items() if len(n) > 1}
    assert not several, f"{ex.display_path(path)}: one page, several link texts: {several}"


# --- English spelling: British -ise ---------------------------------------------

ENGLISH_SOURCES = [*sorted((ex.DOCS / "en").rglob("*.md")), ex.REPO / "README.md"]
# The house style is British: "Initialisation", "minimise", "maths". These stems
# take -ise/-isation in our prose; a paper's title and code keep their own spelling.
_ISE_STEMS = re.findall(
    r"\w+",
    """
    amorti binari categori characteri critici discreti emphasi finali generali
    initiali lineari locali maximi memori minimi normali optimi organi parameteri
    penali quanti randomi reali recogni regulari seriali speciali stabili
    standardi summari synchroni tokeni utili vectori visuali
    """,
)
_IZE = re.compile(rf"\b\w*?(?:{'|'.join(_ISE_STEMS)})(z)\w*", re.I)
# "optimizer" is the technical term, PyTorch's `torch.optim.Optimizer`.
_IZE_KEPT = re.compile(r"optimizers?", re.I)
# Text that keeps its -ize spelling outside a References list, with the reason.
_IZE_ALLOWED = {
    "Ioffe & Szegedy, *Batch Normalization*": "a paper's title, cited in a table",
}


def _blanked(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def ize_spellings(text: str) -> list[tuple[int, str, str]]:
    """(line, word, the -ise spelling) of each -ize word of `_ISE_STEMS` in the prose.

    Front matter, fenced and inline code, link targets, URLs, HTML tags, the
    allowed phrases and the lines under a `## References` heading do not count.
    """
    for phrase in _IZE_ALLOWED:
        text = text.replace(phrase, " " * len(phrase))
    text = re.sub(r"\A---\n.*?\n---\n", _blanked, text, flags=re.S)
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", _blanked, text, flags=re.S | re.M)
    for pattern in (r"`[^`\n]*`", r"\]\([^)\n]*\)", r"<[^>\n]+>", r"https?://\S+"):
        text = re.sub(pattern, _blanked, text)
    found = []
    references = False
    for number, line in enumerate(text.split("\n"), 1):
        if (heading := re.match(r"(#{1,6}) ", line)) and len(heading.group(1)) <= 2:
            references = line.strip() == "## References"
        for m in [] if references else _IZE.finditer(line):
            if not _IZE_KEPT.fullmatch(word := m.group()):
                z = m.start(1) - m.start()
                ise = word[:z] + ("S" if word[z] == "Z" else "s") + word[z + 1 :]
                found.append((number, word, ise))
    return found


def test_english_prose_spells_ise_the_british_way() -> None:
    # The detector first: it finds a -ize word and leaves code, link targets and references alone.
    assert ize_spellings("---\na: b\n---\nCareful\ninitialization, Minimizing\n") == [
        (5, "initialization", "initialisation"),
        (5, "Minimizing", "Minimising"),
    ]
    assert ize_spellings("```python\n# normalized\n```\n`standardize=True` the optimizer\n") == []
    assert ize_spellings("[initialisation](initialization.md) <https://a.org/regularized>") == []
    assert ize_spellings("## References\n\n- *Batch Normalization: accelerating ...*\n") == []
    after_references = ize_spellings("## References\n\n## Notes\nbatch normalization\n")
    assert after_references == [(4, "normalization", "normalisation")]
    found = [
        f"{ex.display_path(path)}:{line}: {word!r}, write {ise!r}"
        for path in ENGLISH_SOURCES
        for line, word, ise in ize_spellings(path.read_text(encoding="utf-8"))
    ]
    assert not found, "-ize in English prose; house style is -ise/-isation:\n" + "\n".join(found)

"""Execute a page (a jupytext Markdown notebook) and cache the result.

The cache key covers everything that can change what a page prints: the page's
own text, the source of every ``dlref`` module it imports (followed through the
library's own imports), the pinned requirements, the torch and Python versions,
and the device. Nothing else re-executes a page, so editing one chapter in one
language re-executes exactly that chapter in that language.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import nbformat

from sitegen import memo, pagesource
from sitegen.pageenv import page_env

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
LIBRARY = REPO / "src" / "dlref"
CACHE = REPO / ".cache" / "exec"
REQUIREMENTS = REPO / "requirements" / "site.txt"
LANGS = ("en", "zh")
# Bump when the execution or rendering changes in a way that alters cached results.
EXECUTOR_VERSION = "5"
CHECK_MIME = "application/vnd.dlref.check+json"
CELL_TIMEOUT_S = 300
KEEP_VERSIONS = 3  # cached results kept per page and language


class PageError(Exception):
    """A page failed: names the file and line, and says what went wrong."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{display_path(path)}:{line}: {message}")


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The page as a notebook, or None when it is a plain Markdown page."""
    import jupytext  # here, not above: a warm build reads no page with it (0.3 s of imports)

    notebook: nbformat.NotebookNode = jupytext.read(path, fmt="md:markdown")
    kernelspec = notebook.get("metadata", {}).get("kernelspec") or {}
    if kernelspec.get("language") != "python":
        return None
    return notebook


def is_notebook_page(path: Path) -> bool:
    return path.suffix == ".md" and pagesource.is_notebook_page(path.read_text(encoding="utf-8"))


# --- what a page depends on -------------------------------------------------


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(tree: ast.AST) -> list[ast.AST]:
    """Every statement of ``tree``, nested ones included, without descending into
    expressions (imports are statements; this is ast.walk's answer for them, 5x faster)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        pending.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, _BLOCKS))
    return found


@lru_cache(maxsize=512)
def _dlref_imports(source: str) -> frozenset[str]:
    """Names of dlref modules imported by ``source`` ("dlref", "dlref.conv", ...)."""
    return frozenset(_parsed_dlref_imports(source))


@memo.on_disk("dlref-imports")
def _parsed_dlref_imports(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["dlref"]  # the kernel will report it; depend on everything's root
    found: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "dlref")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] == "dlref"
        ):
            found.add(node.module)
            # `from dlref import conv` may name a submodule
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return sorted(found)


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    base = LIBRARY.joinpath(*parts) if parts else LIBRARY
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def library_dependencies(code: str) -> list[Path]:
    """The library files whose source can change the result of running ``code``."""
    pending = set(_dlref_imports(code))
    if pending:
        pending.add("dlref")  # importing any submodule runs the package __init__
    seen: set[Path] = set()
    done: set[str] = set()
    while pending:
        name = pending.pop()
        done.add(name)
        file = _module_file(name)
        if file is None or file in seen:
            continue
        seen.add(file)
        pending.update(_dlref_imports(file.read_text(encoding="utf-8")) - done)
    return sorted(seen)


@cache
def environment_fingerprint() -> str:
    """Versions and device: a change in any of them invalidates every page."""
    parts = [
        f"executor={EXECUTOR_VERSION}",
        f"python={sys.version_info[:3]}",
        f"torch={importlib.metadata.version('torch')}",
        f"device={device_name()}",
        f"threads={os.environ.get('OMP_NUM_THREADS', '1')}",
        REQUIREMENTS.read_text(encoding="utf-8") if REQUIREMENTS.exists() else "",
    ]
    return "\n".join(parts)


# A GPU torch could use shows up as one of these; without any, torch cannot see CUDA.
GPU_DRIVER_PATHS = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")


def cpu_without_asking_torch(requested: str, driver_paths: tuple[str, ...]) -> bool:
    """True when ``dlref.device()`` is sure to pick the CPU: asked for, or no GPU driver.

    Lets a build that finds every page cached skip importing torch (2 s here).
    """
    requested = requested.strip()
    if requested == "cpu":
        return True
    return not requested and not any(Path(p).exists() for p in driver_paths)


@cache
def device_name() -> str:
    """The device pages run on, as ``dlref.device()`` picks it (``cpu``, ``cuda (NVIDIA H100)``)."""
    if cpu_without_asking_torch(os.environ.get("DLREF_DEVICE", ""), GPU_DRIVER_PATHS):
        return "cpu"
    sys.path.insert(0, str(REPO / "src"))
    import torch

    import dlref

    dev = dlref.device()
    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    return str(dev)


def cache_key(path: Path, lang: str) -> str:
    text = path.read_text(encoding="utf-8")
    code = "\n".join(source for _, source in pagesource.code_cells(text))
    digest = hashlib.sha256()
    digest.update(lang.encode())
    digest.update(text.encode())
    for dep in library_dependencies(code):
        digest.update(str(dep.relative_to(REPO)).encode())
        digest.update(dep.read_bytes())
    digest.update(environment_fingerprint().encode())
    return digest.hexdigest()


def code_key(path: Path, lang: str) -> str:
    """The key of what can change a page's outputs: its code cells and front matter (not
    its prose), the library modules it imports and the environment. Two versions of a
    page with the same code key differ only in prose, so one's outputs serve the other."""
    text = path.read_text(encoding="utf-8")
    cells = [source for _, source in pagesource.code_cells(text)]
    front = text.split("\n---", 1)[0] if text.startswith("---") else ""
    digest = hashlib.sha256(b"code-key 1\0")
    for part in (lang, front, *cells):
        digest.update(part.encode())
        digest.update(b"\0")
    for dep in library_dependencies("\n".join(cells)):
        digest.update(str(dep.relative_to(REPO)).encode())
        digest.update(dep.read_bytes())
    digest.update(environment_fingerprint().encode())
    return digest.hexdigest()


# --- execution ----------------------------------------------------------------


@dataclass
class ExecutedPage:
    lang: str
    slug: str
    key: str
    notebook: dict[str, Any]
    seconds: float
    checks: int
    cached: bool = False
    claims: list[str] = field(default_factory=list)
    executed_on: str = ""  # ISO date of the run that produced the outputs
    code_key: str = ""  # see code_key(): a prose-only edit finds these outputs by it

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "slug": self.slug,
            "key": self.key,
            "seconds": self.seconds,
            "checks": self.checks,
            "claims": self.claims,
            "executed_on": self.executed_on,
            "code_key": self.code_key,
            "notebook": self.notebook,
        }


def slug_of(path: Path) -> str:
    return path.with_suffix("").name


def _cache_file(lang: str, slug: str, key: str) -> Path:
    return CACHE / lang / f"{slug}.{key[:20]}.json"


def load_cached(path: Path, lang: str) -> ExecutedPage | None:
    key = cache_key(path, lang)
    file = _cache_file(lang, slug_of(path), key)
    if file.exists():
        data = json.loads(file.read_text(encoding="utf-8"))
        return ExecutedPage(
            lang=lang,
            slug=data["slug"],
            key=key,
            notebook=data["notebook"],
            seconds=data["seconds"],
            checks=data["checks"],
            claims=data.get("claims", []),
            executed_on=data.get("executed_on", ""),
            code_key=data.get("code_key", ""),
            cached=True,
        )
    return _with_new_prose(path, lang, key)


def _with_new_prose(path: Path, lang: str, key: str) -> ExecutedPage | None:
    """A cached run of the same code under different prose, given the page's current prose
    (and stored under the new key), or None. Editing prose then executes nothing."""
    wanted = code_key(path, lang)
    folder = CACHE / lang
    versions = sorted(folder.glob(f"{slug_of(path)}.*.json"), key=lambda p: -p.stat().st_mtime)
    for file in versions:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data.get("code_key") != wanted:
            continue
        notebook = read_notebook(path)
        if notebook is None:
            return None
        ran = iter(c for c in data["notebook"]["cells"] if c["cell_type"] == "code")
        for cell in notebook.cells:
            if cell.cell_type == "code":
                old = next(ran)
                if old["source"] != cell.source:  # cannot happen with equal code keys
                    return None
                cell.outputs = [nbformat.from_dict(o) for o in old["outputs"]]
                cell.execution_count = old.get("execution_count")
        page = ExecutedPage(
            lang=lang,
            slug=slug_of(path),
            key=key,
            notebook=notebook,
            seconds=data["seconds"],
            checks=data["checks"],
            claims=data.get("claims", []),
            executed_on=data.get("executed_on", ""),
            code_key=wanted,
            cached=True,
        )
        _store(page)
        return page
    return None


def _store(page: ExecutedPage) -> None:
    folder = CACHE / page.lang
    folder.mkdir(parents=True, exist_ok=True)
    # Keep the newest few versions of a page (undoing an edit is then free), no more.
    versions = sorted(folder.glob(f"{page.slug}.*.json"), key=lambda p: p.stat().st_mtime)
    for stale in versions[: max(0, len(versions) - (KEEP_VERSIONS - 1))]:
        stale.unlink()
    _cache_file(page.lang, page.slug, page.key).write_text(
        json.dumps(page.to_json(), ensure_ascii=False), encoding="utf-8"
    )


def _cell_line(text: str, cells: list[Any], index: int) -> int:
    """1-based line in the page where code cell ``index`` starts (its first code line)."""
    position = 0
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        found = text.find(cell.source, position)
        if found < 0:
            continue
        if i == index:
            return text.count("\n", 0, found) + 1
        position = found + len(cell.source)
    return 1


_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failure(
    path: Path, text: str, cells: list[Any], index: int, message: str, tb: str
) -> PageError:
    line = _cell_line(text, cells, index)
    hits = _CELL_LINE.findall(_ANSI.sub("", tb))
    if hits:
        line += int(hits[-1]) - 1
    return PageError(path, line, message)


def _kernel_env() -> dict[str, str]:
    env = page_env()
    env.update(
        {
            # One thread per kernel: pages run two at a time on two cores, and a
            # fixed thread count keeps float reductions (and so outputs) repeatable.
            "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1"),
            "MKL_NUM_THREADS": env.get("MKL_NUM_THREADS", "1"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }
    )
    return env


def execute(path: Path, lang: str, *, use_cache: bool = True) -> ExecutedPage:
    """Execute one page (or take it from the cache); raise :class:`PageError` on any failure.

    A page fails when a cell raises (a false claim raises ``ClaimError``), when
    a cell writes to stderr (warnings included: a "Glyph missing" warning means
    a figure lost its labels), or when a figure has no alt text.
    """
    if use_cache and (hit := load_cached(path, lang)) is not None:
        return hit
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    text = path.read_text(encoding="utf-8")
    notebook = read_notebook(path)
    if notebook is None:
        raise ValueError(f"{display_path(path)} is not a notebook page")
    key = cache_key(path, lang)
    page_code_key = code_key(path, lang)
    # A fresh kernel in an empty folder: exactly what a reader who downloads the
    # notebook gets, so a page cannot lean on files of this repository.
    workdir = tempfile.TemporaryDirectory(prefix=f"dlref-{lang}-{slug_of(path)}-")
    sockets = tempfile.TemporaryDirectory(prefix="dlref-kernel-")
    # IPC sockets: the kernel is local, and TCP makes it warn about encryption.
    manager = KernelManager(
        kernel_name="python3", transport="ipc", ip=os.path.join(sockets.name, "kernel")
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": workdir.name}},
    )
    started = time.perf_counter()
    try:
        with workdir, sockets, _environment(_kernel_env()):
            try:
                client.execute()
            finally:  # nbclient cleans up only kernels it started itself
                if client.kc is not None:
                    client.kc.stop_channels()
                if manager.has_kernel:
                    manager.shutdown_kernel(now=True)
    except CellExecutionError as err:
        index = next(
            (
                i
                for i, c in enumerate(notebook.cells)
                if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)
            ),
            0,
        )
        message = f"{err.ename}: {_ANSI.sub('', err.evalue)}"
        raise _failure(path, text, notebook.cells, index, message, str(err.traceback)) from None
    seconds = time.perf_counter() - started

    claims: list[str] = []
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = settle_streams(cell.outputs)
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                raise _failure(
                    path,
                    text,
                    notebook.cells,
                    i,
                    f"wrote to stderr: {output.text.strip()[:500]}",
                    "",
                )
            data = output.get("data", {})
            if CHECK_MIME in data:
                claims.append(data[CHECK_MIME]["claim"])
            if "image/png" in data and not output.get("metadata", {}).get("image/png", {}).get(
                "alt"
            ):
                raise _failure(
                    path,
                    text,
                    notebook.cells,
                    i,
                    "a figure has no alt text: show figures with dlref.plot.show(fig, alt=...)",
                    "",
                )
    page = ExecutedPage(
        lang=lang,
        slug=slug_of(path),
        key=key,
        notebook=notebook,
        seconds=round(seconds, 2),
        checks=len(claims),
        claims=claims,
        executed_on=date.today().isoformat(),
        code_key=page_code_key,
    )
    _store(page)
    return page


def settle_streams(outputs: list[Any]) -> list[Any]:
    """The cell's outputs with its printed text in one piece per run of text.

    The kernel sends what a cell prints in chunks, flushed on a timer, so one
    ``print`` can arrive as two stream outputs ("value" and "\\n"), and the
    newline can even land after a badge that the cell displayed next. Which
    happens depends on timing, so two builds of a page would differ in layout.
    Here adjacent chunks of one stream are joined, and a newline that arrives
    after a display output is given back to the unfinished line before it.
    """
    settled: list[Any] = []
    open_line: dict[str, Any] = {}  # stream name -> its last output, if unfinished
    for output in outputs:
        if output.get("output_type") != "stream":
            settled.append(output)
            continue
        text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
        unfinished = open_line.get(output["name"])
        if unfinished is not None and text.startswith("\n"):
            unfinished["text"] += "\n"
            text = text[1:]
        open_line.pop(output["name"], None)
        if not text:
            continue
        previous = settled[-1] if settled else None
        if (
            previous is not None
            and previous.get("output_type") == "stream"
            and previous["name"] == output["name"]
        ):
            previous["text"] += text
        else:
            output["text"] = text
            settled.append(output)
        if not text.endswith("\n"):
            open_line[output["name"]] = settled[-1]
    return settled


class _environment:
    """Temporarily replace os.environ (the kernel inherits it at start)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __enter__(self) -> None:
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


def pages(lang: str) -> list[Path]:
    """Every notebook page of one language, in file-name order."""
    return sorted(p for p in (DOCS / lang).rglob("*.md") if is_notebook_page(p))

"""`make preview`: both languages at their real URLs, rebuilt on change, browsers reloaded.

    python -m sitegen.preview [--host 127.0.0.1] [--port 8000] [--folder DIR] [--no-strict]

One process serves English at ``/`` and Chinese at ``/zh/`` with MkDocs' own
live-reload server (``mkdocs.livereload.LiveReloadServer``, the server behind
``mkdocs serve``: it watches with watchdog and injects the script that reloads
the browser). Each language is built in this process with MkDocs' own
``build()``, from the same configuration files as ``make html``:

- an edit under ``docs/en/`` rebuilds English only, one under ``docs/zh/``
  Chinese only; anything else (``src/dlref/``, ``overrides/``, the
  configuration) rebuilds both, and a library change rebuilds the wheel too;
- the build hook executes only the pages whose cache key changed: prose edits
  execute nothing, a code-cell edit executes that page in that language, a
  library edit executes the pages that import the changed module;
- a build writes into a fresh folder and replaces the served one only when it
  succeeds. A failing cell prints ``docs/<lang>/<slug>.md:<line>: message``
  and the browser keeps the last good build.

The served folder holds links to the two builds (``served/zh`` to the Chinese
one, every other entry to the English one), so neither build can clean away
the other. Changes to ``sitegen/`` itself take effect after a restart.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import watchdog.events
import watchdog.observers
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, BuildError, ConfigurationError
from mkdocs.livereload import LiveReloadServer

from sitegen import apilinks, dist, report
from sitegen import execute as ex

CONFIGS = {"en": "mkdocs.yml", "zh": "mkdocs.zh.yml"}
WRITES = frozenset({"created", "modified", "moved", "deleted", "closed"})
WATCHED = ("docs", "src/dlref", "overrides", "mkdocs.yml", "mkdocs.zh.yml", "sitegen")
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".pyc")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class _Problems(logging.Handler):
    """MkDocs' warnings and errors during a build (a failing page's `file:line: message`)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def languages_for(paths: set[str]) -> set[str]:
    """Which languages a set of changed files (relative to the repository) needs rebuilt."""
    langs: set[str] = set()
    for path in paths:
        parts = Path(path).parts
        if len(parts) >= 2 and parts[0] == "docs" and parts[1] in ex.LANGS:
            langs.add(parts[1])
        elif path == CONFIGS["zh"]:
            langs.add("zh")
        else:
            langs.update(ex.LANGS)
    return langs


class Site:
    """The two builds and the folder that serves them together."""

    def __init__(self, folder: Path, strict: bool = True) -> None:
        self.folder, self.strict = folder, strict
        self.served = folder / "served"
        self.served.mkdir(parents=True, exist_ok=True)

    def built(self, lang: str) -> Path:
        return self.folder / lang

    def build(self, lang: str) -> bool:
        """Build one language into a fresh folder; on success, serve it. Never raises."""
        fresh = self.folder / f"{lang}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        problems = _Problems()
        logger = logging.getLogger("mkdocs")
        logger.addHandler(problems)
        started = time.perf_counter()
        ok = False
        try:
            config = load_config(
                config_file=str(ex.REPO / CONFIGS[lang]), site_dir=str(fresh), strict=self.strict
            )
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
                ok = True
            finally:
                config.plugins.on_shutdown()
        except (Abort, BuildError, ConfigurationError) as err:
            if not problems.messages:
                problems.messages.append(str(err))
        except Exception as err:  # a bug in a hook: report it, keep serving
            problems.messages.append(f"{type(err).__name__}: {err}")
        finally:
            logger.removeHandler(problems)
        for message in problems.messages:
            print(message, file=sys.stderr, flush=True)
        if not ok:
            say(f"{lang}: build failed; still serving the last good build")
            shutil.rmtree(fresh, ignore_errors=True)
            return False
        self._swap(lang, fresh)
        say(f"{lang}: built in {time.perf_counter() - started:.1f} s")
        return True

    def _swap(self, lang: str, fresh: Path) -> None:
        current, old = self.built(lang), self.folder / f"{lang}.old"
        shutil.rmtree(old, ignore_errors=True)
        if current.exists():
            current.rename(old)
        fresh.rename(current)
        shutil.rmtree(old, ignore_errors=True)
        self._link()

    def _link(self) -> None:
        wanted: dict[str, Path] = {}
        if self.built("en").exists():
            wanted = {p.name: p for p in self.built("en").iterdir() if p.name != "zh"}
        if self.built("zh").exists():
            wanted["zh"] = self.built("zh")
        for link in self.served.iterdir():
            if link.name not in wanted or os.readlink(link) != str(wanted[link.name]):
                link.unlink()
        for name, target in wanted.items():
            if not (self.served / name).is_symlink():
                (self.served / name).symlink_to(target)


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server, told which files changed so it rebuilds only what they affect."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        super().__init__(builder=self.rebuild, host=host, port=port, root=str(site.served))
        # watchdog's native observer (inotify on Linux) reports a save at once; MkDocs'
        # default polls every 0.5 s, which would be a sixth of the edit-to-reload time.
        self.observer = watchdog.observers.Observer()  # type: ignore[assignment]
        self.site = site
        self.changed: set[str] = set()

    def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
        path = os.path.abspath(path)
        self._watched_paths[path] = 1

        def callback(event: watchdog.events.FileSystemEvent) -> None:
            # inotify also reports files being opened and closed unwritten: a build
            # that imports a module or reads a page must not look like an edit.
            if event.is_directory or event.event_type not in WRITES:
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                name = os.fsdecode(raw)
                if not name or name.endswith(IGNORED_SUFFIXES) or "__pycache__" in name:
                    continue
                try:
                    rel = Path(name).resolve().relative_to(ex.REPO).as_posix()
                except ValueError:
                    continue
                with self._rebuild_cond:
                    self.changed.add(rel)
                    self._want_rebuild = True
                    self._rebuild_cond.notify_all()

        handler = watchdog.events.FileSystemEventHandler()
        handler.on_any_event = callback  # type: ignore[method-assign]
        self._watch_refs[path] = self.observer.schedule(handler, path, recursive=recursive)

    def rebuild(self) -> None:
        with self._rebuild_cond:
            changed, self.changed = self.changed, set()
        if not changed:
            return
        say(f"changed: {', '.join(sorted(changed)[:5])}{' ...' if len(changed) > 5 else ''}")
        if any(p.startswith("sitegen/") for p in changed):
            say("sitegen/ changed: restart `make preview` to use the new build code")
            changed = {p for p in changed if not p.startswith("sitegen/")}
        if any(p.startswith("src/dlref/") or p == "pyproject.toml" for p in changed):
            _build_wheel()
        _forget_between_builds()
        for lang in ex.LANGS:
            if lang in languages_for(changed):
                self.site.build(lang)


def _forget_between_builds() -> None:
    """Drop what the build code caches for the life of a process but a file edit can change."""
    apilinks.public_modules.cache_clear()
    report.history.cache_clear()
    report._ancestors.cache_clear()
    report.versions.cache_clear()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _build_wheel() -> None:
    try:
        dist.build()
    except RuntimeError as err:
        print(err, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitegen.preview", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--folder", type=Path, help="build folder (default: temporary)")
    parser.add_argument(
        "--no-strict", action="store_true", help="serve a build with warnings (they are printed)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    mkdocs_log = logging.getLogger("mkdocs")
    mkdocs_log.setLevel(logging.INFO)
    mkdocs_log.propagate = False
    server_log = logging.StreamHandler(sys.stdout)  # "Reloading browsers", "Browser connected"
    server_log.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("mkdocs.livereload").addHandler(server_log)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="dlref-preview-"))
    site = Site(folder, strict=not args.no_strict)
    if not all(p.is_file() for p in dist.site_paths().values()):
        _build_wheel()
    for lang in ex.LANGS:
        site.build(lang)
    server = PreviewServer(site, args.host, args.port)
    for path in WATCHED:
        server.watch(str(ex.REPO / path))
    say(f"serving http://{args.host}:{args.port}/ (English) and "
        f"http://{args.host}:{args.port}/zh/ (Chinese); Ctrl-C stops")  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve()
    except KeyboardInterrupt:
        say("stopped")
    finally:
        server.shutdown()
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

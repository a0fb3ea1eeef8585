"""`make compat` (sitegen/compat.py): what it runs, what it claims, what it writes.

These tests create no environment; `make compat` itself does (minutes, GB).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sitegen import compat
from sitegen.execute import REPO


def floors() -> dict[str, str]:
    """name -> lowest version, from pyproject.toml's dependencies and extras."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    found = dict(re.findall(r'"([A-Za-z][A-Za-z0-9_-]*)>=([0-9.]+)[,"]', text))
    python = re.search(r'^requires-python = ">=([0-9.]+)"', text, re.M)
    assert python is not None
    found["python"] = python.group(1)
    return found


def test_the_oldest_environment_pins_exactly_the_floors_pyproject_declares() -> None:
    oldest = next(env for env in compat.ENVIRONMENTS if env.name == "oldest")
    pins = dict(pin.split("==") for pin in oldest.pins)
    declared = floors()
    declared.pop("setuptools", None)  # the build backend, not a runtime dependency
    python = declared.pop("python")
    assert oldest.python == python
    # a floor such as "2.4" is pinned as its first release, "2.4.0"
    assert {name: pins.get(name, "").removesuffix(".0") for name in declared} == {
        name: version.removesuffix(".0") for name, version in declared.items()
    }


def test_the_newest_environment_pins_nothing_and_lifts_the_machines_torch_cap() -> None:
    newest = next(env for env in compat.ENVIRONMENTS if env.name == "newest")
    assert all("=" not in pin for pin in newest.pins)
    assert newest.lift_torch_cap and newest.python == "newest"


def test_library_tests_are_the_ones_that_need_no_site_machinery() -> None:
    chosen = set(compat.library_tests())
    assert "tests/test_conv.py" in chosen and "tests/test_optim.py" in chosen
    for left_out in ("test_site.py", "test_sitegen.py", "test_parity.py", "test_compat.py"):
        assert f"tests/{left_out}" not in chosen
    for name in chosen:
        assert not compat.SITE_MACHINERY.search((REPO / name).read_text(encoding="utf-8")), name


def test_third_party_deprecations_are_ignored_but_dlrefs_are_not() -> None:
    module = compat.THIRD_PARTY_DEPRECATIONS.rsplit(":", 1)[1]
    pattern = re.compile(module)  # an ini filter's module: a regex, matched from the start
    assert pattern.match("matplotlib._fontconfig_pattern")
    assert not pattern.match("dlref.plot") and not pattern.match("tests.test_core")


def test_saving_replaces_only_the_environments_that_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results.json"
    monkeypatch.setattr(compat, "RESULTS", results)
    compat.save([{"name": "newest", "date": "1"}, {"name": "oldest", "date": "1"}])
    compat.save([{"name": "newest", "date": "2"}])
    saved = json.loads(results.read_text(encoding="utf-8"))["environments"]
    assert [(e["name"], e["date"]) for e in saved] == [("oldest", "1"), ("newest", "2")]


def test_the_recorded_results_are_for_todays_environments_and_all_passed() -> None:
    """pyproject.toml claims what `make compat` verified: change a floor, run it again."""
    if not compat.RESULTS.exists():
        pytest.skip("make compat has not been run")
    data = json.loads(compat.RESULTS.read_text(encoding="utf-8"))
    pins = {env.name: list(env.pins) for env in compat.ENVIRONMENTS}
    for entry in data["environments"]:
        assert entry["pins"] == pins[entry["name"]], f"{entry['name']}: run `make compat` again"
        assert compat.passed(entry), f"{entry['name']} failed in make compat"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", entry["date"]) and entry["commit"]
        assert entry["install"]["status"] in ("ok", "fail")
        for page in entry.get("pages", {}).values():
            assert page["status"] in ("pass", "fail")


def test_the_verification_page_shows_each_environment_and_what_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sitegen import hooks

    step = {"status": "pass", "seconds": 3.0, "passed": 5, "failed": 0}
    entry = {
        "name": "oldest",
        "about": {"en": "floors", "zh": "最低版本"},
        "date": "2026-01-02",
        "commit": "abc",
        "dirty": False,
        "versions": {"python": "3.11.7", "torch": "2.6.0"},
        "install": {"status": "ok", "seconds": 300.0},
        "tests": step,
        "doctest": step,
        "pages": {
            "tensors": {"status": "pass", "seconds": 1.5, "checks": 3, "error": ""},
            "shapes": {"status": "fail", "seconds": 2.0, "checks": 1, "error": "Boom: `a|b`"},
        },
    }
    monkeypatch.setattr(hooks, "_report", {"compat": [entry]})
    en = hooks._compat_section("en")
    assert "| [tensors](tensors.md) | ✓ 1.5 s |" in en
    assert "| [shapes](shapes.md) | **✗** |" in en
    assert "`oldest`, shapes: `` Boom: `a|b` ``" in en
    assert "| torch | 2.6.0 |" in en and "2026-01-02, `abc`" in en
    assert hooks._compat_section("zh").startswith("## 库所声明的版本范围")
    monkeypatch.setattr(hooks, "_report", {"compat": []})
    assert "has not been run" in hooks._compat_section("en")

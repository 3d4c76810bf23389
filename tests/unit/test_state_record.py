"""The state record of ``packages/python``, in process: storage, change detection, digests."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ivpm import layout
from ivpm.pyenv.state import (
    STATE_VERSION,
    Changes,
    EnvState,
    Requirement,
    build_digest,
    diff_states,
    load_state,
    save_state,
)

ALPHA = Requirement(name="alpha", line="alpha>=1")
GAMMA = Requirement(name="gamma", line="gamma", setup=True)
SRCPKG = Requirement(
    name="srcpkg",
    line="/project/packages/srcpkg",
    editable=True,
    extras=("test",),
    digest="0" * 32,
)
SETTINGS = {"index": {"no-index": True, "find-links": ["/wheels"]}}


def state(*requirements: Requirement, settings: dict[str, object] | None = None) -> EnvState:
    return EnvState(
        settings=SETTINGS if settings is None else settings,
        requirements={r.name: r for r in requirements},
    )


def names(requirements: tuple[Requirement, ...]) -> list[str]:
    return sorted(r.name for r in requirements)


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    path = tmp_path / "packages" / "python"
    path.mkdir(parents=True)
    return path


def test_saved_state_loads_back_the_same(venv: Path) -> None:
    saved = state(ALPHA, GAMMA, SRCPKG)
    save_state(venv, saved)
    assert load_state(venv) == saved
    raw = json.loads(layout.state_record(venv).read_text(encoding="utf-8"))
    assert raw["version"] == STATE_VERSION
    assert raw["requirements"]["srcpkg"]["extras"] == ["test"]
    assert sorted(p.name for p in venv.iterdir()) == [layout.STATE_RECORD_NAME]


def test_a_new_save_replaces_the_record(venv: Path) -> None:
    save_state(venv, state(ALPHA, GAMMA))
    save_state(venv, state(GAMMA))
    assert load_state(venv) == state(GAMMA)


def test_no_record_is_an_empty_state(venv: Path) -> None:
    assert load_state(venv) == EnvState()
    assert load_state(venv.parent / "missing") == EnvState()


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[]",
        json.dumps({"version": STATE_VERSION + 1, "requirements": {}}),
        json.dumps({"version": STATE_VERSION, "requirements": {"alpha": {"editable": False}}}),
        json.dumps({"version": STATE_VERSION, "requirements": {"alpha": "alpha>=1"}}),
        json.dumps({"version": STATE_VERSION, "requirements": None}),
        json.dumps({"version": STATE_VERSION, "requirements": [], "settings": []}),
        json.dumps(
            {"version": STATE_VERSION, "requirements": {"a": {"line": 3, "editable": False}}}
        ),
        json.dumps({"version": STATE_VERSION, "requirements": {}, "ivpm-installed": "abc"}),
        json.dumps({"version": STATE_VERSION, "requirements": {}, "dirty": []}),
        '{"version": 1, "requirements": {"\u00e9": ',
    ],
    ids=[
        "empty",
        "garbage",
        "a list",
        "another version",
        "no line",
        "not an object",
        "null requirements",
        "list requirements",
        "number line",
        "string ivpm-installed",
        "list dirty",
        "truncated",
    ],
)
def test_an_unreadable_record_is_an_empty_state(venv: Path, content: str) -> None:
    layout.state_record(venv).write_text(content, encoding="utf-8")
    assert load_state(venv) == EnvState()


def test_nothing_to_do_when_the_record_matches() -> None:
    changes = diff_states(state(ALPHA, SRCPKG), state(ALPHA, SRCPKG))
    assert changes == Changes()
    assert changes.empty


def test_an_added_dep_is_installed_alone() -> None:
    changes = diff_states(state(ALPHA, GAMMA, SRCPKG), state(ALPHA, SRCPKG))
    assert changes == Changes(install=(GAMMA,))
    assert not changes.empty


def test_a_changed_line_or_extras_is_installed_again() -> None:
    newer = Requirement(name="alpha", line="alpha>=2")
    assert diff_states(state(newer, SRCPKG), state(ALPHA, SRCPKG)) == Changes(install=(newer,))
    more = Requirement(name="alpha", line="alpha>=1", extras=("fast",))
    assert diff_states(state(more), state(ALPHA)) == Changes(install=(more,))


def test_changed_build_files_reinstall_only_that_package() -> None:
    rebuilt = Requirement(
        name="srcpkg", line=SRCPKG.line, editable=True, extras=("test",), digest="1" * 32
    )
    changes = diff_states(state(ALPHA, rebuilt), state(ALPHA, SRCPKG))
    assert changes == Changes(reinstall=(rebuilt,))


def test_a_dep_no_longer_wanted_is_removed() -> None:
    changes = diff_states(state(SRCPKG), state(ALPHA, GAMMA, SRCPKG))
    assert changes.install == () and changes.reinstall == ()
    assert sorted(changes.remove) == ["alpha", "gamma"]


def test_other_settings_refresh_everything() -> None:
    other = {"index": {"no-index": False}}
    changes = diff_states(state(ALPHA, GAMMA, SRCPKG, settings=other), state(ALPHA, GAMMA, SRCPKG))
    assert names(changes.reinstall) == ["alpha", "gamma", "srcpkg"]
    assert changes.refresh and changes.install == () and changes.remove == ()


def test_another_installer_refreshes_everything() -> None:
    recorded = replace(state(ALPHA, SRCPKG), installer="pip")
    changes = diff_states(replace(state(ALPHA, SRCPKG), installer="uv"), recorded)
    assert changes.refresh and names(changes.reinstall) == ["alpha", "srcpkg"]
    assert not diff_states(replace(state(ALPHA, SRCPKG), installer="pip"), recorded).refresh


def test_a_dirty_record_repairs_and_redoes_what_was_pending() -> None:
    recorded = state(ALPHA, GAMMA).marked_dirty(["gamma"])
    changes = diff_states(state(ALPHA, GAMMA), recorded)
    assert changes.repair and not changes.empty
    assert names(changes.reinstall) == ["gamma"] and changes.install == ()


def test_dirty_mark_and_ivpm_installed_round_trip(venv: Path) -> None:
    saved = replace(state(ALPHA).marked_dirty(["alpha"]), ivpm_installed=frozenset({"alpha"}))
    save_state(venv, saved)
    assert load_state(venv) == saved
    save_state(venv, saved.clean())
    assert load_state(venv) == saved.clean() and not load_state(venv).dirty


def test_force_reinstalls_everything_wanted() -> None:
    changes = diff_states(state(ALPHA, SRCPKG), state(ALPHA, GAMMA, SRCPKG), force=True)
    assert names(changes.reinstall) == ["alpha", "srcpkg"]
    assert changes.install == ()
    assert changes.remove == ("gamma",)


def test_a_fresh_environment_installs_everything(venv: Path) -> None:
    changes = diff_states(state(ALPHA, GAMMA, SRCPKG), load_state(venv))
    assert names(changes.install) == ["alpha", "gamma", "srcpkg"]


def test_with_installed_and_without_advance_the_record() -> None:
    recorded = state(ALPHA).with_installed([GAMMA, SRCPKG]).without(["alpha"])
    assert recorded == state(GAMMA, SRCPKG)


@pytest.mark.parametrize("build_file", ["setup.py", "pyproject.toml", "setup.cfg"])
def test_the_build_digest_follows_the_build_files(tmp_path: Path, build_file: str) -> None:
    package = tmp_path / "srcpkg"
    package.mkdir()
    (package / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (package / "pyproject.toml").write_text('[project]\nname = "srcpkg"\nversion = "0.1"\n')
    before = build_digest(package)
    assert build_digest(package) == before
    with (package / build_file).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    assert build_digest(package) != before


def test_the_build_digest_ignores_other_files(tmp_path: Path) -> None:
    package = tmp_path / "srcpkg"
    (package / "srcpkg").mkdir(parents=True)
    (package / "pyproject.toml").write_text('[project]\nname = "srcpkg"\n')
    before = build_digest(package)
    (package / "srcpkg" / "__init__.py").write_text("VALUE = 2\n")
    (package / "README.md").write_text("changed\n")
    assert build_digest(package) == before


def test_removing_a_build_file_changes_the_digest(tmp_path: Path) -> None:
    package = tmp_path / "srcpkg"
    package.mkdir()
    (package / "setup.cfg").write_text("")
    with_empty_cfg = build_digest(package)
    (package / "setup.cfg").unlink()
    assert build_digest(package) != with_empty_cfg

"""``packages/package-lock.json``, in process: round trip, and every way a bad file is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ivpm.errors import ConfigError
from ivpm.lockfile import LOCK_FORMAT, GitPin, LockData, git_pins_of, read_lock, write_lock

COMMIT = "0123456789abcdef0123456789abcdef01234567"

DATA = LockData(
    dep_set="default-dev",
    git={
        "srcpkg": GitPin(url="https://example.com/srcpkg.git", commit=COMMIT),
        "other": GitPin(url="file:///repos/other.git", commit="abcd"),
    },
    python={"zeta": "1.0", "alpha": "2.0.0"},
    editable={"srcpkg": "packages/srcpkg"},
)


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "packages" / "package-lock.json"


def write_raw(path: Path, content: Any) -> Path:
    """Write ``content`` as JSON (or a string as is) where the lock file goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def valid(**sections: Any) -> dict[str, Any]:
    """A valid lock file's JSON, with ``sections`` replaced."""
    raw: dict[str, Any] = {
        "ivpm-lock-format": LOCK_FORMAT,
        "dep-set": "default-dev",
        "git": {"srcpkg": {"url": "https://example.com/srcpkg.git", "commit": COMMIT}},
        "python": {"alpha": "2.0.0"},
        "editable": {},
    }
    raw.update(sections)
    return raw


def config_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        read_lock(path)
    return raised.value


def test_what_is_written_reads_back_the_same(lock_path: Path) -> None:
    write_lock(lock_path, DATA)
    assert read_lock(lock_path) == DATA
    assert git_pins_of(lock_path) == dict(DATA.git)


def test_the_file_is_sorted_json_with_its_format_number(lock_path: Path) -> None:
    write_lock(lock_path, DATA)
    raw = json.loads(lock_path.read_text(encoding="utf-8"))
    assert raw["ivpm-lock-format"] == LOCK_FORMAT
    assert raw["git"]["srcpkg"] == {"url": "https://example.com/srcpkg.git", "commit": COMMIT}
    assert list(raw["python"]) == ["alpha", "zeta"]
    assert raw["editable"] == {"srcpkg": "packages/srcpkg"}
    assert [p.name for p in lock_path.parent.iterdir()] == ["package-lock.json"]


def test_constraints_pin_every_non_editable_distribution() -> None:
    assert DATA.constraints() == ["alpha==2.0.0", "zeta==1.0"]
    assert LockData().constraints() == []


def test_malformed_json_points_at_line_and_column(lock_path: Path) -> None:
    write_raw(lock_path, '{\n  "ivpm-lock-format": 1,\n  "git": {,}\n}\n')
    error = config_error(lock_path)
    assert error.message.startswith("lock file is not valid JSON: ")
    assert error.location is not None
    assert (error.location.path, error.location.line, error.location.col) == (lock_path, 3, 11)
    rendered = error.render()
    assert rendered.startswith(f"{lock_path}:3:11: error: lock file is not valid JSON")
    assert '  "git": {,}' in rendered  # the offending line, with a caret under the column
    assert "\n  " + " " * 10 + "^" in rendered


@pytest.mark.parametrize("raw", [valid(**{"ivpm-lock-format": 2}), {"git": {}}, [1, 2]])
def test_a_file_of_another_format_is_refused(lock_path: Path, raw: Any) -> None:
    error = config_error(write_raw(lock_path, raw))
    assert error.message == 'not an ivpm lock file (expected "ivpm-lock-format": 1)'
    assert str(error.location).endswith("package-lock.json:1:1")


@pytest.mark.parametrize("commit", ["not-a-commit", "abc", "-x", COMMIT + "0" * 30])
def test_a_bad_commit_is_refused(lock_path: Path, commit: str) -> None:
    raw = valid(git={"srcpkg": {"url": "https://example.com/srcpkg.git", "commit": commit}})
    error = config_error(write_raw(lock_path, raw))
    assert error.message == f"lock file entry git.srcpkg has an invalid commit {commit!r}"


@pytest.mark.parametrize("entry", [{"url": "https://example.com/x.git"}, {"commit": 7}, "abcd"])
def test_a_git_entry_needs_a_commit_string(lock_path: Path, entry: Any) -> None:
    error = config_error(write_raw(lock_path, valid(git={"srcpkg": entry})))
    assert error.message == 'lock file entry git.srcpkg needs a "commit" string'


@pytest.mark.parametrize("section", ["git", "python", "editable"])
@pytest.mark.parametrize("value", [[], "text", 3])
def test_sections_must_be_objects(lock_path: Path, section: str, value: Any) -> None:
    error = config_error(write_raw(lock_path, valid(**{section: value})))
    assert error.message == f'lock file key "{section}" must be an object'


def test_a_python_version_must_be_a_string(lock_path: Path) -> None:
    error = config_error(write_raw(lock_path, valid(python={"alpha": 2})))
    assert error.message == "lock file entry python.alpha must be a version string"


def test_a_missing_file_is_a_config_error(lock_path: Path) -> None:
    error = config_error(lock_path)
    assert error.message.startswith(f"cannot read lock file {lock_path}")


def test_git_pins_of_a_missing_or_bad_file_is_none(lock_path: Path) -> None:
    assert git_pins_of(lock_path) is None
    assert git_pins_of(write_raw(lock_path, "{")) is None
    assert git_pins_of(write_raw(lock_path, valid(git=[]))) is None

"""Reading the published ivpm's ``package-lock.json`` (``ivpm_lock_version`` 1, 2, 3), and
``read_lock`` refusing unreadable files cleanly.

The fixture documents are written here after the published format: a ``packages`` map keyed by
name (v1) or scope path (v2, v3, with ``name`` and ``scope`` in the entry), ``python_packages``
from ``pip list`` and a ``sha256`` over the sorted JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from ivpm.errors import ConfigError
from ivpm.lockfile import GitPin, LockData, git_pins_of, read_lock, write_lock
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import GitRepo, make_repo
from tests.helpers.wheelhouse import hermetic_env

A = "a" * 40
B = "b" * 40
C = "c" * 40
SHA256_COMMIT = "d" * 64
URL = "https://example.com/srcpkg.git"


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "packages" / "package-lock.json"


def write_raw(path: Path, content: Any) -> Path:
    """Write ``content`` as JSON (bytes and strings as they are) where the lock file goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text, encoding="utf-8")
    return path


def with_checksum(lock: dict[str, Any]) -> dict[str, Any]:
    """``lock`` with the ``sha256`` the published ivpm stamps on it."""
    body = json.dumps(lock, indent=2, sort_keys=True)
    return {**lock, "sha256": hashlib.sha256(body.encode()).hexdigest()}


def git_entry(commit: Any = A, **fields: Any) -> dict[str, Any]:
    """A published git entry as its writer records one."""
    entry: dict[str, Any] = {
        "src": "git",
        "resolved_by": "root",
        "dep_set": None,
        "reproducible": True,
        "url": URL,
        "branch": None,
        "tag": None,
        "commit_requested": None,
        "commit_resolved": commit,
        "cache": None,
    }
    entry.update(fields)
    return entry


def pypi_entry(requested: Any = None, resolved: Any = None) -> dict[str, Any]:
    """A published PyPI entry."""
    return {
        "src": "pypi",
        "resolved_by": "root",
        "dep_set": None,
        "reproducible": True,
        "version_requested": requested,
        "version_resolved": resolved,
    }


def v1_lock() -> dict[str, Any]:
    """A version 1 lock: keys are package names, entries have no ``name``."""
    return {
        "ivpm_lock_version": 1,
        "generated": "2024-05-01T10:00:00+00:00",
        "packages": {
            "srcpkg": git_entry(A, branch="main"),
            "requests": pypi_entry(">=2.0"),
            "tarball": {"src": ".tar.gz", "url": "https://example.com/t.tar.gz", "etag": "x"},
            "localdir": {"src": "dir", "path": "../localdir", "reproducible": False},
        },
        "python_packages": {"requests": "2.31.0", "PyYAML": "6.0.1", "srcpkg": "0.1.0"},
    }


def v2_lock() -> dict[str, Any]:
    """A version 2 lock over a nested workspace: keys are scope paths, entries carry ``name``."""
    return {
        "ivpm_lock_version": 2,
        "generated": "2024-06-01T10:00:00+00:00",
        "dep_sets": ["default-dev"],
        "packages": {
            "srcpkg": {**git_entry(A), "name": "srcpkg"},
            "srcpkg/packages/helper": {
                **git_entry(B, url="https://example.com/helper.git"),
                "name": "helper",
                "scope": "srcpkg/packages",
            },
            "numpy": {**pypi_entry("1.26.4", "1.26.4"), "name": "numpy"},
        },
        "python_packages": {"numpy": "1.26.4", "pip": "24.0"},
    }


def v3_lock() -> dict[str, Any]:
    """A version 3 lock: git entries carry ``depth`` and ``submodules``."""
    return {
        "ivpm_lock_version": 3,
        "generated": "2025-01-01T10:00:00+00:00",
        "packages": {
            "srcpkg": {
                **git_entry(A, tag="v1.0", depth=1, submodules={"enabled": False}),
                "name": "srcpkg",
            },
            "fromrequested": {
                **git_entry(None, commit_requested=SHA256_COMMIT),
                "name": "fromrequested",
            },
            "Some_Dist": {**pypi_entry("==2.0", "2.0.1"), "name": "Some_Dist"},
            "gh": {
                "src": "gh-rls",
                "name": "gh",
                "url": "https://github.com/o/r",
                "version_requested": "latest",
                "version_resolved": "v3.0",
            },
            "mod": {"src": "module", "name": "mod", "module": "gcc/12", "reproducible": False},
        },
        "python_packages": {"some-dist": "2.0.1", "uv": "0.4.0"},
        "python_venv": {"installer": "uv"},
    }


def config_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        read_lock(path)
    return raised.value


# --- the three versions -------------------------------------------------------------------------


def test_v1_git_commit_and_installed_versions_carry_over(lock_path: Path) -> None:
    data = read_lock(write_raw(lock_path, with_checksum(v1_lock())))
    assert data == LockData(
        git={"srcpkg": GitPin(url=URL, commit=A)},
        # The source packages (git, dir) were installed editable: not pinned.
        python={"pyyaml": "6.0.1", "requests": "2.31.0"},
    )
    assert data.constraints() == ["pyyaml==6.0.1", "requests==2.31.0"]


def test_v2_scope_path_keys_and_nested_scopes(lock_path: Path) -> None:
    data = read_lock(write_raw(lock_path, with_checksum(v2_lock())))
    assert data.dep_set == "default-dev"
    assert data.git == {
        "srcpkg": GitPin(url=URL, commit=A),
        "helper": GitPin(url="https://example.com/helper.git", commit=B),
    }
    assert data.python == {"numpy": "1.26.4", "pip": "24.0"}


def test_v3_commit_requested_and_resolved_pypi_versions(lock_path: Path) -> None:
    data = read_lock(write_raw(lock_path, with_checksum(v3_lock())))
    assert data.git == {
        "srcpkg": GitPin(url=URL, commit=A),
        "fromrequested": GitPin(url=URL, commit=SHA256_COMMIT),
    }
    assert data.python == {"some-dist": "2.0.1", "uv": "0.4.0"}
    assert data.editable == {}


def test_a_published_lock_without_a_checksum_is_read(lock_path: Path) -> None:
    assert read_lock(write_raw(lock_path, v1_lock())).git == {"srcpkg": GitPin(URL, A)}


def test_commit_resolved_wins_over_commit_requested(lock_path: Path) -> None:
    lock = v1_lock()
    lock["packages"] = {"srcpkg": git_entry(B, commit_requested=A[:7])}
    assert read_lock(write_raw(lock_path, lock)).git == {"srcpkg": GitPin(URL, B)}


def test_an_empty_or_missing_packages_map_gives_no_pins(lock_path: Path) -> None:
    assert read_lock(write_raw(lock_path, {"ivpm_lock_version": 2})) == LockData()
    assert read_lock(write_raw(lock_path, {"ivpm_lock_version": 3, "packages": {}})) == LockData()


def test_a_null_url_is_kept_as_empty(lock_path: Path) -> None:
    lock = {"ivpm_lock_version": 1, "packages": {"srcpkg": git_entry(A, url=None)}}
    assert read_lock(write_raw(lock_path, lock)).git == {"srcpkg": GitPin("", A)}


# --- Python versions: only what was resolved ----------------------------------------------------


def test_a_requested_version_alone_is_not_a_pin(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = {
        "ivpm_lock_version": 3,
        "packages": {
            "exact": {**pypi_entry("1.2.3"), "name": "exact"},
            "ranged": {**pypi_entry(">=1.0,<2"), "name": "ranged"},
        },
    }
    with caplog.at_level(logging.DEBUG, logger="ivpm"):
        data = read_lock(write_raw(lock_path, lock))
    assert data.python == {}
    assert "no resolved version recorded (so no pin) for: exact, ranged" in caplog.text


def test_a_resolved_version_that_is_not_a_version_is_not_a_pin(lock_path: Path) -> None:
    lock = {
        "ivpm_lock_version": 2,
        "packages": {"odd": {**pypi_entry(None, ">=1.0"), "name": "odd"}},
        "python_packages": {"legacy": "not a version", "ok": "1.0"},
    }
    assert read_lock(write_raw(lock_path, lock)).python == {"ok": "1.0"}


def test_python_packages_win_over_the_entry_they_installed(lock_path: Path) -> None:
    lock = {
        "ivpm_lock_version": 2,
        "packages": {"lib": {**pypi_entry("~=1.0", "1.0.0"), "name": "lib"}},
        "python_packages": {"Lib": "1.0.2"},
    }
    assert read_lock(write_raw(lock_path, lock)).python == {"lib": "1.0.2"}


def test_other_sources_are_ignored_and_logged(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ivpm"):
        data = read_lock(write_raw(lock_path, v3_lock()))
    assert set(data.git) == {"srcpkg", "fromrequested"}
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(
        "not carried over from the published lock: gh (gh-rls), mod (module)" in m for m in messages
    )


def test_conflicting_nested_pins_are_dropped(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    helper = {**git_entry(B), "name": "helper"}
    lock = {
        "ivpm_lock_version": 2,
        "packages": {
            "srcpkg": {**git_entry(A), "name": "srcpkg"},
            "a/packages/helper": {**helper, "scope": "a/packages"},
            "b/packages/helper": {**helper, "scope": "b/packages", "commit_resolved": C},
            "b/packages/srcpkg": {**git_entry(C), "name": "srcpkg", "scope": "b/packages"},
        },
    }
    with caplog.at_level(logging.DEBUG, logger="ivpm"):
        data = read_lock(write_raw(lock_path, lock))
    assert data.git == {"srcpkg": GitPin(URL, A)}  # the root scope's commit wins
    assert "helper (git, pinned to 2 commits in nested scopes)" in caplog.text
    assert "srcpkg (git, another commit in a nested scope)" in caplog.text


def test_a_checksum_mismatch_is_a_warning_only(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = with_checksum(v1_lock())
    lock["packages"]["srcpkg"]["commit_resolved"] = B  # edited after it was stamped
    with caplog.at_level(logging.WARNING, logger="ivpm"):
        data = read_lock(write_raw(lock_path, lock))
    assert data.git == {"srcpkg": GitPin(URL, B)}
    assert "sha256 does not match" in caplog.text


def test_a_matching_checksum_warns_nothing(
    lock_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ivpm"):
        read_lock(write_raw(lock_path, with_checksum(v2_lock())))
    assert caplog.records == []


# --- our own format is unchanged ----------------------------------------------------------------


def test_our_format_key_decides_over_the_published_one(lock_path: Path) -> None:
    raw = {
        "ivpm-lock-format": 1,
        "ivpm_lock_version": 3,
        "git": {"srcpkg": {"url": URL, "commit": C}},
        "python": {},
        "editable": {},
    }
    assert read_lock(write_raw(lock_path, raw)).git == {"srcpkg": GitPin(URL, C)}


def test_git_pins_of_a_published_lock_is_none(lock_path: Path) -> None:
    """So the no-op update rewrites a moved-over project's lock file in our format."""
    assert git_pins_of(write_raw(lock_path, v1_lock())) is None
    write_lock(lock_path, LockData(git={"srcpkg": GitPin(URL, A)}))
    assert git_pins_of(lock_path) == {"srcpkg": GitPin(URL, A)}


# --- refused: a clean ConfigError at the file ---------------------------------------------------


@pytest.mark.parametrize("version", [0, 4, -1, "3", 2.0, True, None, [3]])
def test_an_unsupported_lock_version_is_refused(lock_path: Path, version: Any) -> None:
    error = config_error(write_raw(lock_path, {**v1_lock(), "ivpm_lock_version": version}))
    assert error.message == (
        f"lock file has ivpm_lock_version {json.dumps(version)}; "
        "the published ivpm's lock versions 1, 2, 3 can be read"
    )
    assert str(error.location).endswith("package-lock.json:1:1")


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (git_entry(None), 'lock file entry packages.srcpkg (git) needs a "commit_resolved" commit'),
        (git_entry(""), 'lock file entry packages.srcpkg (git) needs a "commit_resolved" commit'),
        (
            git_entry(None, commit_requested="abc1234"),
            "lock file entry packages.srcpkg has no commit_resolved, and its commit_requested "
            "'abc1234' is not a full commit id",
        ),
        (
            git_entry(None, commit_requested="main"),
            "lock file entry packages.srcpkg has no commit_resolved, and its commit_requested "
            "'main' is not a full commit id",
        ),
        (
            git_entry("--upload-pack=x"),
            "lock file entry packages.srcpkg has an invalid commit_resolved '--upload-pack=x'",
        ),
        (git_entry(A + "0" * 30), "lock file entry packages.srcpkg has an invalid commit_resolved"),
        (git_entry(7), 'lock file entry packages.srcpkg has a "commit_resolved" that is not a'),
        (
            git_entry(None, commit_requested=["x"]),
            'lock file entry packages.srcpkg has a "commit_requested" that is not a string',
        ),
        (git_entry(A, url=3), 'lock file entry packages.srcpkg has a "url" that is not a string'),
        ("srcpkg", "lock file entry packages.srcpkg must be an object"),
        ([git_entry()], "lock file entry packages.srcpkg must be an object"),
        ({"src": 5}, 'lock file entry packages.srcpkg has a "src" that is not a string'),
        ({**git_entry(), "name": 5}, 'lock file entry packages.srcpkg has a "name" that is not'),
        ({**git_entry(), "name": ""}, 'lock file entry packages.srcpkg has a "name" that is not'),
        ({**git_entry(), "scope": 1}, 'lock file entry packages.srcpkg has a "scope" that is not'),
        (
            pypi_entry(None, 2),
            'lock file entry packages.srcpkg has a "version_resolved" that is not a string',
        ),
    ],
)
def test_a_bad_entry_is_refused(lock_path: Path, entry: Any, says: str) -> None:
    lock = {"ivpm_lock_version": 2, "packages": {"srcpkg": entry}}
    error = config_error(write_raw(lock_path, lock))
    assert error.message.startswith(says)
    assert str(error.location).endswith("package-lock.json:1:1")


@pytest.mark.parametrize("key", ["packages", "python_packages"])
@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_the_maps_must_be_objects(lock_path: Path, key: str, value: Any) -> None:
    error = config_error(write_raw(lock_path, {"ivpm_lock_version": 1, key: value}))
    assert error.message == f'lock file key "{key}" must be an object'


def test_a_python_packages_version_must_be_a_string(lock_path: Path) -> None:
    lock = {"ivpm_lock_version": 1, "python_packages": {"numpy": 1.26}}
    error = config_error(write_raw(lock_path, lock))
    assert error.message == "lock file entry python_packages.numpy must be a version string"


def test_two_root_entries_pinning_one_package_differently_are_refused(lock_path: Path) -> None:
    lock = {
        "ivpm_lock_version": 2,
        "packages": {
            "srcpkg": {**git_entry(A), "name": "srcpkg"},
            "alias": {**git_entry(B), "name": "srcpkg"},
        },
    }
    error = config_error(write_raw(lock_path, lock))
    assert error.message == f"lock file pins git package srcpkg to two commits ({A}, {B})"


def test_a_name_with_control_characters_is_quoted(lock_path: Path) -> None:
    lock = {"ivpm_lock_version": 1, "packages": {"bad\nname": git_entry(None)}}
    error = config_error(write_raw(lock_path, lock))
    assert error.message.startswith("lock file entry packages.'bad\\nname' (git)")


# --- unreadable files, whatever the format ------------------------------------------------------


def test_a_file_that_is_not_utf8_points_at_the_byte(lock_path: Path) -> None:
    error = config_error(write_raw(lock_path, b'{\n  "ivpm_lock_version": 1,\n  "x": "\xff"\n}\n'))
    assert error.message == "lock file is not UTF-8 text (byte 0xff)"
    assert error.location is not None
    assert (error.location.line, error.location.col) == (3, 9)
    assert error.render().startswith(f"{error.location}: error: lock file is not UTF-8 text")


def test_a_utf16_file_is_refused(lock_path: Path) -> None:
    error = config_error(write_raw(lock_path, json.dumps(v1_lock()).encode("utf-16")))
    assert error.message.startswith("lock file is not UTF-8 text")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "\ufeff{}",  # a byte-order mark
        '{"ivpm_lock_version": 1, "packages": {}} trailing',
        "[" * 100_000,
        '{"ivpm_lock_version": ' + "9" * 5000 + "}",
    ],
)
def test_text_that_is_not_json_is_refused(lock_path: Path, text: str) -> None:
    error = config_error(write_raw(lock_path, text))
    assert error.message.startswith("lock file is not valid JSON: ")
    assert error.location is not None and error.location.path == lock_path


def test_a_directory_is_refused(lock_path: Path) -> None:
    lock_path.mkdir(parents=True)
    assert config_error(lock_path).message.startswith(f"cannot read lock file {lock_path}")


def test_a_deeply_nested_document_with_a_checksum_is_read(lock_path: Path) -> None:
    deep = "[" * 900 + "]" * 900
    text = '{"ivpm_lock_version": 1, "packages": {}, "x": ' + deep + ', "sha256": "0"}'
    assert read_lock(write_raw(lock_path, text)) == LockData()


def test_non_json_values_of_our_format_are_refused_the_same_way(lock_path: Path) -> None:
    assert config_error(write_raw(lock_path, b"\x80")).message.startswith("lock file is not UTF-8")
    assert git_pins_of(lock_path) is None


# --- end to end: ivpm update --lock-file <published lock> ---------------------------------------


def test_update_checks_out_the_commit_a_published_lock_pins(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", {"README": "first\n"})
    first = repo.head()
    assert repo.commit({"README": "second\n"}, "second") != first
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text(
        "package:\n  name: moved\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        f"        - name: srcpkg\n          url: {repo.url}\n          src: git\n"
    )
    published: dict[str, Any] = {
        "ivpm_lock_version": 3,
        "generated": "2025-01-01T10:00:00+00:00",
        "dep_sets": ["default-dev"],
        "packages": {"srcpkg": {**git_entry(first, url=repo.url, depth=None), "name": "srcpkg"}},
        "python_packages": {},
    }
    (root / "old-lock.json").write_text(json.dumps(with_checksum(published), indent=2))
    env = hermetic_env(os.environ)
    env["IVPM_NO_INDEX"] = "1"

    result = run_ivpm(
        ["update", "--skip-py-install", "--lock-file", "old-lock.json"], cwd=root, env=env
    )
    assert result.returncode == 0, result.stderr
    assert GitRepo(root / "packages" / "srcpkg").head() == first

    published["packages"]["srcpkg"]["commit_resolved"] = None
    (root / "bad-lock.json").write_text(json.dumps(published))
    result = run_ivpm(
        ["update", "--skip-py-install", "--lock-file", "bad-lock.json"], cwd=root, env=env
    )
    assert result.returncode == 2
    assert "bad-lock.json:1:1: error: lock file entry packages.srcpkg (git)" in result.stderr
    assert "Traceback" not in result.stderr

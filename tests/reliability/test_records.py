"""Records ivpm reads back, and faults of the environment: a clear message, never a traceback.

- A damaged record under ``packages/`` (the venv record, ivpm's own lock file) means "nothing
  recorded": the next ``update`` rebuilds or rewrites it and succeeds.
- ``packages/python`` or its site-packages, or ``packages/`` itself, that cannot be written
  (``chattr +i``, as root) is a one-screen message naming the path; once writable again the
  next update repairs everything.
- A ``packages/`` that is a symbolic link is refused by writing sessions, warned about by reading
  ones.
- The errors of the operating system (a read-only file system, a full disk) raised in a
  session are mapped to exit codes 2 and 1.

The lock-file (``--lock-file``) and ``ivpm.yaml`` (NUL characters) cases are in the corpus of
:mod:`tests.reliability.test_bad_input`.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.cli import main
from ivpm.context import Session
from ivpm.lockfile import git_pins_of
from ivpm.pyenv.venv import read_venv_info
from ivpm.registry import Registry
from tests.conftest import Project, srcpkg_project_yaml
from tests.helpers.cli import run_ivpm
from tests.reliability.harness import assert_sound_environment
from tests.reliability.test_broken import offline_project, read_only, srcpkg_and_beta_project

MakeProject = Callable[..., Project]

DEEP = ("[" * 100_000 + "]" * 100_000).encode()

#: Damaged contents of a JSON record: bytes to write, or a function making the damage.
Damage = bytes | Callable[[Path], None]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


COMMON: dict[str, Damage] = {
    "null": b"null",
    "list": b"[]",
    "string": b'"text"',
    "truncated": _truncated,
    "not-utf8": b'{"python": "\xff\xfe"}',
    "deep-nesting": DEEP,
    "fifo": _fifo,
    "directory": _directory,
    "empty": b"",
}

VENV_RECORD: dict[str, Damage] = {
    **COMMON,
    "fields-null": json.dumps(
        dict.fromkeys(("python", "home", "version", "backend", "created"))
    ).encode(),
    "fields-numbers": json.dumps(
        {"python": 3, "home": 1, "version": 3.11, "backend": 7, "created": 0}
    ).encode(),
    "unknown-backend": b"",  # filled in from the real record by the test
}

LOCK_RECORD: dict[str, Damage] = {
    **COMMON,
    "git-null": b'{"ivpm-lock-format": 1, "git": null}',
    "git-list": b'{"ivpm-lock-format": 1, "git": []}',
    "commit-number": b'{"ivpm-lock-format": 1, "git": {"srcpkg": {"commit": 5}}}',
    "python-numbers": b'{"ivpm-lock-format": 1, "python": {"a": 1}}',
}


def _damage(path: Path, damage: Damage) -> None:
    if damage is _truncated:
        damage(path)
        return
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)
    if callable(damage):
        damage(path)
    else:
        path.write_bytes(damage)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Project:
    """A project with an environment and no deps: rebuilding it is quick."""
    project = offline_project(tmp_path_factory.mktemp("records-bare") / "proj", wheelhouse)
    project.write("package:\n  name: bare\n  dep-sets:\n    - name: default-dev\n")
    project.update()
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Project:
    """A project with a git source package and a PyPI dep, updated once."""
    return srcpkg_and_beta_project(tmp_path_factory.mktemp("records"), wheelhouse)


def assert_no_internal_error(stderr: str) -> None:
    """No traceback and no "internal error", and a short message."""
    assert "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr


def assert_working(project: Project) -> None:
    """Everything ivpm.yaml asks for imports, and every record is sound again."""
    assert_sound_environment(project.root)
    assert project.can_import("srcpkg") and project.can_import("ivpmtest_beta")


#: The damages also run through the real CLI (every kind is read in process below).
CLI_VENV_DAMAGE = ("not-utf8", "fifo", "fields-null", "unknown-backend")
CLI_LOCK_DAMAGE = ("deep-nesting", "directory", "git-null", "commit-number")


@pytest.mark.parametrize("damage", list(VENV_RECORD))
def test_every_damaged_venv_record_reads_as_nothing_recorded(tmp_path: Path, damage: str) -> None:
    venv = tmp_path / "python"
    venv.mkdir()
    record = venv / ".ivpm-venv.json"
    sound = {"python": "/usr/bin/python3", "home": "/usr/bin", "version": "3.11.2"}
    record.write_text(json.dumps({**sound, "backend": "venv", "created": "now"}))
    assert read_venv_info(venv) is not None
    content = VENV_RECORD[damage]
    if damage == "unknown-backend":
        content = json.dumps({**sound, "backend": "conda", "created": "now"}).encode()
    _damage(record, content)
    assert read_venv_info(venv) is None


@pytest.mark.parametrize("damage", list(LOCK_RECORD))
def test_every_damaged_lock_record_reads_as_nothing_recorded(tmp_path: Path, damage: str) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text('{"ivpm-lock-format": 1, "git": {}}')
    _damage(lock, LOCK_RECORD[damage])
    assert git_pins_of(lock) is None


@pytest.mark.parametrize("damage", CLI_VENV_DAMAGE)
def test_a_damaged_venv_record_rebuilds_the_environment(bare: Project, damage: str) -> None:
    record = bare.root / "packages" / "python" / ".ivpm-venv.json"
    content = VENV_RECORD[damage]
    if damage == "unknown-backend":
        data = json.loads(record.read_text())
        content = json.dumps({**data, "backend": "conda"}).encode()
    _damage(record, content)
    result = bare.ivpm("update")
    assert result.returncode == 0, result.stderr
    assert_no_internal_error(result.stderr)
    assert "created packages/python" in result.stderr
    data = json.loads(record.read_text())
    assert isinstance(data, dict) and isinstance(data["python"], str)
    assert bare.py("import sys; print(sys.prefix)") == str(bare.root / "packages" / "python")
    again = bare.ivpm("update")
    assert again.returncode == 0 and "created" not in again.stderr, again.stderr


@pytest.mark.parametrize("damage", CLI_LOCK_DAMAGE)
def test_a_damaged_lock_record_is_rewritten(built: Project, damage: str) -> None:
    lock = built.root / "packages" / "package-lock.json"
    _damage(lock, LOCK_RECORD[damage])
    result = built.ivpm("update")
    assert result.returncode == 0, result.stderr
    assert_no_internal_error(result.stderr)
    data = json.loads(lock.read_text())
    assert data["ivpm-lock-format"] == 1
    assert set(data["git"]) == {"srcpkg"} and len(data["git"]["srcpkg"]["commit"]) == 40
    assert "ivpmtest-beta" in data["python"]
    assert_working(built)


def _gamma_added(project: Project) -> None:
    text = (project.root / "ivpm.yaml").read_text()
    if "ivpmtest-gamma" not in text:
        project.write(text + "        - name: ivpmtest-gamma\n")


def _site_packages(project: Project) -> Path:
    (found,) = (project.root / "packages" / "python" / "lib").glob("python3*/site-packages")
    return found


@pytest.mark.installer
def test_an_immutable_environment_folder_is_a_clear_error(built: Project) -> None:
    _gamma_added(built)
    venv = built.root / "packages" / "python"
    with read_only(venv):
        result = built.ivpm("update")
    assert result.returncode == 2, result.stderr
    assert_no_internal_error(result.stderr)
    assert "error: cannot write packages/python/" in result.stderr
    assert "lsattr" in result.stderr  # the hint says how to look
    assert len(result.stderr.splitlines()) < 25, result.stderr
    built.update()
    assert built.can_import("ivpmtest_gamma")
    assert_working(built)


@pytest.mark.installer
def test_immutable_site_packages_is_the_installers_failure(built: Project) -> None:
    """The installer cannot write: exit 1 (a session failure) with the installer's words."""
    built.write(srcpkg_project_yaml("records", _srcpkg_url(built), "ivpmtest-beta"))
    built.update()
    _gamma_added(built)
    site = _site_packages(built)
    with read_only(site):
        result = built.ivpm("update")
    assert result.returncode == 1, result.stderr
    assert_no_internal_error(result.stderr)
    assert "could not install" in result.stderr
    assert str(site) in result.stderr or "site-packages" in result.stderr
    built.update()
    assert built.can_import("ivpmtest_gamma")
    assert_working(built)


def _srcpkg_url(project: Project) -> str:
    data = json.loads((project.root / "packages" / "package-lock.json").read_text())
    url: str = data["git"]["srcpkg"]["url"]
    return url


def test_an_immutable_packages_folder_is_refused_before_anything(built: Project) -> None:
    """The workspace lock file already exists (the lock works), but nothing can be created."""
    packages = built.root / "packages"
    before = sorted(p.name for p in packages.iterdir())
    with read_only(packages):
        result = run_ivpm(["update", "--skip-py-install"], cwd=built.root, env=built.env)
        assert sorted(p.name for p in packages.iterdir()) == before
    assert result.returncode == 2, result.stderr
    assert_no_internal_error(result.stderr)
    assert "error: cannot write in packages: Operation not permitted" in result.stderr


def test_packages_that_is_a_symlink(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project("package:\n  name: ln\n  dep-sets:\n    - name: default-dev\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.root / "packages").symlink_to(elsewhere)
    refused = run_ivpm(["update"], cwd=project.root, env=project.env)
    assert refused.returncode == 2, refused.stderr
    assert_no_internal_error(refused.stderr)
    assert (
        f"error: packages is a symbolic link (to {elsewhere}): ivpm works only in a real "
        "folder inside the project"
    ) in refused.stderr
    assert "deps-dir" in refused.stderr
    assert list(elsewhere.iterdir()) == []  # not even the workspace lock
    status = run_ivpm(["status"], cwd=project.root, env=project.env)
    assert status.returncode == 0, status.stderr
    assert "warning: packages is a symbolic link" in status.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_deps_dir_below_a_symlink(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project(
        "package:\n  name: ln\n  deps-dir: build/deps\n  dep-sets:\n    - name: default-dev\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.root / "build").symlink_to(elsewhere)
    refused = run_ivpm(["update"], cwd=project.root, env=project.env)
    assert refused.returncode == 2, refused.stderr
    assert "error: build is a symbolic link" in refused.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "exit_code", "says"),
    [
        (errno.EROFS, 2, "error: cannot write packages/python/x: Read-only file system"),
        (errno.EACCES, 2, "error: cannot write packages/python/x: Permission denied"),
        (errno.ENOSPC, 1, "error: no space left on device while writing packages/python/x"),
        (errno.EDQUOT, 1, "error: disk quota exceeded while writing packages/python/x"),
    ],
    ids=["erofs", "eacces", "enospc", "edquot"],
)
def test_file_system_errors_in_a_session(  # noqa: PLR0917 (fixtures and parameters)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
    exit_code: int,
    says: str,
) -> None:
    """An OSError of the environment raised by a session's own write (as ``open`` raises it)."""
    (tmp_path / "ivpm.yaml").write_text("package:\n  name: fs\n  dep-sets: []\n")
    monkeypatch.chdir(tmp_path)
    registry = Registry()

    @registry.session(name="t_write", writes=False)
    def t_write(s: Session) -> None:
        """Fails to write."""
        raise OSError(code, os.strerror(code), str(tmp_path / "packages" / "python" / "x"))

    assert main(["t_write"], registry=registry) == exit_code
    err = capsys.readouterr().err
    assert says in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert "x t_write: failed" in err

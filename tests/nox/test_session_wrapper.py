"""``ivpm.nox.IvpmSession`` in-process: a wrapper around any object with nox's public API."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, NoReturn

import pytest

import ivpm.nox


class Quit(Exception):
    """What the stand-in's ``error`` raises (nox raises its own private exception)."""


class PublicSession:
    """Only public attributes, as a ``venv_backend="none"`` nox session has them.

    Any private attribute ``ivpm.nox`` asked for would be an AttributeError: it has none.
    """

    __slots__ = ("calls", "env", "name", "posargs", "venv_backend")

    def __init__(self) -> None:
        self.name = "unit"
        self.venv_backend = "none"
        self.posargs = ["-k", "fast"]
        self.env: dict[str, str | None] = {}
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def run(self, *args: Any, **kwargs: Any) -> str:
        self.calls.append(("run", args, kwargs))
        return "ran"

    def run_install(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("run_install", args, kwargs))

    def run_always(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("run_always", args, kwargs))

    def notify(self, target: str, posargs: Any = None) -> None:
        self.calls.append(("notify", (target,), {"posargs": posargs}))

    def log(self, *args: Any) -> None:
        self.calls.append(("log", args, {}))

    def error(self, *args: Any) -> NoReturn:
        raise Quit(*args)


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose packages/python has a ``python`` and a ``pytest`` (never run here)."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text("package:\n  name: unit\n")
    for name in ("python", "pytest"):
        executable(root / "packages" / "python" / "bin" / name)
    return root


def test_ivpm_session_delegates_to_the_session_it_wraps(project: Path) -> None:
    base = PublicSession()
    session = ivpm.nox.use(base, project=project, update=False)  # type: ignore[arg-type]
    assert isinstance(session, ivpm.nox.IvpmSession)
    assert ivpm.nox.use(session) is session
    assert session.posargs is base.posargs
    assert session.env is base.env
    assert session.name == "unit"
    assert base.env["VIRTUAL_ENV"] == str(project / "packages" / "python")
    assert session.project_dir == project
    assert session.bin == str(project / "packages" / "python" / "bin")
    session.notify("lint", ["x"])
    session.log("hello")
    assert base.calls == [("notify", ("lint",), {"posargs": ["x"]}), ("log", ("hello",), {})]
    assert "posargs" in dir(session) and "venv_dir" in dir(session)
    with pytest.raises(Quit, match="boom"):
        session.error("boom")
    with pytest.raises(AttributeError):
        session.calls_that_do_not_exist  # noqa: B018
    with pytest.raises(AttributeError):
        session._runner  # noqa: B018  # private names are never passed on


def test_run_finds_bare_program_names_in_the_environment_first(project: Path) -> None:
    base = PublicSession()
    session = ivpm.nox.use(base, project=project, update=False)  # type: ignore[arg-type]
    bin_dir = project / "packages" / "python" / "bin"
    assert session.run("python", "-c", "pass", env={"A": "1"}, silent=True) == "ran"
    session.run_install(Path("pytest"), "-q")
    session.run_always("git", "status")
    session.run("./tool")
    session.run(os.fspath(bin_dir / "pytest"))
    assert base.calls == [
        ("run", (str(bin_dir / "python"), "-c", "pass"), {"env": {"A": "1"}, "silent": True}),
        ("run_install", (str(bin_dir / "pytest"), "-q"), {}),
        ("run_always", ("git", "status"), {}),  # not in the venv: nox finds it on its PATH
        ("run", ("./tool",), {}),
        ("run", (str(bin_dir / "pytest"),), {}),
    ]


def test_use_refuses_a_session_with_a_nox_virtualenv(project: Path) -> None:
    base = PublicSession()
    base.venv_backend = "uv"
    with pytest.raises(Quit, match=r"has a nox virtualenv \(uv\)"):
        ivpm.nox.use(base, project=project, update=False)  # type: ignore[arg-type]

"""ivpm's own automation: tests on both installers, lint, type checking, benchmark."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

INSTALLERS = ["pip", "uv"]


@nox.session
@nox.parametrize("installer", INSTALLERS)
def tests(session: nox.Session, installer: str) -> None:
    """Run the test suite with ivpm installing through pip or uv.

    The pip leg runs every test; the uv leg runs the tests that install packages
    (marked ``installer``), since the rest do not depend on the installer. Tests run in
    parallel (pytest-xdist; ``IVPM_TEST_JOBS`` workers, default one per CPU: more workers
    measured slower here, each building its own wheelhouse).
    """
    session.install("-e", ".[test]")
    selection = [] if installer == "pip" else ["-m", "installer"]
    session.run(
        "pytest",
        "-n",
        os.environ.get("IVPM_TEST_JOBS", "auto"),
        *selection,
        *session.posargs,
        env={"IVPM_TEST_INSTALLER": installer},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[uv,nox]", "mypy", "types-PyYAML")
    session.run("mypy", "--strict", "ivpm")


@nox.session
def bench(session: nox.Session) -> None:
    """The side-by-side benchmark (pass --quick for the CI-sized run, --plot for the figure).

    matplotlib (the ``bench`` extra) is installed for full runs only: the quick run needs no
    download beyond the benchmark's wheels, and skips the plot with a message.
    """
    extras = "uv" if "--quick" in session.posargs else "uv,bench"
    session.install("-e", f".[{extras}]", "pip")  # pip downloads the benchmark's wheels once
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the user guide with mkdocs; any warning (broken link, missing page) fails it."""
    session.install("mkdocs")
    site = session.create_tmp() + "/site"
    session.run("mkdocs", "build", "--strict", "--clean", "--site-dir", site)

"""Fixtures shared by the end-to-end suites: the wheelhouse, the installer leg, project making."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.helpers.cli import run_ivpm
from tests.helpers.wheelhouse import build_wheelhouse, hermetic_env

INSTALLER = os.environ.get("IVPM_TEST_INSTALLER", "pip")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fixture wheels plus the cached third-party wheels, shared by the whole run."""
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def uv_bin() -> str:
    """The uv binary (tests that need one are skipped without it)."""
    from ivpm.pyenv.uvfind import find_uv

    found = find_uv({"PATH": os.environ.get("PATH", "")})
    if found is None:
        pytest.skip("no uv binary available")
    return found


@pytest.fixture(scope="session")
def installer() -> str:
    """The installer this leg tests: ``pip`` or ``uv`` (IVPM_TEST_INSTALLER)."""
    return INSTALLER


@pytest.fixture
def ivpm_env(wheelhouse: Path) -> dict[str, str]:
    """A hermetic environment for ivpm: no pip/uv configuration, only the local wheelhouse."""
    env = hermetic_env(os.environ)
    env["IVPM_NO_INDEX"] = "1"
    env["IVPM_FIND_LINKS"] = str(wheelhouse)
    return env


class Project:
    """A project directory with an ivpm.yaml, and ``ivpm`` run inside it on this leg's installer."""

    def __init__(self, root: Path, env: dict[str, str], installer: str) -> None:
        self.root = root
        self.env = env
        self.installer = installer

    def write(self, yaml_text: str) -> None:
        """Replace ivpm.yaml."""
        (self.root / "ivpm.yaml").write_text(textwrap.dedent(yaml_text))

    def ivpm(self, *args: str, installer: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``ivpm -v ARGS`` here (with ``--py-<installer>`` unless told not to)."""
        extra = [f"--py-{self.installer}"] if installer else []
        return run_ivpm(["-v", *args, *extra], cwd=self.root, env=self.env)

    def update(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``ivpm update``, asserting success."""
        result = self.ivpm("update", *args)
        assert result.returncode == 0, result.stderr
        return result

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.root / "packages" / "python" / "bin" / "python"

    def py(self, code: str) -> str:
        """Run ``code`` with the environment's interpreter and return its stripped stdout."""
        result = subprocess.run(
            [str(self.python), "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def can_import(self, module: str) -> bool:
        """Whether ``module`` imports in the environment."""
        result = subprocess.run(
            [str(self.python), "-c", f"import {module}"], capture_output=True, check=False
        )
        return result.returncode == 0


def installer_commands(output: str) -> list[str]:
    """The installer command lines ``ivpm -v`` echoed (pip or uv installs and uninstalls).

    Seeding pip into a new venv (from virtualenv's bundled wheel) is venv creation, not an
    install of the project's packages, so it is left out.
    """
    markers = (" -m pip install", " -m pip uninstall", " pip install", " pip uninstall")
    return [
        line
        for line in output.splitlines()
        if line.startswith("ivpm: $ ")
        and any(marker in line for marker in markers)
        and "/seed/wheels/" not in line
    ]


def srcpkg_project_yaml(project_name: str, repo_url: str, *pypi: str) -> str:
    """ivpm.yaml text: git source package ``srcpkg`` from ``repo_url`` plus PyPI deps by name."""
    lines = [
        "package:",
        f"  name: {project_name}",
        "  dep-sets:",
        "    - name: default-dev",
        "      deps:",
        "        - name: srcpkg",
        f"          url: {repo_url}",
        "          src: git",
        *(f"        - name: {name}" for name in pypi),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def make_project(
    tmp_path: Path, ivpm_env: dict[str, str], installer: str
) -> Callable[[str], Project]:
    """Create a project from ivpm.yaml text (dedented) in a fresh directory."""
    counter = iter(range(1000))

    def make(yaml_text: str, name: str | None = None) -> Project:
        root = tmp_path / (name or f"proj{next(counter)}")
        root.mkdir()
        project = Project(root, dict(ivpm_env), installer)
        project.write(yaml_text)
        return project

    return make


def dist_versions(python: Path, names: Sequence[str]) -> dict[str, str | None]:
    """The installed versions of ``names`` in the environment of ``python`` (None if absent)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    import json

    result = subprocess.run(
        [str(python), "-c", code, *names], capture_output=True, text=True, check=True
    )
    versions: dict[str, str | None] = json.loads(result.stdout)
    return versions

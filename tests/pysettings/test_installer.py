"""``with.python.venv: uv|pip`` picks the installer; ``--py-uv``/``--py-pip`` override it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from ivpm.errors import UsageError
from ivpm.pyenv.choice import InstallerChoice, decide_installer
from tests.conftest import Project, installer_commands

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def yaml_with_venv(venv: str) -> str:
    return f"""\
        package:
          name: chooser
          with:
            python:
              venv: {venv}
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                  version: "==1.0.0"
        """


def recorded(project: Project) -> tuple[str, str]:
    """The installer and venv backend named by packages/python's state and venv records."""
    python = project.root / "packages" / "python"
    state = json.loads((python / ".ivpm-state.json").read_text())
    venv = json.loads((python / ".ivpm-venv.json").read_text())
    return state["installer"], venv["backend"]


def other(installer: str) -> str:
    return "pip" if installer == "uv" else "uv"


def test_ivpm_yaml_picks_the_installer(make_project: MakeProject, installer: str) -> None:
    project = make_project(yaml_with_venv(installer))
    result = project.ivpm("update", installer=False)  # no --py-uv/--py-pip on the command line
    assert result.returncode == 0, result.stderr
    assert recorded(project) == (installer, "uv" if installer == "uv" else "virtualenv")
    commands = installer_commands(result.stderr)
    assert commands and all((" pip install" in c) for c in commands)
    assert all(("uv pip install" in c) == (installer == "uv") for c in commands)
    assert project.py("import ivpmtest_alpha; print(ivpmtest_alpha.__version__)") == "1.0.0"


def test_the_command_line_wins_over_ivpm_yaml(make_project: MakeProject, installer: str) -> None:
    project = make_project(yaml_with_venv(other(installer)))
    project.update()  # --py-<this leg's installer>
    assert recorded(project)[0] == installer


def test_venv_true_is_the_automatic_choice(make_project: MakeProject, installer: str) -> None:
    project = make_project(yaml_with_venv("true"))
    project.update()
    assert recorded(project)[0] == installer


def test_decide_installer_takes_the_configured_one(uv_bin: str) -> None:
    found = {"IVPM_UV": uv_bin}
    assert decide_installer(None, configured="pip", environ=found) == InstallerChoice(
        "pip", None, "virtualenv"
    )
    assert decide_installer(None, configured="uv", environ=found) == InstallerChoice(
        "uv", uv_bin, "uv"
    )
    assert decide_installer("pip", configured="uv", environ=found).kind == "pip"
    assert decide_installer("uv", configured="pip", environ=found).kind == "uv"
    assert decide_installer(None, configured=None, environ=found).kind == "uv"


def test_ivpm_yaml_asking_for_a_missing_uv_says_where_it_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ivpm.pyenv.choice.find_uv", lambda environ=None: None)
    with pytest.raises(UsageError, match=r"ivpm.yaml asks for uv \(with.python.venv: uv\)"):
        decide_installer(None, configured="uv")
    assert decide_installer("pip", configured="uv").kind == "pip"  # --py-pip is the way out

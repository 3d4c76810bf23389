"""``with.python.system-site-packages: true`` / ``--py-system-site-packages``: packages/python
sees the base interpreter's site-packages, and a change of the setting rebuilds it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]
#: Modules one of which the base interpreter usually has and a fresh environment never does.
CANDIDATES = ("yaml", "six", "idna", "certifi", "attr", "typing_extensions", "setuptools")


@pytest.fixture(scope="module")
def system_module() -> str:
    """A module importable by the base interpreter of the one ivpm builds from (not by a venv)."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    for name in CANDIDATES:
        found = subprocess.run(
            [str(base), "-I", "-c", f"import {name}"], capture_output=True, check=False
        )
        if found.returncode == 0:
            return name
    pytest.skip(f"the base interpreter {base} has none of {CANDIDATES}")


def yaml_text(system_site: bool | None) -> str:
    setting = (
        ""
        if system_site is None
        else f"  with:\n    python:\n      system-site-packages: {str(system_site).lower()}\n"
    )
    return (
        "package:\n  name: sitepkgs\n" + setting + "  dep-sets:\n    - name: default-dev\n"
        "      deps:\n        - name: ivpmtest-alpha\n          version: '==1.0.0'\n"
    )


def venv_record(project: Project) -> dict[str, object]:
    record = project.root / "packages" / "python" / ".ivpm-venv.json"
    data: dict[str, object] = json.loads(record.read_text())
    return data


def test_system_site_packages_follow_the_setting(
    make_project: MakeProject, system_module: str
) -> None:
    project = make_project(yaml_text(None))
    project.update()
    assert not project.can_import(system_module)

    project.write(yaml_text(True))
    on = project.update()
    assert "rebuilding packages/python: system site packages are asked for now" in on.stderr
    assert project.can_import(system_module)
    assert venv_record(project)["system_site_packages"] is True
    cfg = (project.root / "packages" / "python" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in cfg
    # The rebuilt environment got its packages back, and its own pip.
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "1.0.0"}
    pip = project.py("import pip; print(pip.__file__)")
    assert pip.startswith(str(project.root / "packages" / "python"))

    project.write(yaml_text(None))
    flag = project.update("--py-system-site-packages")  # the flag says the same: kept
    assert "rebuilding" not in flag.stderr
    assert "- venv: skipped (up to date)" in flag.stderr
    assert project.can_import(system_module)

    off = project.update()
    assert "it sees the system site packages, which are no longer asked for" in off.stderr
    assert not project.can_import(system_module)
    assert venv_record(project)["system_site_packages"] is False
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "1.0.0"}


def test_the_flag_alone_makes_a_new_environment_see_them(
    make_project: MakeProject, system_module: str
) -> None:
    project = make_project(yaml_text(False))
    result = project.update("--py-system-site-packages")
    assert "with the system site packages" in result.stderr
    assert project.can_import(system_module)


def test_an_environment_recorded_before_the_setting_existed_is_kept(
    make_project: MakeProject,
) -> None:
    project = make_project(yaml_text(None))
    project.update()
    record = project.root / "packages" / "python" / ".ivpm-venv.json"
    old = venv_record(project)
    del old["system_site_packages"]  # as an older ivpm wrote it
    record.write_text(json.dumps(old))
    again = project.update()
    assert "- venv: skipped (up to date)" in again.stderr
    assert "rebuilding" not in again.stderr


DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "six": "six",
    "idna": "idna",
    "certifi": "certifi",
    "attr": "attrs",
    "typing_extensions": "typing-extensions",
    "setuptools": "setuptools",
}


def test_status_counts_a_dep_the_base_interpreter_provides(
    make_project: MakeProject, system_module: str, installer: str
) -> None:
    if installer != "pip":
        pytest.skip("pip leaves a requirement the base interpreter meets out of the venv")
    dist = DISTRIBUTIONS[system_module]
    project = make_project(yaml_text(True) + f"        - name: {dist}\n")
    project.update()
    status = project.ivpm("status", "--json")
    assert status.returncode == 0, status.stdout
    rows = {row["name"]: row for row in json.loads(status.stdout)["deps"]}
    assert rows[dist]["installed"] is not None and rows[dist]["problems"] == []

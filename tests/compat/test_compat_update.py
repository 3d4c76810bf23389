"""``update`` and ``check`` on trees that use the published ivpm's manifest features."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions
from tests.helpers.gitrepos import git, make_repo, python_package_files

MakeProject = Callable[[str], Project]


def _liba_project(
    make_project: MakeProject, tmp_path: Path, *dep_keys: str, package_keys: str = ""
) -> Project:
    """Project ``app``: dep-set ``default`` holds one git dep, ``liba`` (``ivpm.yaml:6:11``
    unless ``package_keys`` adds lines above it), with ``dep_keys`` as further lines."""
    lib = make_repo(tmp_path / "repos", "liba", python_package_files("liba", "liba"))
    package = "".join(f"\n          {line}" for line in package_keys.splitlines())
    keys = "".join(f"\n                  {line}" for line in dep_keys)
    return make_project(
        f"""\
        package:
          name: app{package}
          dep-sets:
            - name: default
              deps:
                - name: liba
                  url: "{lib.url}"{keys}
        """
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.installer
def test_src_ivpm_yaml_deps_join_the_tree(make_project: MakeProject, tmp_path: Path) -> None:
    lib = make_repo(
        tmp_path / "repos", "shared-lib", python_package_files("shared-lib", "shared_lib")
    )
    _write(
        tmp_path / "team" / "deps.yaml",
        f"""\
        package:
          name: team-deps
          dep-sets:
            - name: default
              deps:
                - name: ivpmtest-alpha
                  version: "<2"
            - name: tools
              deps:
                - name: shared-lib
                  url: {lib.url}
                - name: ivpmtest-gamma
        """,
    )
    project = make_project(
        f"""\
        package:
          name: app
          dep-sets:
            - name: default
              deps:
                - name: team
                  src: ivpm.yaml
                  url: {(tmp_path / "team" / "deps.yaml").as_uri()}
                  dep-set: tools
                - name: ivpmtest-beta
        """
    )
    project.update()
    versions = dist_versions(
        project.python, ["ivpmtest-gamma", "ivpmtest-beta", "ivpmtest-alpha", "shared-lib"]
    )
    assert versions["ivpmtest-gamma"] == "0.1.0"
    assert versions["shared-lib"] == "0.1.0"
    assert versions["ivpmtest-alpha"] is not None  # brought by beta, not the 'default' set
    assert not (project.root / "packages" / "team").exists()  # the file itself installs nothing
    assert project.py("import shared_lib; print(shared_lib.__file__)").startswith(
        str(project.root / "packages" / "shared-lib")
    )


def test_kinds_this_ivpm_does_not_install_fail_after_the_rest(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: mixed
          dep-sets:
            - name: default
              deps:
                - name: ivpmtest-alpha
                  version: 1.0.0
                - name: left-pad
                  src: npm
                  version: ^1.3
                - name: core
                  src: fusesoc
                  vlnv: acme:ip:core:1.0
                - name: gcc
                  src: module
                  module: gcc/12
        """
    )
    result = project.ivpm("update")
    assert result.returncode == 1
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "1.0.0"}
    lines = [line for line in result.stderr.splitlines() if line.startswith("  | ")]
    assert lines == [
        "  | ivpm.yaml:8:11: dep 'left-pad' (src: npm) not installed: node packages are not "
        "installed by this ivpm; instead: npm install left-pad@^1.3",
        "  | ivpm.yaml:11:11: dep 'core' (src: fusesoc) not installed: FuseSoC cores are not "
        "fetched by this ivpm; instead: fusesoc library add / fusesoc fetch acme:ip:core:1.0",
        "  | ivpm.yaml:14:11: dep 'gcc' (src: module) not installed: environment modules are not "
        "loaded by this ivpm; instead: module load gcc/12",
    ]
    assert "error: 3 dependencies were not installed" in result.stderr
    skipped = project.ivpm("update", "--skip-py-install")
    assert skipped.returncode == 1 and "dep 'left-pad' (src: npm) not installed" in skipped.stderr


def test_check_lists_every_problem_and_writes_nothing(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: broken
          dep-sets:
            - name: default
              deps:
                - name: a
                  versoin: 1
                - name: b
                  url: https://example.com/b.git
                  tag: v1
                  branch: main
                - name: c
                  src: npm
        """
    )
    result = project.ivpm("check", installer=False)
    assert result.returncode == 2
    assert "ivpm.yaml:7:11: error: unknown key 'versoin' in dep 'a'" in result.stderr
    assert "ivpm.yaml:10:11: error: 'tag' cannot be combined with 'branch'" in result.stderr
    assert "error: 2 problems found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.root / "packages").exists()
    as_json = project.ivpm("check", "--json", installer=False)
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 2 and report["valid"] is False
    assert [(p["line"], p["col"]) for p in report["problems"]] == [(7, 11), (10, 11)]


def test_check_valid_project_notes_unhandled_kinds(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: fine
          dep-sets:
            - name: default
              deps:
                - {name: c, src: npm}
        """
    )
    result = project.ivpm("check", installer=False)
    assert result.returncode == 0, result.stderr
    assert "ivpm.yaml:6:11: note: dep 'c': node packages are not installed" in result.stdout
    assert "fine: ivpm.yaml is valid" in result.stdout


def test_deps_dir_holds_sources_and_the_environment(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = _liba_project(make_project, tmp_path, package_keys="deps-dir: deps")
    project.update()
    deps = project.root / "deps"
    assert (deps / "liba" / "liba" / "__init__.py").is_file()
    assert (deps / "python" / "bin" / "python").exists()
    assert (deps / "package-lock.json").is_file()
    assert not (project.root / "packages").exists()
    shown = project.ivpm("activate", "-c", "python -c 'import liba; print(liba.hello())'")
    assert shown.returncode == 0 and shown.stdout.strip().endswith("liba 0.1.0"), shown.stderr


def test_several_dep_sets_and_variables_from_the_command_line(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: app
          vars:
            alpha: "2.0.0"
          dep-sets:
            - name: default
              deps:
                - {name: ivpmtest-alpha, version: "${{alpha}}"}
            - name: tools
              deps:
                - {name: ivpmtest-gamma}
        """
    )
    project.update("-d", "default,tools", "-D", "alpha=1.1.0")
    versions = dist_versions(project.python, ["ivpmtest-alpha", "ivpmtest-gamma"])
    assert versions == {"ivpmtest-alpha": "1.1.0", "ivpmtest-gamma": "0.1.0"}
    wrong = project.ivpm("update", "-D", "alhpa=1")
    assert wrong.returncode == 2
    assert "-D alhpa: the file declares no variable 'alhpa' (did you mean 'alpha'?)" in (
        wrong.stderr
    )


PATCH = """\
--- a/liba/__init__.py
+++ b/liba/__init__.py
@@ -1,3 +1,4 @@
 \"\"\"Test package liba.\"\"\"
+PATCHED = True
{blank}
 __version__ = "0.1.0"
"""


def test_patches_apply_once_and_a_bad_one_is_a_clear_error(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = _liba_project(make_project, tmp_path, "patches: [patches/liba.patch]")
    patch_file = project.root / "patches" / "liba.patch"
    patch_file.parent.mkdir()
    patch_file.write_text(PATCH.format(blank=" "), encoding="utf-8")
    project.update()
    assert project.py("import liba; print(liba.PATCHED)") == "True"
    again = project.update()
    assert "patched liba" not in again.stderr
    checkout = project.root / "packages" / "liba"
    assert git(checkout, "status", "--porcelain") == "M liba/__init__.py"
    _write(
        project.root / "patches" / "liba.patch",
        PATCH.format(blank=" ").replace("Test package", "Other"),
    )
    git(checkout, "checkout", "--", ".")
    failed = project.ivpm("update")
    assert failed.returncode == 1
    assert "ivpm.yaml:6:11: patch 'patches/liba.patch' does not apply to packages/liba" in (
        failed.stderr
    )


@pytest.mark.installer
def test_type_python_editable_false_installs_a_copy(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = _liba_project(make_project, tmp_path, "type: {python: {editable: false}}")
    project.update()
    location = project.py("import liba; print(liba.__file__)")
    assert "site-packages" in location
    assert not location.startswith(str(project.root / "packages" / "liba"))
    assert project.update().returncode == 0

"""``ivpm status`` on real projects: each troubleshooting situation made for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INSTALLER, Project
from tests.helpers.gitrepos import GitRepo, make_repo, python_package_files, write_files
from tests.helpers.wheelhouse import FixtureDist, hermetic_env, write_wheel

MakeProject = Callable[..., Project]


def status_json(project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``ivpm status --json ARGS``; return the exit code and the parsed report."""
    result = project.ivpm("status", "--json", *args)
    return result.returncode, json.loads(result.stdout)


def rows_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["deps"]}


def kinds(row: dict[str, Any]) -> list[str]:
    return [problem["kind"] for problem in row["problems"]]


def text_line(output: str, name: str) -> str:
    """The table line of dependency ``name`` in ``ivpm status`` text output."""
    return next(line for line in output.splitlines() if line.split()[:1] == [name])


HEALTHY_YAML = """\
    package:
      name: healthy
      default-dep-set: default-dev
      dep-sets:
        - name: default-dev
          deps:
            - name: ivpmtest-alpha
              version: "==1.1.0"
            - name: gitpkg
              url: {git_url}
              src: git
            - name: cext
              url: {cext_dir}
              src: dir
        - name: extra
          uses: default-dev
          deps:
            - name: ivpmtest-gamma
    """


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> tuple[Project, GitRepo]:
    """One updated project shared by the module: a PyPI, a git and a C-extension dir dep."""
    base = tmp_path_factory.mktemp("status")
    repo = make_repo(base / "repos", "gitpkg", python_package_files("gitpkg", "gitpkg"))
    cext_dir = base / "src" / "cext"
    write_files(cext_dir, python_package_files("cext", "cext", build="setup.py", c_ext=True))
    root = base / "healthy"
    root.mkdir()
    env = hermetic_env(os.environ)
    env.update(IVPM_NO_INDEX="1", IVPM_FIND_LINKS=str(wheelhouse))
    project = Project(root, env, INSTALLER)
    project.write(HEALTHY_YAML.format(git_url=repo.url, cext_dir=cext_dir))
    project.update()
    return project, repo


@pytest.mark.installer
def test_healthy_project_shows_every_column(healthy: tuple[Project, GitRepo]) -> None:
    project, repo = healthy
    result = project.ivpm("status")
    assert result.returncode == 0, result.stderr
    assert "dep-set 'default-dev'" in result.stdout
    alpha = text_line(result.stdout, "ivpmtest-alpha").split()
    assert alpha[:5] == ["ivpmtest-alpha", "pypi", "==1.1.0", "1.1.0", "no"]
    gitpkg = text_line(result.stdout, "gitpkg")
    assert "packages/gitpkg" in gitpkg and f"main@{repo.head()[:12]}" in gitpkg
    assert gitpkg.endswith("ok")

    code, report = status_json(project)
    assert code == 0 and report["problems"] == 0
    rows = rows_by_name(report)
    assert list(rows) == ["ivpmtest-alpha", "gitpkg", "cext"]
    assert rows["gitpkg"]["git"] == {"branch": "main", "commit": repo.head(), "dirty": False}
    assert rows["gitpkg"]["editable"] and rows["gitpkg"]["editable_path"] == "packages/gitpkg"
    assert rows["cext"]["source"] == "dir" and rows["cext"]["installed"] == "0.1.0"
    assert rows["ivpmtest-alpha"]["editable"] is False

    init = project.root / "packages" / "gitpkg" / "gitpkg" / "__init__.py"
    original = init.read_text()
    init.write_text(original + "LOCAL = 1\n")
    try:
        code, report = status_json(project)
        assert code == 0, "local changes are shown, not a problem"
        assert rows_by_name(report)["gitpkg"]["git"]["dirty"] is True
        assert "modified" in text_line(project.ivpm("status").stdout, "gitpkg")
    finally:
        init.write_text(original)


@pytest.mark.installer
def test_dep_not_in_the_active_set(healthy: tuple[Project, GitRepo]) -> None:
    project, _ = healthy
    code, report = status_json(project)
    assert "ivpmtest-gamma" not in rows_by_name(report)

    code, report = status_json(project, "-d", "extra")
    assert code == 1
    rows = rows_by_name(report)
    assert report["dep_set"] == "extra"
    assert kinds(rows["ivpmtest-gamma"]) == ["not-installed"]
    assert all(not row["problems"] for name, row in rows.items() if name != "ivpmtest-gamma")
    text = project.ivpm("status", "-d", "extra")
    assert text.returncode == 1
    assert text_line(text.stdout, "ivpmtest-gamma").endswith("not installed")
    assert "run 'ivpm update'" in text.stderr


@pytest.mark.installer
def test_ivpm_yaml_changed_since_update(healthy: tuple[Project, GitRepo], tmp_path: Path) -> None:
    project, _ = healthy
    yaml_file = project.root / "ivpm.yaml"
    original = yaml_file.read_text()
    newrepo = make_repo(tmp_path, "newpkg", python_package_files("newpkg", "newpkg"))
    changed = original.replace('"==1.1.0"', '"==1.0.0"').replace(
        "    - name: extra",
        f"        - name: newpkg\n          url: {newrepo.url}\n"
        "          src: git\n    - name: extra",
    )
    yaml_file.write_text(changed)
    try:
        code, report = status_json(project)
        rows = rows_by_name(report)
        assert code == 1
        assert kinds(rows["ivpmtest-alpha"]) == ["wrong-version", "stale"]
        assert kinds(rows["newpkg"]) == ["not-fetched"]
        assert not (project.root / "packages" / "newpkg").exists(), "status fetched nothing"
        text = project.ivpm("status")
        assert "ivpm.yaml changed since the last update" in text_line(text.stdout, "ivpmtest-alpha")
        assert "error: 2 dependencies have problems: ivpmtest-alpha, newpkg" in text.stderr
    finally:
        yaml_file.write_text(original)


@pytest.mark.installer
def test_broken_native_extension(healthy: tuple[Project, GitRepo]) -> None:
    project, _ = healthy
    (built,) = (project.root / "packages" / "cext" / "cext").glob("_speedups*.so")
    aside = built.with_name("aside.bin")
    built.rename(aside)
    try:
        code, report = status_json(project)
        assert code == 1
        row = rows_by_name(report)["cext"]
        assert kinds(row) == ["not-built", "import-fails"]
        assert "No module named 'cext._speedups'" in row["problems"][1]["message"]
        text = project.ivpm("status")
        assert "native extension not built" in text_line(text.stdout, "cext")
        assert "ivpm build" in text.stderr
    finally:
        aside.rename(built)
    assert project.ivpm("status").returncode == 0


@pytest.mark.installer
def test_non_editable_and_misplaced_editable_installs(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path
) -> None:
    lib = tmp_path / "src" / "plainpkg"
    write_files(lib, python_package_files("plainpkg", "plainpkg"))
    project = make_project(
        f"""\
        package:
          name: plain
          dep-sets:
            - name: default-dev
              deps:
                - name: plainpkg
                  url: {lib}
                  src: dir
        """
    )
    project.update()
    pip = project.root / "packages" / "python" / "bin" / "pip"
    pip_args = ["--no-index", "--find-links", str(wheelhouse), "--no-build-isolation", "-q"]

    def pip_install(*args: str) -> None:
        subprocess.run(
            [str(pip), "install", *pip_args, *args], env=project.env, check=True, cwd=tmp_path
        )

    pip_install(str(project.root / "packages" / "plainpkg"))
    code, report = status_json(project)
    row = rows_by_name(report)["plainpkg"]
    assert code == 1 and kinds(row) == ["not-editable"]
    assert row["installed"] == "0.1.0" and row["editable"] is False
    text = project.ivpm("status")
    assert "installed, but not editable from packages/plainpkg" in text.stdout
    assert "--force-py-install" in text.stderr

    elsewhere = tmp_path / "elsewhere" / "plainpkg"
    shutil.copytree(lib, elsewhere)
    pip_install("-e", str(elsewhere))
    code, report = status_json(project)
    row = rows_by_name(report)["plainpkg"]
    assert code == 1 and kinds(row) == ["editable-path"]
    assert row["editable_path"] == str(elsewhere)


@pytest.fixture
def conflicting(make_project: MakeProject, tmp_path: Path, wheelhouse: Path) -> Project:
    """ivpm.yaml pins ivpmtest-alpha==1.1.0 and asks for delta, which needs alpha>=2.0."""
    extra = tmp_path / "extra-wheels"
    extra.mkdir()
    delta = FixtureDist("ivpmtest-delta", ("1.0.0",), requires=("ivpmtest-alpha>=2.0",))
    write_wheel(extra, delta, "1.0.0")
    return make_project(
        f"""\
        package:
          name: conflict
          with:
            python:
              find-links: [{extra}, {wheelhouse}]
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                  version: "==1.1.0"
                - name: ivpmtest-delta
        """
    )


@pytest.mark.installer
def test_version_conflict_points_at_ivpm_yaml(conflicting: Project) -> None:
    result = conflicting.ivpm("update")
    assert result.returncode == 1
    assert "ivpm.yaml:9:11: note: 'ivpmtest-alpha==1.1.0' requested here" in result.stderr
    assert "ivpm.yaml:11:11: note: 'ivpmtest-delta' (any version) requested here" in result.stderr
    assert "Traceback" not in result.stderr

    code, report = status_json(conflicting)
    assert code == 1
    rows = rows_by_name(report)
    assert kinds(rows["ivpmtest-alpha"]) == ["not-installed"]
    assert kinds(rows["ivpmtest-delta"]) == ["not-installed"]


def test_status_before_any_update_writes_nothing(make_project: MakeProject, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    project = make_project(
        f"""\
        package:
          name: fresh
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                - name: srcpkg
                  url: {repo.url}
        """
    )
    result = project.ivpm("status")
    assert result.returncode == 1
    assert "environment packages/python (missing)" in result.stdout
    assert text_line(result.stdout, "ivpmtest-alpha").endswith("not installed")
    assert text_line(result.stdout, "srcpkg").endswith("not fetched into packages/srcpkg")
    assert "Traceback" not in result.stderr
    assert not (project.root / "packages").exists()
    code, report = status_json(project)
    assert code == 1 and report["venv_exists"] is False
    assert [kinds(row) for row in report["deps"]] == [["not-installed"], ["not-fetched"]]

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

from ivpm.pyenv.support_dist import wheel_archive
from tests.conftest import INSTALLER, Project
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import (
    GitRepo,
    git,
    make_repo,
    python_package_files,
    write_files,
)
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


def env_kinds(report: dict[str, Any]) -> list[str]:
    return [problem["kind"] for problem in report["environment"]["problems"]]


def write_optional_wheel(folder: Path) -> None:
    """A wheel like black's: besides its package it ships a top-level module ``optmod`` that
    raises ImportError unless an optional extra is installed (as ``blackd`` needs aiohttp)."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = "ivpmtest_optional-1.0.0.dist-info"
    files = {
        "ivpmtest_optional/__init__.py": b"VALUE = 1\n",
        "optmod.py": b"raise ImportError('optmod needs the extra [server]: pip install aiohttp')\n",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: ivpmtest-optional\n"
        b"Version: 1.0.0\nProvides-Extra: server\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: ivpm-tests\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/top_level.txt": b"ivpmtest_optional\noptmod\n",
    }
    wheel = folder / "ivpmtest_optional-1.0.0-py3-none-any.whl"
    wheel.write_bytes(wheel_archive(files, dist_info))


HEALTHY_YAML = """\
    package:
      name: healthy
      default-dep-set: default-dev
      with:
        python:
          find-links: [{extra_wheels}]
      dep-sets:
        - name: default-dev
          deps:
            - name: ivpmtest-alpha
              version: "==1.1.0"
            - name: ivpmtest-optional
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
    """One updated project shared by the module: PyPI deps (one with a module that fails to
    import without an optional extra), a git and a C-extension dir dep."""
    base = tmp_path_factory.mktemp("status")
    write_optional_wheel(base / "extra-wheels")
    repo = make_repo(base / "repos", "gitpkg", python_package_files("gitpkg", "gitpkg"))
    cext_dir = base / "src" / "cext"
    write_files(cext_dir, python_package_files("cext", "cext", build="setup.py", c_ext=True))
    root = base / "healthy"
    root.mkdir()
    env = hermetic_env(os.environ)
    env.update(IVPM_NO_INDEX="1", IVPM_FIND_LINKS=str(wheelhouse))
    project = Project(root, env, INSTALLER)
    project.write(
        HEALTHY_YAML.format(git_url=repo.url, cext_dir=cext_dir, extra_wheels=base / "extra-wheels")
    )
    project.update()
    return project, repo


@pytest.mark.installer
def test_healthy_project_shows_every_column(healthy: tuple[Project, GitRepo]) -> None:
    project, repo = healthy
    result = project.ivpm("status")
    assert result.returncode == 0, result.stderr
    # without --py-*: the installer that built it is fine, whichever a plain update would pick
    assert project.ivpm("status", installer=False).returncode == 0
    assert "dep-set 'default-dev'" in result.stdout
    alpha = text_line(result.stdout, "ivpmtest-alpha").split()
    assert alpha[:5] == ["ivpmtest-alpha", "pypi", "==1.1.0", "1.1.0", "no"]
    gitpkg = text_line(result.stdout, "gitpkg")
    assert "packages/gitpkg" in gitpkg and f"main@{repo.head()[:12]}" in gitpkg
    assert gitpkg.endswith("ok")

    code, report = status_json(project)
    assert code == 0 and report["problems"] == 0
    assert report["environment"] == {
        "path": "packages/python",
        "enabled": True,
        "exists": True,
        "python": report["environment"]["python"],
        "built_with": report["environment"]["python"],
        "usable": True,
        "problems": [],
    }
    rows = rows_by_name(report)
    assert list(rows) == ["ivpmtest-alpha", "ivpmtest-optional", "gitpkg", "cext"]
    assert rows["gitpkg"]["git"] == {
        "branch": "main",
        "commit": repo.head(),
        "upstream": "origin/main",
        "ahead": 0,
        "behind": 0,
        "dirty": False,
        "dirty_count": 0,
        "changed": [],
    }
    assert rows["gitpkg"]["editable"] and rows["gitpkg"]["editable_path"] == "packages/gitpkg"
    assert rows["cext"]["source"] == "dir" and rows["cext"]["installed"] == "0.1.0"
    assert rows["ivpmtest-alpha"]["editable"] is False

    init = project.root / "packages" / "gitpkg" / "gitpkg" / "__init__.py"
    original = init.read_text()
    init.write_text(original + "LOCAL = 1\n")
    try:
        code, report = status_json(project)
        assert code == 0, "local changes are shown, not a problem"
        git_state = rows_by_name(report)["gitpkg"]["git"]
        assert git_state["dirty"] is True and git_state["dirty_count"] == 1
        assert git_state["changed"] == ["gitpkg/__init__.py"]
        verbose = project.ivpm("status").stdout  # Project.ivpm runs ``ivpm -v``
        assert ", 1 modified" in text_line(verbose, "gitpkg")
        assert "    modified: gitpkg/__init__.py" in verbose.splitlines()
        plain = run_ivpm(["status", f"--py-{project.installer}"], cwd=project.root, env=project.env)
        assert plain.returncode == 0 and ", 1 modified" in text_line(plain.stdout, "gitpkg")
        assert "modified: gitpkg/__init__.py" not in plain.stdout, "files are listed with -v"
    finally:
        init.write_text(original)


def test_optional_module_that_fails_to_import_is_no_problem(
    healthy: tuple[Project, GitRepo],
) -> None:
    project, _ = healthy
    assert not project.can_import("optmod"), "the fixture's optional module fails to import"
    assert project.can_import("ivpmtest_optional")
    code, report = status_json(project)
    assert code == 0, "status reads the installed metadata and imports nothing"
    row = rows_by_name(report)["ivpmtest-optional"]
    assert row["installed"] == "1.0.0" and row["problems"] == []
    assert project.ivpm("status").returncode == 0


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


def test_settings_changed_since_update(healthy: tuple[Project, GitRepo]) -> None:
    project, _ = healthy
    yaml_file = project.root / "ivpm.yaml"
    original = yaml_file.read_text()
    yaml_file.write_text(original.replace("    python:\n", "    python:\n      pre: true\n"))
    try:
        code, report = status_json(project)
        assert code == 1
        assert env_kinds(report) == ["refresh-pending"]
        assert "index.pre" in report["environment"]["problems"][0]["message"]
        assert all(not row["problems"] for row in report["deps"]), "said once, not per dep"
        text = project.ivpm("status")
        assert "problem: packages/python: the settings changed since the last update" in (
            text.stdout
        )
        assert "the next update reinstalls every package" in text.stderr
    finally:
        yaml_file.write_text(original)
    assert project.ivpm("status").returncode == 0


def test_broken_native_extension(healthy: tuple[Project, GitRepo]) -> None:
    project, _ = healthy
    (built,) = (project.root / "packages" / "cext" / "cext").glob("_speedups*.so")
    aside = built.with_name("aside.bin")
    built.rename(aside)
    try:
        code, report = status_json(project)
        assert code == 1
        row = rows_by_name(report)["cext"]
        assert kinds(row) == ["not-built"]
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
    assert "problem: packages/python: it does not exist" in result.stdout
    alpha = text_line(result.stdout, "ivpmtest-alpha").split()
    assert alpha[-3:] == ["-", "-", "-"], "not checked: the environment's problem says why"
    assert text_line(result.stdout, "srcpkg").endswith("not fetched into packages/srcpkg")
    assert "Traceback" not in result.stderr
    assert "error: environment packages/python: it does not exist" in result.stderr
    assert not (project.root / "packages").exists()
    code, report = status_json(project)
    assert code == 1 and report["venv_exists"] is False
    assert env_kinds(report) == ["no-venv"]
    assert [kinds(row) for row in report["deps"]] == [[], ["not-fetched"]]
    assert report["deps"][0]["checked"] is False


def test_broken_environment_step_by_step(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path
) -> None:
    """One project broken one way after another; each break is reported, then undone."""
    repo = make_repo(tmp_path / "repos", "gitpkg", python_package_files("gitpkg", "gitpkg"))
    project = make_project(
        f"""\
        package:
          name: broken
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                  version: "==1.1.0"
                - name: gitpkg
                  url: {repo.url}
                  src: git
        """
    )
    project.update()
    assert project.ivpm("status").returncode == 0
    venv = project.root / "packages" / "python"

    def pip_install(*args: str) -> None:
        pip = [str(venv / "bin" / "pip"), "install", "-q", "--no-index", "--no-deps"]
        subprocess.run(
            [*pip, "--find-links", str(wheelhouse), *args],
            env=project.env,
            check=True,
            cwd=tmp_path,
        )

    # another version installed by hand
    pip_install("ivpmtest-alpha==1.0.0")
    code, report = status_json(project)
    row = rows_by_name(report)["ivpmtest-alpha"]
    assert code == 1 and kinds(row) == ["wrong-version"] and row["installed"] == "1.0.0"
    assert "1.0.0 does not satisfy ==1.1.0" in text_line(project.ivpm("status").stdout, row["name"])
    pip_install("ivpmtest-alpha==1.1.0")
    assert project.ivpm("status").returncode == 0

    # uninstalled by hand: a plain update trusts its record, so the hint says --force-py-install
    subprocess.run(
        [str(venv / "bin" / "pip"), "uninstall", "-q", "-y", "ivpmtest-alpha"],
        env=project.env,
        check=True,
    )
    text = project.ivpm("status")
    assert text.returncode == 1
    assert text_line(text.stdout, "ivpmtest-alpha").endswith(
        "not installed: removed since the last update installed it"
    )
    assert "ivpm update --force-py-install" in text.stderr
    pip_install("ivpmtest-alpha==1.1.0")

    # a source package installed from its folder, not editable
    pip_install(str(project.root / "packages" / "gitpkg"))
    code, report = status_json(project)
    row = rows_by_name(report)["gitpkg"]
    assert code == 1 and kinds(row) == ["not-editable"] and row["installed"] == "0.1.0"
    pip_install("-e", str(project.root / "packages" / "gitpkg"), "--no-build-isolation")
    assert project.ivpm("status").returncode == 0

    # an interrupted update: the state record is left marked dirty
    record = venv / ".ivpm-state.json"
    saved = record.read_text()
    data = json.loads(saved)
    data["dirty"] = {"pending": ["gitpkg"], "baseline": [], "refreshing": False}
    record.write_text(json.dumps(data))
    code, report = status_json(project)
    assert code == 1 and env_kinds(report) == ["update-interrupted"]
    assert "(gitpkg)" in report["environment"]["problems"][0]["message"]
    assert all(not row["problems"] for row in report["deps"])
    text = project.ivpm("status")
    assert "problem: packages/python: the last update did not finish" in text.stdout
    assert "repair and finish" in text.stderr
    record.write_text(saved)

    # the source package is gone from packages/
    checkout = project.root / "packages" / "gitpkg"
    aside = tmp_path / "gitpkg-aside"
    checkout.rename(aside)
    code, report = status_json(project)
    rows = rows_by_name(report)
    assert code == 1 and kinds(rows["gitpkg"]) == ["not-fetched"] and rows["gitpkg"]["git"] is None
    assert not rows["ivpmtest-alpha"]["problems"]
    aside.rename(checkout)
    assert project.ivpm("status").returncode == 0

    # pyvenv.cfg removed: the environment is broken, its packages are not reported one by one
    cfg = venv / "pyvenv.cfg"
    cfg_text = cfg.read_text()
    cfg.unlink()
    code, report = status_json(project)
    assert code == 1 and env_kinds(report) == ["venv-broken"]
    assert "pyvenv.cfg is missing" in report["environment"]["problems"][0]["message"]
    assert report["environment"]["usable"] is False
    assert [kinds(row) for row in report["deps"]] == [[], []]
    text = project.ivpm("status")
    assert "(the Python packages in packages/python were not checked)" in text.stdout
    assert text.stderr.count("hint:") == 1, text.stderr
    cfg.write_text(cfg_text)
    assert project.ivpm("status").returncode == 0

    # bin/python deleted
    (venv / "bin" / "python").unlink()
    code, report = status_json(project)
    assert code == 1 and env_kinds(report) == ["venv-broken"]
    assert report["venv_exists"] is False and report["environment"]["exists"] is False
    assert "bin/python is missing" in report["environment"]["problems"][0]["message"]
    text = project.ivpm("status")
    assert text.returncode == 1
    assert "environment packages/python (broken)" in text.stdout
    assert "error: environment packages/python: bin/python is missing" in text.stderr
    assert "Traceback" not in text.stderr


CHECKOUTS_YAML = """\
    package:
      name: codev
      with:
        python:
          venv: false
      dep-sets:
        - name: default-dev
          deps:
{deps}
    """


def test_checkouts_ahead_behind_and_local_changes(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """Co-developed checkouts: ahead/behind/modified are shown, never problems; counts move
    only when --fetch fetches; a fetch that fails is that checkout's problem."""
    repos = [make_repo(tmp_path / "repos", f"lib{i}", {"README": f"lib{i}\n"}) for i in range(5)]
    deps = "\n".join(
        f"            - name: lib{i}\n              url: {repo.url}\n              src: git"
        for i, repo in enumerate(repos)
    )
    project = make_project(CHECKOUTS_YAML.format(deps=deps))
    project.update()
    code, report = status_json(project)
    assert code == 0 and report["environment"]["enabled"] is False
    assert {row["git"]["behind"] for row in report["deps"]} == {0}
    assert "no Python environment (with.python.venv: false)" in project.ivpm("status").stdout

    upstream = repos[1]
    upstream.commit({"NEWS": "more\n"}, "upstream work")
    code, report = status_json(project)
    assert code == 0 and rows_by_name(report)["lib1"]["git"]["behind"] == 0, "no fetch yet"
    code, report = status_json(project, "--fetch")
    git_state = rows_by_name(report)["lib1"]["git"]
    assert code == 0 and git_state["behind"] == 1 and git_state["ahead"] == 0
    assert all(row["git"]["behind"] == 0 for row in report["deps"] if row["name"] != "lib1")
    line = text_line(project.ivpm("status").stdout, "lib1")
    assert " behind 1" in line and line.endswith("ok"), "the last fetch is remembered"

    checkout = project.root / "packages" / "lib1"
    (checkout / "LOCAL").write_text("mine\n")
    git(checkout, "add", "LOCAL")
    git(checkout, "commit", "-q", "-m", "local work")
    (checkout / "README").write_text("edited\n")
    verbose = project.ivpm("status")
    assert verbose.returncode == 0
    assert f"main@{git(checkout, 'rev-parse', 'HEAD')[:12]} ahead 1 behind 1, 1 modified" in (
        text_line(verbose.stdout, "lib1")
    )
    assert "    modified: README" in verbose.stdout.splitlines()
    plain = run_ivpm(["status"], cwd=project.root, env=project.env)
    assert plain.returncode == 0 and "modified: README" not in plain.stdout
    code, report = status_json(project)
    git_state = rows_by_name(report)["lib1"]["git"]
    assert (git_state["ahead"], git_state["dirty"], git_state["changed"]) == (1, True, ["README"])

    git(project.root / "packages" / "lib3", "remote", "set-url", "origin", str(tmp_path / "gone"))
    code, report = status_json(project, "--fetch")
    rows = rows_by_name(report)
    assert code == 1 and kinds(rows["lib3"]) == ["fetch-failed"]
    assert all(not row["problems"] for name, row in rows.items() if name != "lib3")
    text = project.ivpm("status", "--fetch")
    assert "fetch failed:" in text_line(text.stdout, "lib3")
    assert "error: 1 dependency has problems: lib3" in text.stderr
    assert project.ivpm("status").returncode == 0, "without --fetch nothing is fetched"

    pinned = project.root / "packages" / "lib4"
    pin = git(pinned, "rev-parse", "HEAD")
    project.write(CHECKOUTS_YAML.format(deps=deps + f"\n              commit: {pin}"))
    assert project.ivpm("status").returncode == 0, "at its pin"
    git(pinned, "commit", "-q", "--allow-empty", "-m", "moved on")
    code, report = status_json(project)
    assert code == 1 and kinds(rows_by_name(report)["lib4"]) == ["off-pin"]
    assert rows_by_name(report)["lib4"]["problems"][0]["message"] == (
        f"at commit {git(pinned, 'rev-parse', 'HEAD')[:12]}, ivpm.yaml pins {pin[:12]}"
    )

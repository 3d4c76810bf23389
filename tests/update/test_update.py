"""``ivpm update`` end to end: real git, real venvs, real pip or uv, a local wheelhouse."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions, installer_commands, srcpkg_project_yaml
from tests.helpers.gitrepos import GitRepo, make_repo, python_package_files

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def mixed_yaml(git_url: str, lib_dir: Path, copy_dir: Path) -> str:
    return f"""\
        package:
          name: mixed
          default-dep-set: default-dev
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                  src: pypi
                  version: "==1.1.0"
                - name: ivpmtest-beta
                - name: gitpkg
                  url: {git_url}
                  src: git
                - name: linked
                  url: file://{lib_dir}
                  src: dir
                  link: true
                - name: copied
                  url: {copy_dir}
                  src: dir
        """


@pytest.fixture
def sources(tmp_path: Path) -> tuple[str, Path, Path]:
    repo = make_repo(
        tmp_path / "repos",
        "gitpkg",
        python_package_files("gitpkg", "gitpkg", deps=["ivpmtest-gamma"]),
    )
    lib = tmp_path / "src" / "linked"
    copy = tmp_path / "src" / "copied"
    for path, files in (
        (lib, python_package_files("linked", "linked")),
        (copy, python_package_files("copied", "copied", build="setup.py")),
    ):
        for rel, text in files.items():
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_text(text)
    return repo.url, lib, copy


def test_cold_update_builds_everything(
    make_project: MakeProject, sources: tuple[str, Path, Path]
) -> None:
    project = make_project(mixed_yaml(*sources))
    project.update()
    packages = project.root / "packages"
    for name in ("bin/python", "bin/pip", "bin/activate"):
        assert (packages / "python" / name).exists(), name
    assert dist_versions(project.python, ["ivpmtest-alpha", "ivpmtest-beta", "ivpmtest-gamma"]) == {
        "ivpmtest-alpha": "1.1.0",
        "ivpmtest-beta": "1.0.0",
        "ivpmtest-gamma": "0.1.0",
    }
    assert (packages / "gitpkg" / ".git").is_dir()
    assert (packages / "linked").is_symlink()
    assert (packages / "linked").resolve() == sources[1].resolve()
    assert (packages / "copied").is_dir() and not (packages / "copied").is_symlink()
    # Source packages are editable: an edit shows without reinstalling.
    for name in ("gitpkg", "linked", "copied"):
        init = packages / name / name / "__init__.py"
        init.write_text(init.read_text() + f"\nEDITED = '{name}'\n")
        assert project.py(f"import {name}; print({name}.EDITED)") == name
    lock = json.loads((packages / "package-lock.json").read_text())
    assert lock["python"]["ivpmtest-alpha"] == "1.1.0"
    assert len(lock["git"]["gitpkg"]["commit"]) == 40
    assert set(lock["editable"]) == {"gitpkg", "linked", "copied"}


def test_change_detection_lifecycle(make_project: MakeProject, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    base = f"""\
        package:
          name: life
          dep-sets:
            - name: default-dev
              deps:
                - name: srcpkg
                  url: {repo.url}
                  src: git
                - name: ivpmtest-alpha
                  version: ">=1.0,<2"
        """
    project = make_project(base)
    project.update()

    noop = project.update()
    assert installer_commands(noop.stderr) == []
    assert "- install: skipped (up to date)" in noop.stderr

    project.write(base + "        - name: ivpmtest-gamma\n")
    added = project.update()
    commands = installer_commands(added.stderr)
    assert len(commands) == 1 and "ivpmtest-gamma" in commands[0]
    assert " -e " not in commands[0]  # the source package is not rebuilt
    assert "ivpmtest-alpha>=1.0,<2" in commands[0]  # kept in the installer's view
    assert project.can_import("ivpmtest_gamma")

    pyproject = project.root / "packages" / "srcpkg" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    rebuilt = project.update()
    commands = installer_commands(rebuilt.stderr)
    assert len(commands) == 1 and " -e " in commands[0] and "srcpkg" in commands[0]
    assert dist_versions(project.python, ["srcpkg"]) == {"srcpkg": "0.2.0"}

    project.write(base)
    removed = project.update()
    commands = installer_commands(removed.stderr)
    assert len(commands) == 1 and "uninstall" in commands[0] and "ivpmtest-gamma" in commands[0]
    assert not project.can_import("ivpmtest_gamma")
    assert project.can_import("ivpmtest_alpha") and project.can_import("srcpkg")

    forced = project.update("--force-py-install")
    assert installer_commands(forced.stderr)


def test_dep_set_switch_installs_the_difference(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: sets
          default-dep-set: default
          dep-sets:
            - name: default
              deps:
                - name: ivpmtest-alpha
                  version: "==1.0.0"
            - name: default-dev
              uses: default
              deps:
                - name: ivpmtest-gamma
        """
    )
    project.update()
    assert not project.can_import("ivpmtest_gamma")
    dev = project.update("-d", "default-dev")
    commands = installer_commands(dev.stderr)
    assert len(commands) == 1 and "ivpmtest-gamma" in commands[0]
    assert "--force-reinstall" not in commands[0] and "--reinstall" not in commands[0]
    assert project.can_import("ivpmtest_gamma")


def test_setup_deps_are_installed_first(make_project: MakeProject, tmp_path: Path) -> None:
    # The source package's setup.py imports a setup-dep at build time (no build isolation).
    files = python_package_files("needsgamma", "needsgamma", build="setup.py")
    files["setup.py"] = "import ivpmtest_gamma  # needed at build time\n" + files["setup.py"]
    repo = make_repo(tmp_path / "repos", "needsgamma", files)
    project = make_project(
        f"""\
        package:
          name: setupfirst
          setup-deps:
            - ivpmtest-gamma
            - setuptools
          dep-sets:
            - name: default-dev
              deps:
                - name: needsgamma
                  url: {repo.url}
                  src: git
                - name: ivpmtest-alpha
        """
    )
    result = project.update()
    commands = installer_commands(result.stderr)
    # PyPI setup-deps share the first call (each is built in isolation anyway)
    assert "ivpmtest-gamma" in commands[0] and "setuptools" in commands[0]
    assert all("needsgamma" not in c for c in commands[:1])
    assert any("needsgamma" in c for c in commands[1:])
    assert project.can_import("needsgamma")


def test_lock_file_reproduces_pinned_versions(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    for wheel in wheelhouse.glob("ivpmtest_alpha-1.0.0-*.whl"):
        shutil.copy(wheel, links)
    yaml_text = """\
        package:
          name: pinned
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """
    first = make_project(yaml_text)
    first.env["IVPM_FIND_LINKS"] = str(links)
    first.update()
    lock_file = first.root / "packages" / "package-lock.json"
    assert json.loads(lock_file.read_text())["python"]["ivpmtest-alpha"] == "1.0.0"

    for wheel in wheelhouse.glob("ivpmtest_alpha-2.0.0-*.whl"):
        shutil.copy(wheel, links)
    pinned = make_project(yaml_text)
    pinned.env["IVPM_FIND_LINKS"] = str(links)
    pinned.update("--lock-file", str(lock_file))
    assert dist_versions(pinned.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "1.0.0"}

    fresh = make_project(yaml_text)
    fresh.env["IVPM_FIND_LINKS"] = str(links)
    fresh.update()
    assert dist_versions(fresh.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.0.0"}


def test_failed_install_keeps_old_environment_and_retries(make_project: MakeProject) -> None:
    good = """\
        package:
          name: failing
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
                  version: "==1.0.0"
        """
    project = make_project(good)
    project.update()
    project.write(good + '        - name: ivpmtest-beta\n                  version: "==9.9"\n')
    failed = project.ivpm("update")
    assert failed.returncode == 1
    assert "ivpmtest-beta==9.9" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert project.can_import("ivpmtest_alpha")
    again = project.ivpm("update")
    assert again.returncode == 1 and installer_commands(again.stderr)
    project.write(good + "        - name: ivpmtest-beta\n")
    project.update()
    assert project.can_import("ivpmtest_beta")


def test_prerelease_flag(make_project: MakeProject) -> None:
    project = make_project(
        """\
        package:
          name: pre
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """
    )
    project.update("--py-prerls-packages")
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.1.0rc1"}


def test_skip_py_install_fetches_only(make_project: MakeProject, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "rawdata", {"data.txt": "x\n"})
    project = make_project(
        f"""\
        package:
          name: skip
          dep-sets:
            - name: default-dev
              deps:
                - name: rawdata
                  url: {repo.url}
                  src: git
                - name: ivpmtest-alpha
        """
    )
    result = project.update("--skip-py-install")
    assert (project.root / "packages" / "rawdata" / "data.txt").exists()
    assert not (project.root / "packages" / "python").exists()
    assert installer_commands(result.stderr) == []
    lock = json.loads((project.root / "packages" / "package-lock.json").read_text())
    assert lock["git"]["rawdata"]["commit"] == repo.head()


def test_pip_and_uv_give_the_same_environment(
    make_project: MakeProject, sources: tuple[str, Path, Path]
) -> None:
    text = mixed_yaml(*sources)
    mine = make_project(text)
    mine.update()
    theirs = make_project(text)
    theirs.installer = "uv" if mine.installer == "pip" else "pip"
    theirs.update()
    seeds = {"pip", "setuptools", "wheel"}

    def dists(project: Project) -> dict[str, str]:
        lock = json.loads((project.root / "packages" / "package-lock.json").read_text())
        python: dict[str, str] = lock["python"]
        return {name: version for name, version in python.items() if name not in seeds}

    assert dists(mine) == dists(theirs)
    assert set(json.loads((mine.root / "packages/package-lock.json").read_text())["editable"]) == {
        "gitpkg",
        "linked",
        "copied",
    }


def test_lock_file_follows_checkout_commits_without_installing(
    make_project: MakeProject, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    project = make_project(srcpkg_project_yaml("follow", repo.url))
    project.update()
    new_head = GitRepo(project.root / "packages" / "srcpkg").commit(
        {"NOTES.txt": "local work\n"}, "local work"
    )
    result = project.update()
    assert installer_commands(result.stderr) == []
    lock = json.loads((project.root / "packages" / "package-lock.json").read_text())
    assert lock["git"]["srcpkg"]["commit"] == new_head


def pypi_only_yaml(*names: str) -> str:
    """A project whose default-dev set lists the named fixture distributions."""
    deps = "".join(f"        - name: ivpmtest-{name}\n" for name in names)
    return f"package:\n  name: keep\n  dep-sets:\n    - name: default-dev\n      deps:\n{deps}"


def test_removed_dep_still_required_by_another_is_kept(make_project: MakeProject) -> None:
    project = make_project(pypi_only_yaml("alpha", "beta", "gamma"))
    project.update()
    project.write(pypi_only_yaml("beta"))
    result = project.update()
    assert (
        "keeping ivpmtest-alpha: no longer listed, but ivpmtest-beta requires it" in result.stderr
    )
    commands = installer_commands(result.stderr)
    assert len(commands) == 1 and "ivpmtest-gamma" in commands[0]
    assert "ivpmtest-alpha" not in commands[0]
    assert project.can_import("ivpmtest_beta") and project.can_import("ivpmtest_alpha")
    assert not project.can_import("ivpmtest_gamma")

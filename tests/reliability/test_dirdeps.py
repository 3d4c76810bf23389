"""A ``src: dir`` dep follows ivpm.yaml: a new ``url`` or ``link`` makes packages/<name> again."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Project, dist_versions
from tests.helpers.gitrepos import python_package_files, write_files

# What packages/<name> holds and when it is reinstalled do not depend on the installer: the
# pip leg runs these (tests/fetch/test_dir_follow.py covers records and every transition).
MakeProject = Callable[..., Project]

MODULE_FILE = "import dirpkg, os; print(os.path.realpath(dirpkg.__file__))"


def dir_yaml(url: Path, *, link: bool) -> str:
    """ivpm.yaml text with the one dir dep ``dirpkg`` from ``url``."""
    return textwrap.dedent(
        f"""\
        package:
          name: dirdeps
          dep-sets:
            - name: default-dev
              deps:
                - name: dirpkg
                  src: dir
                  url: {url}
                  link: {"true" if link else "false"}
        """
    )


def source_package(root: Path, version: str) -> Path:
    """A Python source package ``dirpkg`` at ``version`` in ``root``."""
    write_files(root, python_package_files("dirpkg", "dirpkg", version))
    return root


def hello(project: Project) -> str:
    return project.py("import dirpkg; print(dirpkg.hello())")


def dest(project: Project) -> Path:
    return project.root / "packages" / "dirpkg"


def test_a_new_url_installs_the_new_source(make_project: MakeProject, tmp_path: Path) -> None:
    first = source_package(tmp_path / "first", "0.1.0")
    second = source_package(tmp_path / "second", "0.2.0")
    project = make_project(dir_yaml(first, link=False))
    project.update()
    assert hello(project) == "dirpkg 0.1.0"
    (dest(project) / "scratch.txt").write_text("made inside the copy\n")

    project.write(dir_yaml(second, link=False))
    result = project.update()
    assert "recopied dirpkg" in result.stderr
    assert str(first) in result.stderr  # the log names the copy's old source
    assert not dest(project).is_symlink()
    assert not (dest(project) / "scratch.txt").exists()
    assert hello(project) == "dirpkg 0.2.0"
    assert dist_versions(project.python, ["dirpkg"]) == {"dirpkg": "0.2.0"}
    assert not [name for name in os.listdir(project.root / "packages") if name.startswith(".tmp-")]

    again = project.update()
    assert "recopied" not in again.stderr
    assert hello(project) == "dirpkg 0.2.0"


def test_copy_to_link_and_back(make_project: MakeProject, tmp_path: Path) -> None:
    source = source_package(tmp_path / "src", "0.1.0")
    project = make_project(dir_yaml(source, link=False))
    project.update()
    assert not dest(project).is_symlink()
    init = source / "dirpkg" / "__init__.py"
    original = init.read_text()

    project.write(dir_yaml(source, link=True))
    result = project.update()
    assert "relinked dirpkg" in result.stderr
    assert os.path.islink(dest(project))
    assert os.readlink(dest(project)) == str(source)
    assert project.py(MODULE_FILE).startswith(str(source) + os.sep)
    init.write_text(original + "\nFROM_SOURCE = 'yes'\n")
    assert project.py("import dirpkg; print(dirpkg.FROM_SOURCE)") == "yes"

    init.write_text(original)
    project.write(dir_yaml(source, link=False))
    result = project.update()
    assert "recopied dirpkg" in result.stderr
    assert not os.path.islink(dest(project))
    assert (dest(project) / "pyproject.toml").is_file()
    assert project.py(MODULE_FILE).startswith(str(dest(project)) + os.sep)
    init.write_text(original + "\nFROM_SOURCE = 'yes'\n")
    assert project.py("import dirpkg; print(getattr(dirpkg, 'FROM_SOURCE', 'no'))") == "no"


def test_a_failed_change_leaves_the_old_copy(make_project: MakeProject, tmp_path: Path) -> None:
    source = source_package(tmp_path / "src", "0.1.0")
    project = make_project(dir_yaml(source, link=False))
    project.update()

    missing = tmp_path / "nowhere"
    project.write(dir_yaml(missing, link=True))
    failed = project.ivpm("update")
    assert failed.returncode == 1
    assert str(missing) in failed.stderr and "Traceback" not in failed.stderr
    assert not dest(project).is_symlink()
    assert hello(project) == "dirpkg 0.1.0"
    assert not [name for name in os.listdir(project.root / "packages") if name.startswith(".tmp-")]

    project.write(dir_yaml(source, link=False))
    result = project.update()
    assert "recopied" not in result.stderr
    assert hello(project) == "dirpkg 0.1.0"

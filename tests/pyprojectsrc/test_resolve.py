"""``src: pyproject.toml`` deps in resolution: derived PyPI deps, who wins, intersection."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ivpm.errors import ConfigError
from ivpm.project.check import check_project
from ivpm.project.loader import load_project
from ivpm.project.model import Dep, Resolution, Source
from ivpm.project.resolve import resolve


def write_yaml(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ivpm.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def project_yaml(name: str, *deps: str) -> str:
    """An ivpm.yaml with one dep-set ``default`` holding ``deps`` (flow mappings)."""
    lines = [f"package:\n  name: {name}\n  dep-sets:\n    - name: default\n      deps:\n"]
    lines += [f"        - {dep}\n" for dep in deps]
    return "".join(lines)


def pyproject(directory: Path, *dependencies: str, groups: str = "", name: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f'"{item}"' for item in dependencies)
    named = f'name = "{name}"\n' if name else ""
    text = f"[project]\n{named}dependencies = [{listed}]\n"
    if groups:
        text += f"[dependency-groups]\n{groups}\n"
    (directory / "pyproject.toml").write_text(text, encoding="utf-8")


def git(name: str) -> str:
    return f"{{name: {name}, url: 'https://example.com/{name}.git'}}"


REQS = "{name: reqs, src: pyproject.toml}"


class Workspace:
    """A root project plus checkouts under ``packages/``; fetching records the names asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packages = root / "packages"
        self.calls: list[list[str]] = []

    def fetch(self, deps: Sequence[Dep]) -> Mapping[str, Path]:
        self.calls.append([dep.name for dep in deps])
        return {dep.name: self.packages / dep.name for dep in deps}

    def package(self, name: str, yaml_text: str) -> Path:
        directory = self.packages / name
        write_yaml(directory, yaml_text)
        return directory

    def resolve(self, yaml_text: str) -> Resolution:
        project = load_project(write_yaml(self.root, yaml_text))
        return resolve(project, "default", self.fetch)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def test_requirements_become_pypi_deps_and_the_dep_is_not_fetched(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=1", "beta[fast]==2.0", "never; python_version < '3'")
    result = ws.resolve(project_yaml("root", REQS))
    assert ws.calls == []
    assert list(result.deps) == ["reqs", "alpha", "beta"]
    reqs = result.deps["reqs"]
    assert not reqs.is_python and reqs.path is None
    alpha, beta = result.deps["alpha"], result.deps["beta"]
    assert (alpha.dep.src, alpha.dep.version, alpha.is_python) == (Source.PYPI, ">=1", True)
    assert (beta.dep.version, beta.dep.extras) == ("==2.0", ("fast",))
    assert str(alpha.dep.location) == f"{ws.root / 'ivpm.yaml'}:6:11"
    assert result.levels == (("alpha", "beta"),)
    assert result.unhandled == ()


def test_include_picks_the_lists(ws: Workspace) -> None:
    pyproject(ws.root, "alpha", groups='dev = ["beta"]\nlint = ["gamma"]')
    dep = "{name: reqs, src: pyproject.toml, include: [dependency-groups.dev, dependencies]}"
    assert list(ws.resolve(project_yaml("root", dep)).deps) == ["reqs", "beta", "alpha"]


def test_same_named_pyproject_deps_of_two_selected_dep_sets_both_apply(ws: Workspace) -> None:
    pyproject(ws.root, "alpha", groups='dev = ["beta"]')
    text = """\
        package:
          name: root
          dep-sets:
            - name: a
              deps: [{name: reqs, src: pyproject.toml}]
            - name: b
              deps: [{name: reqs, src: pyproject.toml, include: dependency-groups.dev}]
        """
    project = load_project(write_yaml(ws.root, text))
    result = resolve(project, ["a", "b"], ws.fetch)
    assert list(result.deps) == ["reqs", "alpha", "beta"]


def test_root_explicit_pypi_entry_wins(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=2")
    result = ws.resolve(project_yaml("root", REQS, "{name: alpha, version: '==1.0'}"))
    assert result.deps["alpha"].dep.version == "==1.0"


def test_sub_project_explicit_entry_found_later_wins(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=2")
    ws.package("lib", project_yaml("lib", "{name: alpha, version: '==1.0'}"))
    result = ws.resolve(project_yaml("root", REQS, git("lib")))
    alpha = result.deps["alpha"].dep
    assert alpha.version == "==1.0"
    assert alpha.location.path == ws.packages / "lib" / "ivpm.yaml"


def test_sub_project_explicit_entry_found_first_wins(ws: Workspace) -> None:
    ws.package("lib", project_yaml("lib", "{name: alpha, version: '==1.0'}"))
    ws.package("lib2", project_yaml("lib2", REQS))
    pyproject(ws.packages / "lib2", "alpha>=2")
    result = ws.resolve(project_yaml("root", git("lib"), git("lib2")))
    assert result.deps["alpha"].dep.version == "==1.0"


def test_source_entry_beats_a_derived_requirement_and_is_fetched(ws: Workspace) -> None:
    pyproject(ws.root, "gitpkg>=1", "alpha")
    ws.package("lib", project_yaml("lib", git("gitpkg")))
    ws.package("gitpkg", project_yaml("gitpkg"))
    result = ws.resolve(project_yaml("root", REQS, git("lib")))
    assert result.deps["gitpkg"].dep.src is Source.GIT
    assert ws.calls == [["lib"], ["gitpkg"]]


def test_requirements_for_one_name_intersect(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=1", groups='dev = ["alpha[x]<3"]')
    dep = "{name: reqs, src: pyproject.toml, include: all}"
    alpha = ws.resolve(project_yaml("root", dep)).deps["alpha"].dep
    assert (alpha.version, alpha.extras) == ("<3,>=1", ("x",))


def test_requirements_of_two_files_intersect(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=1")
    ws.package("lib", project_yaml("lib", REQS))
    pyproject(ws.packages / "lib", "alpha<3")
    result = ws.resolve(project_yaml("root", REQS, git("lib")))
    assert result.deps["alpha"].dep.version == "<3,>=1"


def test_unsatisfiable_intersection_points_at_both_pyproject_deps(ws: Workspace) -> None:
    pyproject(ws.root, "alpha>=2")
    ws.package("lib", project_yaml("lib", REQS))
    pyproject(ws.packages / "lib", "alpha<1")
    with pytest.raises(ConfigError, match="no version of 'alpha' satisfies") as caught:
        ws.resolve(project_yaml("root", REQS, git("lib")))
    assert caught.value.location is not None
    assert caught.value.location.path == ws.packages / "lib" / "ivpm.yaml"
    assert caught.value.related[0][1].path == ws.root / "ivpm.yaml"


def test_a_sub_projects_pyproject_is_found_beside_its_ivpm_yaml(ws: Workspace) -> None:
    ws.package("lib", project_yaml("lib", REQS, "{name: more, src: pyproject.toml, path: ex}"))
    pyproject(ws.packages / "lib", "alpha")
    pyproject(ws.packages / "lib" / "ex", "beta")
    result = ws.resolve(project_yaml("root", git("lib")))
    assert {"alpha", "beta"} <= set(result.deps)
    assert result.deps["lib"].requires == ("reqs", "more")


def test_requirement_naming_the_root_project_is_skipped(ws: Workspace) -> None:
    pyproject(ws.root, "root>=1", "alpha")
    assert list(ws.resolve(project_yaml("root", REQS)).deps) == ["reqs", "alpha"]


def test_remote_pyproject_stays_unhandled(ws: Workspace) -> None:
    dep = "{name: reqs, src: pyproject.toml, url: 'https://example.com/pyproject.toml'}"
    result = ws.resolve(project_yaml("root", dep))
    assert list(result.deps) == ["reqs"]
    assert result.unhandled == ("reqs",)


def test_bad_pyproject_is_reported_at_the_dep(ws: Workspace) -> None:
    (ws.root / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pyproject\.toml is not valid TOML") as caught:
        ws.resolve(project_yaml("root", REQS))
    assert str(caught.value.location) == f"{ws.root / 'ivpm.yaml'}:6:11"


def test_explicit_override_is_logged(ws: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    pyproject(ws.root, "alpha>=2")
    ws.package("lib", project_yaml("lib", "{name: alpha, version: '==1.0'}"))
    with caplog.at_level(logging.DEBUG, logger="ivpm.project.resolve"):
        ws.resolve(project_yaml("root", REQS, git("lib")))
    assert "'alpha' overrides the pyproject.toml requirement" in caplog.text


def test_check_lists_only_a_remote_pyproject_as_unhandled(tmp_path: Path) -> None:
    pyproject(tmp_path, "alpha")
    remote = "{name: far, src: pyproject.toml, url: 'https://example.com/pyproject.toml'}"
    write_yaml(tmp_path, project_yaml("root", REQS, remote))
    report = check_project(tmp_path)
    assert report.valid, [problem.render() for problem in report.problems]
    assert [name for name, _, _ in report.unhandled] == ["far"]

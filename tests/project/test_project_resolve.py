"""Recursive resolution with a fake fetch that maps dep names to prepared directories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ivpm.errors import ConfigError
from ivpm.project.loader import load_project
from ivpm.project.model import Dep, Resolution, Source
from ivpm.project.resolve import resolve

from .conftest import write_yaml


class FakeFetch:
    """Returns ``packages/<name>`` for every dep and records each call's dep names."""

    def __init__(self, packages: Path) -> None:
        self.packages = packages
        self.calls: list[list[str]] = []

    def __call__(self, deps: Sequence[Dep]) -> Mapping[str, Path]:
        self.calls.append([dep.name for dep in deps])
        return {dep.name: self.packages / dep.name for dep in deps}


class Workspace:
    """A root project plus checkouts under ``packages/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packages = root / "packages"
        self.fetch = FakeFetch(self.packages)

    def package(self, name: str, yaml_text: str | None = None, *, python: bool = True) -> Path:
        directory = self.packages / name
        directory.mkdir(parents=True, exist_ok=True)
        if python:
            (directory / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
        if yaml_text is not None:
            write_yaml(directory, yaml_text)
        return directory

    def resolve(self, yaml_text: str, dep_set: str = "default") -> Resolution:
        project = load_project(write_yaml(self.root, yaml_text))
        return resolve(project, dep_set, self.fetch)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def project_yaml(name: str, *deps: str, sets: str = "default", extra: str = "") -> str:
    """An ivpm.yaml with one dep-set named ``sets`` holding ``deps`` (flow mappings)."""
    lines = [f"package:\n  name: {name}\n{extra}  dep-sets:\n    - name: {sets}\n      deps:\n"]
    lines += [f"        - {dep}\n" for dep in deps]
    return "".join(lines)


def git(name: str, **extra: str) -> str:
    fields = "".join(f", {key.replace('_', '-')}: {value}" for key, value in extra.items())
    return f"{{name: {name}, url: 'https://example.com/{name}.git'{fields}}}"


def test_breadth_first_recursion(ws: Workspace) -> None:
    ws.package("lib-a", project_yaml("lib-a", "{name: numpy}", git("lib-c")))
    ws.package("lib-b")
    ws.package("lib-c", project_yaml("lib-c", "{name: attrs}"))
    result = ws.resolve(project_yaml("root", "{name: requests}", git("lib-a"), git("lib-b")))
    assert ws.fetch.calls == [["lib-a", "lib-b"], ["lib-c"]]
    assert list(result.deps) == ["requests", "lib-a", "lib-b", "numpy", "lib-c", "attrs"]
    lib_a = result.deps["lib-a"]
    assert lib_a.requires == ("numpy", "lib-c")
    assert lib_a.path == ws.packages / "lib-a"
    assert lib_a.sub_project is not None and lib_a.sub_project.name == "lib-a"
    assert lib_a.is_python
    assert result.deps["lib-b"].sub_project is None
    assert result.deps["lib-b"].requires == ()
    assert result.deps["requests"].path is None
    assert result.deps["requests"].is_python
    assert result.deps["lib-c"].requires == ("attrs",)
    assert result.levels == (("requests", "lib-b", "numpy", "attrs"), ("lib-c",), ("lib-a",))
    assert result.setup_deps == ()
    assert result.dep_set == "default"


def test_fetch_not_called_without_source_deps(ws: Workspace) -> None:
    result = ws.resolve(project_yaml("root", "{name: requests}", "{name: six}"))
    assert ws.fetch.calls == []
    assert result.levels == (("requests", "six"),)


def test_no_dep_sets(ws: Workspace) -> None:
    result = ws.resolve("package:\n  name: root\n")
    assert result.deps == {} and result.levels == () and ws.fetch.calls == []


def test_raw_deps_are_kept_out_of_levels(ws: Workspace) -> None:
    ws.package("data", python=False)
    ws.package("forced-raw")
    ws.package("forced-python", python=False)
    result = ws.resolve(
        project_yaml(
            "root",
            git("data"),
            git("forced-raw", type="raw"),
            git("forced-python", type="python"),
        )
    )
    assert not result.deps["data"].is_python
    assert not result.deps["forced-raw"].is_python
    assert result.deps["forced-python"].is_python
    assert result.levels == (("forced-python",),)


SELECTION_CASES = {
    # id: (the dep's extra keys, sub-project's extra lines, its sets, parent's set, expected)
    "dep-set": ({"dep_set": "two"}, "  default-dep-set: three\n", "one two three", "one", "two"),
    "parent-name-over-sub-default": (
        {},
        "  default-dep-set: three\n",
        "one two three",
        "two",
        "two",
    ),
    "sub-default-when-parent-name-missing": (
        {},
        "  default-dep-set: three\n",
        "one two three",
        "other",
        "three",
    ),
    "parent-name": ({}, "", "one two three", "two", "two"),
    "first": ({}, "", "one two three", "other", "one"),
    "only": ({}, "", "only", "other", "only"),
}


@pytest.mark.parametrize("case", SELECTION_CASES.values(), ids=SELECTION_CASES.keys())
def test_sub_project_dep_set_selection(
    ws: Workspace, case: tuple[dict[str, str], str, str, str, str]
) -> None:
    dep_extra, sub_extra, sub_sets, parent_set, expected = case
    sets = "".join(f"    - name: {s}\n      deps: [{{name: from-{s}}}]\n" for s in sub_sets.split())
    ws.package("sub", f"package:\n  name: sub\n{sub_extra}  dep-sets:\n{sets}")
    result = ws.resolve(project_yaml("root", git("sub", **dep_extra), sets=parent_set), parent_set)
    assert result.deps["sub"].requires == (f"from-{expected}",)


def test_declaring_dep_set_default_dep_set_is_handed_down(ws: Workspace) -> None:
    sets = "".join(f"    - name: {s}\n      deps: [{{name: from-{s}}}]\n" for s in ("one", "two"))
    ws.package("sub", f"package:\n  name: sub\n  dep-sets:\n{sets}")
    root = (
        "package:\n  name: root\n  dep-sets:\n    - name: one\n      default-dep-set: two\n"
        f"      deps:\n        - {git('sub')}\n"
    )
    result = ws.resolve(root, "one")
    assert result.deps["sub"].requires == ("from-two",)


def test_sub_project_naming_a_missing_dep_set_warns(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws.package("mid", project_yaml("mid", git("leaf", dep_set="nope")))
    ws.package("leaf", project_yaml("leaf", "{name: six}", sets="main"))
    result = ws.resolve(project_yaml("root", git("mid")))
    assert result.deps["leaf"].requires == ("six",)
    assert "has no dep-set 'nope'; using 'main' for 'leaf'" in caplog.text


def test_sub_project_without_dep_sets(ws: Workspace) -> None:
    ws.package("sub", "package:\n  name: sub\n")
    result = ws.resolve(project_yaml("root", git("sub")))
    assert result.deps["sub"].requires == ()
    assert result.deps["sub"].sub_project is not None


def test_missing_dep_set_in_sub_project(ws: Workspace) -> None:
    ws.package("sub", project_yaml("sub", sets="dev"))
    with pytest.raises(ConfigError) as caught:
        ws.resolve(project_yaml("root", git("sub", dep_set="relase")))
    error = caught.value
    assert "no dep-set 'relase' in" in error.message
    assert error.location is not None
    assert error.location.path == ws.root / "ivpm.yaml"
    assert (error.location.line, error.location.col) == (6, 11)
    assert error.hint is not None and error.hint.endswith(": dev")


def test_root_wins_silently(ws: Workspace) -> None:
    ws.package("sub", project_yaml("sub", "{name: numpy, version: '>=2'}", git("shared")))
    ws.package("shared")
    result = ws.resolve(
        project_yaml(
            "root",
            git("sub"),
            "{name: NumPy, version: '==1.26'}",
            "{name: shared, url: /src/shared, src: dir}",
        )
    )
    assert result.deps["NumPy"].dep.version == "==1.26"
    assert result.deps["shared"].dep.src is Source.DIR
    assert result.deps["sub"].requires == ("NumPy", "shared")
    assert ws.fetch.calls == [["sub", "shared"]]


def test_same_spec_twice_is_fine(ws: Workspace) -> None:
    ws.package("a", project_yaml("a", "{name: numpy, version: '>=1,<2'}"))
    ws.package("b", project_yaml("b", "{name: numpy, version: '<2, >=1'}"))
    result = ws.resolve(project_yaml("root", git("a"), git("b")))
    assert result.deps["numpy"].dep.location.path == ws.packages / "a" / "ivpm.yaml"


def test_pypi_specs_from_two_sub_projects_intersect(ws: Workspace) -> None:
    ws.package("a", project_yaml("a", "{name: numpy, version: '>=1', extras: [x]}"))
    ws.package("b", project_yaml("b", "{name: requests}", "{name: numpy, version: '<2'}"))
    result = ws.resolve(project_yaml("root", git("a"), git("b")))
    numpy = result.deps["numpy"].dep
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(numpy.version or "") == SpecifierSet(">=1,<2")
    assert numpy.extras == ("x",)


def test_disjoint_pypi_specs_show_both_locations(ws: Workspace) -> None:
    ws.package("a", project_yaml("a", "{name: numpy, version: '<1'}"))
    ws.package("b", project_yaml("b", "{name: requests}", "{name: numpy, version: '>=2'}"))
    with pytest.raises(ConfigError) as caught:
        ws.resolve(project_yaml("root", git("a"), git("b")))
    error = caught.value
    assert "no version of 'numpy' satisfies both '<1' and '>=2'" in error.message
    assert error.location is not None
    assert error.location.path == ws.packages / "b" / "ivpm.yaml"
    assert error.location.line == 7
    rendered = error.render()
    assert "packages/b/ivpm.yaml:7:11: error: no version" in rendered
    assert "packages/a/ivpm.yaml:6:11: note: the other spec" in rendered


def test_conflicting_git_refs_first_found_wins_with_a_warning(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws.package("a", project_yaml("a", git("lib", branch="main")))
    ws.package("b", project_yaml("b", git("lib", tag="v1")))
    ws.package("lib")
    result = ws.resolve(project_yaml("root", git("a"), git("b")))
    assert result.deps["lib"].dep.branch == "main"
    assert result.deps["b"].requires == ("lib",)
    assert "packages/b/ivpm.yaml:6:11: warning: 'lib' is declared differently here" in caplog.text
    assert "branch 'main' vs (none), tag (none) vs 'v1'" in caplog.text
    assert "packages/a/ivpm.yaml:6:11" in caplog.text


def test_cycle_among_sub_projects(ws: Workspace) -> None:
    ws.package("lib-a", project_yaml("lib-a", git("lib-b")))
    ws.package("lib-b", project_yaml("lib-b", "{name: six}", git("lib-a")))
    with pytest.raises(ConfigError) as caught:
        ws.resolve(project_yaml("root", git("lib-a")))
    error = caught.value
    assert error.message == "dependency cycle: lib-a -> lib-b -> lib-a"
    assert error.location is not None
    assert error.location.path == ws.packages / "lib-b" / "ivpm.yaml"
    assert error.location.line == 7
    assert [(note, loc.path) for note, loc in error.related] == [
        ("'lib-a' requires 'lib-b' here", ws.packages / "lib-a" / "ivpm.yaml")
    ]


def test_sub_project_listing_the_root_is_ignored(ws: Workspace) -> None:
    ws.package("plugin", project_yaml("plugin", git("My_Root"), "{name: six}"))
    result = ws.resolve(project_yaml("my-root", git("plugin")))
    assert "My_Root" not in result.deps
    assert result.deps["plugin"].requires == ("six",)
    assert ws.fetch.calls == [["plugin"]]


def test_sub_project_listing_itself_is_ignored(ws: Workspace) -> None:
    ws.package("lib", project_yaml("lib", git("lib"), "{name: six}"))
    result = ws.resolve(project_yaml("root", git("lib")))
    assert result.deps["lib"].requires == ("six",)


def test_levels_follow_requires_and_written_order(ws: Workspace) -> None:
    ws.package("app", project_yaml("app", git("core"), git("util"), "{name: click}"))
    ws.package("util", project_yaml("util", git("core")))
    ws.package("core", project_yaml("core", "{name: attrs}"))
    ws.package("docs", python=False)
    result = ws.resolve(project_yaml("root", "{name: rich}", git("app"), git("docs")))
    assert list(result.deps) == ["rich", "app", "docs", "core", "util", "click", "attrs"]
    assert result.levels == (
        ("rich", "click", "attrs"),
        ("core",),
        ("util",),
        ("app",),
    )
    assert ws.fetch.calls == [["app", "docs"], ["core", "util"]]


def test_setup_deps_order_and_implicit_pypi(ws: Workspace) -> None:
    ws.package(
        "ext",
        project_yaml(
            "ext",
            "{name: Cython, version: '>=3'}",
            "{name: numpy}",
            extra="  setup-deps: [setuptools, cython, scikit-build]\n",
        ),
    )
    root = project_yaml(
        "root",
        "{name: cython}",
        git("ext"),
        "{name: pytest}",
        extra="  setup-deps: [wheel, cython]\n",
    )
    result = ws.resolve(root)
    assert result.setup_deps == ("wheel", "cython", "setuptools", "scikit-build")
    wheel = result.deps["wheel"]
    assert wheel.dep.src is Source.PYPI and wheel.dep.version is None
    assert wheel.dep.location.path == ws.root / "ivpm.yaml"
    assert (wheel.dep.location.line, wheel.dep.location.col) == (3, 16)
    assert result.deps["scikit-build"].dep.location.path == ws.packages / "ext" / "ivpm.yaml"
    assert result.deps["cython"].dep.version is None  # the root's entry wins over ext's
    assert result.deps["ext"].requires == ("cython", "numpy")
    assert result.levels == (("pytest", "numpy"), ("ext",))


def test_setup_dep_not_declared_and_not_a_pypi_name(ws: Workspace) -> None:
    with pytest.raises(ConfigError, match="not a valid PyPI package name") as caught:
        ws.resolve(project_yaml("root", "{name: six}", extra="  setup-deps: [my.tool+x]\n"))
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) == (3, 16)


def test_conflict_error_from_sub_project_file_is_located(ws: Workspace) -> None:
    ws.package("bad", "package:\n  name: bad\n  dep-sets: oops\n")
    with pytest.raises(ConfigError) as caught:
        ws.resolve(project_yaml("root", git("bad")))
    assert caught.value.location is not None
    assert caught.value.location.path == ws.packages / "bad" / "ivpm.yaml"

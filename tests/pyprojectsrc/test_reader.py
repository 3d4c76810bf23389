"""The pyproject.toml requirement-list reader: include forms, groups, markers and errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ivpm.errors import ConfigError, Location
from ivpm.project.model import Dep, Source
from ivpm.project.pyproject_reqs import pyproject_deps, pyproject_file, read_requirements

PYPROJECT = """\
[project]
name = "myproj"
dependencies = ["alpha>=1", "beta[fast] ==2.*", "gamma; python_version < '3'"]

[project.optional-dependencies]
test = ["pytest>=8", "alpha<3"]
Docs_Extra = ["sphinx"]
all = ["myproj[test,docs-extra]"]

[dependency-groups]
lint = ["ruff"]
dev = [{include-group = "lint"}, "mypy", {include-group = "Typing_Stubs"}]
typing-stubs = ["types-pyyaml"]
"""


def write(tmp_path: Path, text: str = PYPROJECT) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def where(tmp_path: Path) -> Location:
    return Location(tmp_path / "ivpm.yaml", 7, 9)


def names(path: Path, *include: str, **environment: str) -> list[str]:
    listed = read_requirements(path, include, where(path.parent), environment=environment)
    return [str(item.requirement) for item in listed]


def error(path: Path, *include: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        read_requirements(path, include, where(path.parent))
    assert caught.value.location == where(path.parent)
    return caught.value


def test_dependencies_is_the_default_and_false_markers_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert names(path) == ["alpha>=1", "beta[fast]==2.*"]
    assert names(path, "dependencies") == names(path)


def test_marker_true_for_the_given_environment_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path)
    kept = names(path, python_version="2.7")
    assert kept[-1] == 'gamma; python_version < "3"'


def test_optional_dependencies_compared_normalised(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert names(path, "optional-dependencies.test") == ["pytest>=8", "alpha<3"]
    assert names(path, "optional-dependencies.docs_extra") == ["sphinx"]


def test_self_reference_stands_for_the_named_extras(tmp_path: Path) -> None:
    path = write(tmp_path)
    # the extras a requirement names are a set: they are taken in sorted order
    assert names(path, "optional-dependencies.all") == ["sphinx", "pytest>=8", "alpha<3"]


def test_dependency_group_with_include_group_recursion(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert names(path, "dependency-groups.dev") == ["ruff", "mypy", "types-pyyaml"]
    assert names(path, "dependency-groups.Typing.Stubs") == ["types-pyyaml"]


def test_several_includes_keep_order_and_drop_repeats(tmp_path: Path) -> None:
    path = write(tmp_path)
    listed = names(path, "dependency-groups.lint", "dependencies", "dependency-groups.dev")
    assert listed == ["ruff", "alpha>=1", "beta[fast]==2.*", "mypy", "types-pyyaml"]


def test_all_takes_everything(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert names(path, "all") == [
        "alpha>=1",
        "beta[fast]==2.*",
        "pytest>=8",
        "alpha<3",
        "sphinx",
        "ruff",
        "mypy",
        "types-pyyaml",
    ]


def test_origin_names_the_list(tmp_path: Path) -> None:
    path = write(tmp_path)
    listed = read_requirements(path, ("dependency-groups.dev",), where(tmp_path))
    assert [item.origin for item in listed] == [
        "dependency-groups.lint",
        "dependency-groups.dev",
        "dependency-groups.typing-stubs",
    ]


def test_include_group_cycle_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [dependency-groups]
        a = ["x", {include-group = "b"}]
        b = [{include-group = "c"}]
        c = [{include-group = "A"}]
        """,
    )
    assert "dependency-group cycle: a -> b -> c -> a" in error(path, "dependency-groups.a").message


def test_missing_group_is_an_error_listing_the_groups(tmp_path: Path) -> None:
    path = write(tmp_path)
    problem = error(path, "dependency-groups.devv")
    assert "pyproject.toml: there is no dependency-groups list 'devv'" in problem.message
    assert "did you mean 'dev'" in problem.message
    assert problem.hint == "the file's dependency-groups: lint, dev, typing-stubs"


def test_missing_included_group_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[dependency-groups]\ndev = [{include-group = "nope"}]\n')
    assert "no dependency-groups list 'nope'" in error(path, "dependency-groups.dev").message


def test_missing_extra_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert "no optional-dependencies list 'gui'" in error(path, "optional-dependencies.gui").message


def test_no_project_table_has_no_dependencies(tmp_path: Path) -> None:
    path = write(tmp_path, '[dependency-groups]\ndev = ["x"]\n')
    assert "no [project] table" in error(path).message
    assert names(path, "all") == ["x"]


def test_dynamic_dependencies_cannot_be_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "p"\ndynamic = ["dependencies"]\n')
    assert "'dependencies' is dynamic" in error(path).message


def test_absent_dependencies_mean_none(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "p"\n')
    assert names(path) == []


def test_unknown_include_form(tmp_path: Path) -> None:
    path = write(tmp_path)
    problem = error(path, "dependencys")
    assert "unknown include 'dependencys' (did you mean 'dependencies'?)" in problem.message
    assert problem.hint is not None and "dependency-groups.<group>" in problem.hint


def test_bad_toml_gives_tomllib_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "p"\ndependencies = ["a",\n  oops]\n')
    problem = error(path)
    assert "pyproject.toml is not valid TOML: Invalid value (line 4, column 3)" in problem.message
    assert problem.related == (("the TOML error is here", Location(path, 4, 3)),)
    assert f"{path}:4:3: note: the TOML error is here" in problem.render()


def test_bad_toml_at_end_of_document(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\ndependencies = ["a",')
    problem = error(path)
    assert problem.related[0][1] == Location(path, 2, 21)


def test_requirement_that_is_not_pep508(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "p"\ndependencies = ["good", "bad name>=1"]\n')
    problem = error(path)
    assert "'dependencies': 'bad name>=1' is not a PEP 508 requirement" in problem.message


def test_group_entry_of_the_wrong_shape(tmp_path: Path) -> None:
    path = write(tmp_path, '[dependency-groups]\ndev = [{include = "x"}]\n')
    assert "entries are requirement strings" in error(path, "dependency-groups.dev").message


def test_groups_alike_after_normalising_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[dependency-groups]\nDev = ["a"]\ndev = ["b"]\n')
    assert "which are the same" in error(path, "dependency-groups.dev").message


def pyproject_dep(tmp_path: Path, **fields: object) -> Dep:
    return Dep(
        name="reqs",
        src=Source.PYPROJECT,
        location=where(tmp_path),
        declared_in=tmp_path / "ivpm.yaml",
        **fields,  # type: ignore[arg-type]
    )


def test_file_named_by_path_url_folder_or_default(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("")
    assert pyproject_file(pyproject_dep(tmp_path)) == tmp_path / "pyproject.toml"
    assert (
        pyproject_file(pyproject_dep(tmp_path, path="sub/pyproject.toml")) == sub / "pyproject.toml"
    )
    assert pyproject_file(pyproject_dep(tmp_path, path="sub")) == sub / "pyproject.toml"
    assert pyproject_file(pyproject_dep(tmp_path, url=f"file://{sub}")) == sub / "pyproject.toml"
    assert pyproject_file(pyproject_dep(tmp_path, url="https://example.com/pyproject.toml")) is None


def test_deps_carry_the_pyproject_dep_location(tmp_path: Path) -> None:
    write(tmp_path)
    deps = pyproject_deps(pyproject_dep(tmp_path, include=("dependencies",)))
    assert [(d.name, d.src, d.version, d.extras) for d in deps] == [
        ("alpha", Source.PYPI, ">=1", ()),
        ("beta", Source.PYPI, "==2.*", ("fast",)),
    ]
    assert all(d.location == where(tmp_path) for d in deps)
    assert all(d.declared_in == tmp_path / "ivpm.yaml" for d in deps)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pyproject\.toml dep 'reqs': .* does not exist"):
        pyproject_deps(pyproject_dep(tmp_path, path="nope.toml"))


def test_direct_reference_to_a_wheel_or_archive(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        [project]
        dependencies = [
            "w[x] @ https://example.com/w-1.0-py3-none-any.whl",
            "s @ file:///tmp/s-1.0.tar.gz",
        ]
        """,
    )
    wheel, archive = pyproject_deps(pyproject_dep(tmp_path))
    assert (wheel.src, wheel.url, wheel.extras, wheel.is_wheel) == (
        Source.HTTP,
        "https://example.com/w-1.0-py3-none-any.whl",
        ("x",),
        True,
    )
    assert (archive.src, archive.is_source, archive.editable) == (Source.FILE, True, False)


def test_direct_reference_to_a_repository_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[project]\ndependencies = ["r @ git+https://example.com/r.git@v1"]\n')
    with pytest.raises(ConfigError, match="direct reference ivpm cannot install") as caught:
        pyproject_deps(pyproject_dep(tmp_path))
    assert caught.value.location == where(tmp_path)
    assert caught.value.hint is not None and "'src: git'" in caught.value.hint

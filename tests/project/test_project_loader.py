"""Loader details: source inference, scalar handling, locations, finding the project file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.errors import ConfigError
from ivpm.layout import find_project_file
from ivpm.project.depkeys import infer_src
from ivpm.project.loader import load_project
from ivpm.project.model import Project, Source
from ivpm.project.yamlnodes import Map, Scalar, Seq, parse_yaml

from .conftest import write_yaml

Load = Callable[[str], Project]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/org/x.git", Source.GIT),
        ("https://github.com/org/x.git/", Source.GIT),
        ("https://github.com/org/x", Source.GIT),
        ("http://example.com/x", Source.GIT),
        ("git://example.com/x", Source.GIT),
        ("ssh://git@example.com/x", Source.GIT),
        ("git+https://example.com/x", Source.GIT),
        ("git@github.com:org/x", Source.GIT),
        ("/srv/repos/x.git", Source.GIT),
        ("file:///home/user/x", Source.DIR),
        ("/home/user/x", Source.DIR),
        ("./x", Source.DIR),
        ("../x", Source.DIR),
        ("~/x", Source.DIR),
        ("C:\\work\\x", Source.DIR),
        ("ftp://example.com/x", None),
        ("x/y", None),
    ],
)
def test_infer_src(url: str, expected: Source | None) -> None:
    assert infer_src(url) is expected


def test_numbers_are_kept_as_written(load_text: Load) -> None:
    project = load_text(
        """
        package:
          name: p
          version: 1.10
          dep-sets:
            - name: 2024
              deps:
                - name: lib
                  url: lib.git
                  tag: 1.10
                - name: pinned
                  url: pinned.git
                  commit: 01234567
                - name: other
                  url: other.git
                  branch: 2024-01-01
                  depth: 0x10
        """
    )
    lib, pinned, other = project.dep_sets["2024"].deps
    assert lib.tag == "1.10"
    assert pinned.commit == "01234567"
    assert other.branch == "2024-01-01"
    assert other.depth == 16


def test_commit_may_be_a_sha256_id(load_text: Load) -> None:
    full = "0123456789abcdef" * 4  # 64 digits: a SHA-256 repository
    project = load_text(
        "package:\n  name: p\n  dep-sets:\n    - name: a\n      deps:\n"
        f"        - {{name: x, url: x.git, commit: {full}}}\n"
    )
    assert project.dep_sets["a"].deps[0].commit == full
    with pytest.raises(ConfigError, match="'commit' must be 4 to 64 hexadecimal digits"):
        load_text(
            "package:\n  name: p\n  dep-sets:\n    - name: a\n      deps:\n"
            f"        - {{name: x, url: x.git, commit: {full}0}}\n"
        )


def test_empty_version_means_any(load_text: Load) -> None:
    project = load_text(
        "package:\n  name: p\n  dep-sets:\n    - name: a\n      deps:\n"
        "        - {name: x, version: ''}\n"
    )
    assert project.dep_sets["a"].deps[0].version is None


def test_explicit_src_git_accepts_local_url(load_text: Load) -> None:
    project = load_text(
        "package:\n  name: p\n  dep-sets:\n    - name: a\n      deps:\n"
        "        - {name: x, src: git, url: ../x}\n"
    )
    assert project.dep_sets["a"].deps[0].src is Source.GIT


def test_null_lists_are_empty(load_text: Load) -> None:
    project = load_text(
        "package:\n  name: p\n  setup-deps:\n  dep-sets:\n    - name: a\n      deps:\n  env-sets:\n"
    )
    assert project.setup_deps == ()
    assert project.dep_sets["a"].deps == ()
    assert project.env_sets == {}


def test_bom_and_unicode_columns(tmp_path: Path) -> None:
    path = tmp_path / "ivpm.yaml"
    path.write_bytes("\ufeffpackage:\n  name: p\n  description: héllo\n".encode())
    assert load_project(path).name == "p"
    root = parse_yaml("a: é\nb: [éé, x]\n", path)  # columns count characters
    assert isinstance(root, Map)
    value = root.entries["b"][1]
    assert isinstance(value, Seq)
    second = value.items[1]
    assert isinstance(second, Scalar)
    assert (second.loc.line, second.loc.col) == (2, 9)


def test_locations_are_one_based(load_text: Load) -> None:
    project = load_text("package:\n  name: p\n  dep-sets:\n    - name: a\n")
    assert (project.location.line, project.location.col) == (1, 1)
    dep_set = project.dep_sets["a"]
    assert (dep_set.location.line, dep_set.location.col) == (4, 7)


def test_find_project_file(tmp_path: Path) -> None:
    write_yaml(tmp_path / "proj", "package:\n  name: p\n")
    deep = tmp_path / "proj" / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_project_file(deep) == tmp_path / "proj" / "ivpm.yaml"
    assert find_project_file(tmp_path / "proj") == tmp_path / "proj" / "ivpm.yaml"
    (deep / "mod.py").write_text("", encoding="utf-8")
    assert find_project_file(deep / "mod.py") == tmp_path / "proj" / "ivpm.yaml"
    write_yaml(deep, "package:\n  name: inner\n")
    assert find_project_file(deep) == deep / "ivpm.yaml"


def test_find_project_file_none(tmp_path: Path) -> None:
    # Guard against an ivpm.yaml somewhere above the temporary directory.
    found = find_project_file(tmp_path)
    assert found is None or not found.is_relative_to(tmp_path)


def test_large_valid_file_loads(tmp_path: Path) -> None:
    deps = "".join(f"        - {{name: pkg{i}, version: '>={i}'}}\n" for i in range(3000))
    path = write_yaml(
        tmp_path, f"package:\n  name: p\n  dep-sets:\n    - name: a\n      deps:\n{deps}"
    )
    project = load_project(path)
    assert len(project.dep_sets["a"].deps) == 3000

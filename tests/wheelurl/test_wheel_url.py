"""A ``.whl`` URL dep is installed as that wheel (a direct-URL requirement), never fetched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.errors import ConfigError, Location
from ivpm.project.depkeys import infer_src
from ivpm.project.model import Dep, Source
from ivpm.pyenv.engine import wheel_reference
from tests.conftest import Project, dist_versions
from tests.helpers.httpserver import FileServer
from tests.helpers.wheelhouse import fixture_dists, write_wheel

WHERE = Location(Path("ivpm.yaml"), 3, 5)


def _beta_wheel(dest: Path) -> Path:
    beta = next(dist for dist in fixture_dists() if dist.name == "ivpmtest-beta")
    dest.mkdir(parents=True, exist_ok=True)
    return write_wheel(dest, beta, "1.0.0")


def test_a_wheel_url_is_an_archive_kind_not_a_git_repository() -> None:
    assert infer_src("https://example.com/dist/tool-1.0-py3-none-any.whl") is Source.HTTP
    assert infer_src("file:///wheels/tool-1.0-py3-none-any.whl") is Source.FILE
    dep = Dep("tool", Source.HTTP, WHERE, url="https://x.invalid/tool-1.0-py3-none-any.whl")
    assert dep.is_wheel and not dep.is_source


def test_the_requirement_names_the_wheels_own_distribution(tmp_path: Path) -> None:
    declared = tmp_path / "sub" / "ivpm.yaml"
    dep = Dep(
        "my-tool", Source.FILE, WHERE, url="dist/My_Tool-2.0-py3-none-any.whl", declared_in=declared
    )
    name, url = wheel_reference(dep)
    assert name == "my-tool"
    assert url == (tmp_path / "sub" / "dist" / "My_Tool-2.0-py3-none-any.whl").as_uri()


def test_a_file_name_that_is_not_a_wheel_name_is_a_located_error() -> None:
    dep = Dep("tool", Source.HTTP, WHERE, url="https://x.invalid/tool.whl")
    with pytest.raises(ConfigError) as caught:
        wheel_reference(dep)
    assert caught.value.location == WHERE
    assert "tool.whl" in str(caught.value)


@pytest.mark.installer
def test_update_installs_a_wheel_served_over_http(
    make_project: Callable[..., Project], tmp_path: Path
) -> None:
    wheel = _beta_wheel(tmp_path / "served")
    with FileServer() as server:
        url = server.add(f"/dist/{wheel.name}", wheel.read_bytes())
        project = make_project(
            f"""\
            package:
              name: wheels
              dep-sets:
                - name: default-dev
                  deps:
                    - name: ivpmtest-beta
                      url: {url}
            """
        )
        project.update()
    versions = dist_versions(project.python, ["ivpmtest-beta", "ivpmtest-alpha"])
    assert versions["ivpmtest-beta"] == "1.0.0"
    assert versions["ivpmtest-alpha"] is not None  # its requirement, from the index
    assert not (project.root / "packages" / "ivpmtest-beta").exists()


@pytest.mark.installer
def test_update_installs_a_wheel_named_by_a_relative_path(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(
        """\
        package:
          name: wheels
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-beta
                  src: file
                  url: dist/ivpmtest_beta-1.0.0-py3-none-any.whl
        """
    )
    _beta_wheel(project.root / "dist")
    project.update()
    assert dist_versions(project.python, ["ivpmtest-beta"]) == {"ivpmtest-beta": "1.0.0"}
    again = project.update()
    assert "up to date" in again.stderr + again.stdout

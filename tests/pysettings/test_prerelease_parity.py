"""pip and uv install the same versions for the same ivpm.yaml, pre-release specifiers included.

The fixture dists: ivpmtest-prerel has 25.0, 25.1rc1, 26.0rc3 and 26.0; ivpmtest-prerelonly has
only pre-releases (1.0b2, 1.0rc1). Every expectation is pip's (PEP 440) answer, on both legs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ivpm.pyenv.uvopts import uv_version
from tests.conftest import Project, dist_versions

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def yaml_text(name: str, version: str | None) -> str:
    pinned = f'\n                  version: "{version}"' if version else ""
    return f"""\
        package:
          name: parity
          dep-sets:
            - name: default-dev
              deps:
                - name: {name}{pinned}
        """


def installed(project: Project, name: str) -> str | None:
    return dist_versions(project.python, [name])[name]


def leg_uv(project: Project, uv_bin: str) -> tuple[int, int, int] | None:
    """The version of the uv this leg installs with; ``None`` on the pip leg."""
    if project.installer != "uv":
        return None
    return uv_version(project.env.get("IVPM_UV") or uv_bin)


def skip_on_uv_0_12_0(project: Project, uv_bin: str) -> None:
    """uv 0.12.0 prefers a final release over a pre-release a specifier names, and has no
    ``--prerelease-package`` yet (a documented difference); older and newer uv agree with pip."""
    if leg_uv(project, uv_bin) == (0, 12, 0):
        pytest.skip("uv 0.12.0 prefers final releases and has no --prerelease-package")


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        # The user's report: pip gave 26.0rc3, uv 25.0.
        ("ivpmtest-prerel", ">=25.0rc1,<=26.0,!=26.0", "26.0rc3"),
        ("ivpmtest-prerel", ">=25.0rc1,<26.0", "25.1rc1"),
        ("ivpmtest-prerel", "==26.0rc3", "26.0rc3"),
        # No pre-release named: the highest final release, though pre-releases are newer.
        ("ivpmtest-prerel", ">=25.0", "26.0"),
        ("ivpmtest-prerel", "<26.0", "25.0"),
        ("ivpmtest-prerel", "!=26.0rc3,!=26.0", "25.0"),
        # Only pre-releases exist: both take the highest, without being asked.
        ("ivpmtest-prerelonly", None, "1.0rc1"),
    ],
)
def test_same_version_on_both_installers(
    make_project: MakeProject, uv_bin: str, name: str, version: str | None, expected: str
) -> None:
    project = make_project(yaml_text(name, version))
    if version is not None and "rc" in version.split("!=")[0]:
        skip_on_uv_0_12_0(project, uv_bin)
    project.update()
    assert installed(project, name) == expected


def test_no_final_release_matches(make_project: MakeProject, uv_bin: str) -> None:
    """Final releases exist but none matches: both fall back to the pre-release."""
    project = make_project(yaml_text("ivpmtest-prerel", ">25.0,<26.0"))
    found = leg_uv(project, uv_bin)
    if found is not None and found < (0, 12, 0):
        pytest.skip("uv before 0.12 takes a pre-release only when all versions are one")
    project.update()
    assert installed(project, "ivpmtest-prerel") == "25.1rc1"


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("ivpmtest-prerel", None, "26.0"),  # 26.0 is newer than 26.0rc3
        ("ivpmtest-prerel", "<26.0", "25.1rc1"),
        ("ivpmtest-prerel", "<=26.0,!=26.0", "26.0rc3"),
        ("ivpmtest-prerelonly", None, "1.0rc1"),
    ],
)
def test_py_prerls_packages(
    make_project: MakeProject, name: str, version: str | None, expected: str
) -> None:
    project = make_project(yaml_text(name, version))
    project.update("--py-prerls-packages")
    assert installed(project, name) == expected


def test_a_pre_release_specifier_on_an_existing_environment(
    make_project: MakeProject, uv_bin: str
) -> None:
    project = make_project(yaml_text("ivpmtest-prerel", "==26.0"))
    skip_on_uv_0_12_0(project, uv_bin)
    project.update()
    assert installed(project, "ivpmtest-prerel") == "26.0"
    project.write(yaml_text("ivpmtest-prerel", ">=25.0rc1,<=26.0,!=26.0"))
    project.update()
    assert installed(project, "ivpmtest-prerel") == "26.0rc3"


def test_py_prerls_packages_on_an_existing_environment(make_project: MakeProject) -> None:
    project = make_project(yaml_text("ivpmtest-prerel", "<26.0"))
    project.update()
    assert installed(project, "ivpmtest-prerel") == "25.0"
    project.update("--py-prerls-packages")
    assert installed(project, "ivpmtest-prerel") == "25.1rc1"

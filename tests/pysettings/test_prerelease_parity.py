"""pip and uv install the same versions for the same ivpm.yaml, pre-release specifiers included.

The fixture dists ``ivpmtest-pre1`` ... ``ivpmtest-pre7`` (and ``ivpmtest-prerel``) each have
25.0, 25.1rc1, 26.0rc3 and 26.0; ``ivpmtest-prerelonly`` has only pre-releases (1.0b2, 1.0rc1).
Each test asks for several of them at once, one specifier each, so that one update checks
every case. Every expectation is pip's (PEP 440) answer, on both legs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from ivpm.pyenv.uvopts import uv_version
from tests.conftest import Project, dist_versions

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]

#: specifier -> the version pip (PEP 440) picks from 25.0, 25.1rc1, 26.0rc3 and 26.0
SPECIFIERS = {
    ">=25.0rc1,<=26.0,!=26.0": "26.0rc3",  # the user's report: pip gave 26.0rc3, uv 25.0
    ">=25.0rc1,<26.0": "25.1rc1",
    "==26.0rc3": "26.0rc3",
    ">=25.0": "26.0",  # no pre-release named: the highest final release
    "<26.0": "25.0",
    "!=26.0rc3,!=26.0": "25.0",
    ">25.0,<26.0": "25.1rc1",  # final releases exist but none matches: the pre-release
}
#: the same with --py-prerls-packages
WITH_PRE = {"": "26.0", "<26.0": "25.1rc1", "<=26.0,!=26.0": "26.0rc3"}


def yaml_text(deps: Mapping[str, str]) -> str:
    """An ivpm.yaml asking for each dep of ``deps`` with its version (none when empty)."""
    lines = []
    for name, version in deps.items():
        lines.append(f"                - name: {name}")
        if version:
            lines.append(f'                  version: "{version}"')
    body = "\n".join(lines)
    return f"""\
        package:
          name: parity
          dep-sets:
            - name: default-dev
              deps:
{body}
        """


def numbered(specifiers: Mapping[str, str]) -> dict[str, str]:
    """``ivpmtest-preN`` -> specifier, one dist per specifier."""
    return {f"ivpmtest-pre{n}": spec for n, spec in enumerate(specifiers, start=1)}


def installed(project: Project, names: list[str]) -> dict[str, str | None]:
    return dist_versions(project.python, names)


def skip_old_uv(project: Project, uv_bin: str) -> None:
    """uv before 0.12.1 differs in documented ways (docs/pip-vs-uv.md): 0.12.0 prefers a
    final release a specifier does not exclude, older ones take a pre-release only when all
    versions are one."""
    if project.installer == "uv":
        found = uv_version(project.env.get("IVPM_UV") or uv_bin)
        if found is not None and found < (0, 12, 1):
            pytest.skip(f"uv {'.'.join(map(str, found))} differs as documented")


def test_same_versions_on_both_installers(make_project: MakeProject, uv_bin: str) -> None:
    deps = {**numbered(SPECIFIERS), "ivpmtest-prerelonly": ""}
    project = make_project(yaml_text(deps))
    skip_old_uv(project, uv_bin)
    project.update()
    expected = {name: SPECIFIERS[spec] for name, spec in numbered(SPECIFIERS).items()}
    expected["ivpmtest-prerelonly"] = "1.0rc1"  # only pre-releases: taken without asking
    assert installed(project, list(deps)) == expected


def test_py_prerls_packages(make_project: MakeProject) -> None:
    deps = {**numbered(WITH_PRE), "ivpmtest-prerelonly": ""}
    project = make_project(yaml_text(deps))
    project.update("--py-prerls-packages")
    expected = {name: WITH_PRE[spec] for name, spec in numbered(WITH_PRE).items()}
    expected["ivpmtest-prerelonly"] = "1.0rc1"
    assert installed(project, list(deps)) == expected


def test_pre_releases_on_an_existing_environment(make_project: MakeProject, uv_bin: str) -> None:
    names = ["ivpmtest-pre1", "ivpmtest-pre2"]
    project = make_project(yaml_text(dict(zip(names, ("==26.0", "<26.0"), strict=True))))
    skip_old_uv(project, uv_bin)
    project.update()
    assert installed(project, names) == {"ivpmtest-pre1": "26.0", "ivpmtest-pre2": "25.0"}
    changed = (">=25.0rc1,<=26.0,!=26.0", "<26.0")
    project.write(yaml_text(dict(zip(names, changed, strict=True))))
    project.update()
    assert installed(project, names) == {"ivpmtest-pre1": "26.0rc3", "ivpmtest-pre2": "25.0"}
    project.update("--py-prerls-packages")
    assert installed(project, names) == {"ivpmtest-pre1": "26.0rc3", "ivpmtest-pre2": "25.1rc1"}

"""``ivpm update`` with a ``src: gh-rls`` dep, against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ivpm.fetch import ghassets
from tests.conftest import Project
from tests.ghrelease.fakegithub import FakeGitHub, Release, tarball
from tests.helpers.gitrepos import python_package_files
from tests.helpers.httpserver import FileServer

MakeProject = Callable[..., Project]


def release_yaml(url: str, extra: str = "") -> str:
    return f"""\
        package:
          name: rls
          with:
            python:
              venv: false
          dep-sets:
            - name: default-dev
              deps:
                - name: uvm
                  src: gh-rls
                  url: {url}
                  type: raw
        {extra}"""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """acme/tool with v1.0 and v1.1, each with an asset for this machine and one for another."""
    host = ghassets.host_platform()
    other = "windows" if host.os != "windows" else "linux"
    with FileServer() as server:
        fake = FakeGitHub(server)
        for tag in ("v1.0", "v1.1"):
            files = {"src/uvm_pkg.sv": f"// uvm {tag}\n", "ivpm-note.txt": "raw content\n"}
            fake.add(
                Release(
                    tag,
                    {
                        f"uvm-{tag}-{host.os}-{host.arch}.tar.gz": tarball(f"uvm-{tag}", files),
                        f"uvm-{tag}-{other}-{host.arch}.zip": b"not for this machine",
                        f"uvm-{tag}-{host.os}-{host.arch}.tar.gz.sha256": b"0" * 64,
                    },
                )
            )
        yield fake


def setup_env(project: Project, github: FakeGitHub, token: str | None = None) -> None:
    project.env["GITHUB_API_URL"] = github.server.url
    project.env["IVPM_HTTP_RETRIES"] = "0"
    project.env.pop("GITHUB_TOKEN", None)
    project.env.pop("GH_TOKEN", None)
    if token is not None:
        project.env["GITHUB_TOKEN"] = token


def test_update_fetches_the_release_and_keeps_it(
    make_project: MakeProject, github: FakeGitHub
) -> None:
    project = make_project(release_yaml(github.html_url))
    setup_env(project, github, token="t0ken")
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    package = project.root / "packages" / "uvm"
    assert (package / "src" / "uvm_pkg.sv").read_text() == "// uvm v1.1\n"
    assert (package / "ivpm-note.txt").is_file()
    assert "Traceback" not in result.stderr
    latest = [h for p, h in github.server.requests if p == "/repos/acme/tool/releases/latest"]
    assert latest and latest[0]["Authorization"] == "Bearer t0ken"

    before = len(github.server.requests)
    again = project.ivpm("update", installer=False)
    assert again.returncode == 0, again.stderr
    assert len(github.server.requests) == before  # kept: no API request, no download
    assert (package / "src" / "uvm_pkg.sv").read_text() == "// uvm v1.1\n"


def test_update_with_an_exact_tag_then_another(
    make_project: MakeProject, github: FakeGitHub
) -> None:
    project = make_project(
        release_yaml(github.html_url).replace(
            "type: raw", "type: raw\n                  version: v1.0"
        )
    )
    setup_env(project, github)
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    package = project.root / "packages" / "uvm"
    assert (package / "src" / "uvm_pkg.sv").read_text() == "// uvm v1.0\n"
    project.write(
        release_yaml(github.html_url).replace(
            "type: raw", "type: raw\n                  version: '>=1.1'"
        )
    )
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    assert (package / "src" / "uvm_pkg.sv").read_text() == "// uvm v1.1\n"


def test_update_reports_a_missing_release(make_project: MakeProject, github: FakeGitHub) -> None:
    yaml = release_yaml(github.html_url).replace(
        "type: raw", "type: raw\n                  version: '>=7'"
    )
    project = make_project(yaml)
    setup_env(project, github)
    result = project.ivpm("update", installer=False)
    assert result.returncode == 1, result.stderr
    assert "failed to fetch dependency 'uvm'" in result.stderr
    assert "ivpm.yaml:9:" in result.stderr
    assert "no release of acme/tool matches 'version: >=7'" in result.stderr
    assert "v1.1, v1.0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.root / "packages" / "uvm").exists()


def test_update_reports_the_rate_limit(make_project: MakeProject, github: FakeGitHub) -> None:
    github.server.add_json(
        "/repos/acme/tool/releases/latest",
        {"message": "API rate limit exceeded for 127.0.0.1."},
        status=403,
        headers={"X-RateLimit-Remaining": "0"},
    )
    project = make_project(release_yaml(github.html_url))
    setup_env(project, github)
    result = project.ivpm("update", installer=False)
    assert result.returncode == 1, result.stderr
    assert "GitHub API rate limit reached" in result.stderr
    assert "hint: set GITHUB_TOKEN" in result.stderr


@pytest.mark.installer
def test_a_released_python_project_is_installed(make_project: MakeProject) -> None:
    host = ghassets.host_platform()
    files = python_package_files("relpkg", "relpkg", version="2.0.0")
    with FileServer() as server:
        github = FakeGitHub(server)
        github.add(
            Release("v2.0.0", {f"relpkg-{host.os}-{host.arch}.tar.gz": tarball("relpkg", files)})
        )
        project = make_project(
            f"""\
            package:
              name: rls
              dep-sets:
                - name: default-dev
                  deps:
                    - name: relpkg
                      src: gh-rls
                      url: {github.html_url}
            """
        )
        setup_env(project, github)
        project.update()
    assert (project.root / "packages" / "relpkg" / "pyproject.toml").is_file()
    assert project.py("import relpkg; print(relpkg.hello())") == "relpkg 2.0.0"

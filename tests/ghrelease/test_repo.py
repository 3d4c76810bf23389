"""The repository and API base a gh-rls ``url`` names, and the request headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivpm.fetch.ghrelease import api_headers, parse_repo
from ivpm.fetch.result import DepFetchError
from tests.ghrelease.conftest import release_dep


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_API_URL", "GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/verilator/verilator",
        "https://github.com/verilator/verilator/",
        "https://github.com/verilator/verilator.git",
        "https://github.com/verilator/verilator/releases",
        "https://GitHub.com/verilator/verilator",
    ],
)
def test_github_urls(packages: Path, url: str) -> None:
    repo = parse_repo(release_dep(packages, url))
    assert (repo.slug, repo.api) == ("verilator/verilator", "https://api.github.com")
    assert repo.endpoint("releases/latest") == (
        "https://api.github.com/repos/verilator/verilator/releases/latest"
    )


def test_github_api_url_wins(packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    repo = parse_repo(release_dep(packages, "https://github.com/o/r"))
    assert repo.api == "https://ghe.example.com/api/v3"


def test_enterprise_host_without_api_url(packages: Path) -> None:
    repo = parse_repo(release_dep(packages, "https://git.corp.example/hw/uvm"))
    assert (repo.slug, repo.api) == ("hw/uvm", "https://git.corp.example/api/v3")


@pytest.mark.parametrize(
    "url", ["https://github.com/owner", "git@github.com:o/r.git", "https://github.com/o/r/blob/x"]
)
def test_not_a_repository(packages: Path, url: str) -> None:
    with pytest.raises(DepFetchError, match="as a GitHub repository"):
        parse_repo(release_dep(packages, url))


def test_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Authorization" not in api_headers()
    assert api_headers()["Accept"] == "application/vnd.github+json"
    monkeypatch.setenv("GH_TOKEN", "b")
    assert api_headers()["Authorization"] == "Bearer b"
    monkeypatch.setenv("GITHUB_TOKEN", "a")  # GITHUB_TOKEN first
    assert api_headers()["Authorization"] == "Bearer a"

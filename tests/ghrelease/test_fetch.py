"""fetch_release against a fake GitHub releases API served on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from ivpm.cache.meta import read_meta
from ivpm.fetch.archive import read_record
from ivpm.fetch.ghrelease import fetch_release, parse_repo
from ivpm.fetch.result import DepFetchError
from tests.ghrelease.conftest import fetch, release_dep
from tests.ghrelease.fakegithub import FakeGitHub, Release, tarball, zipball


def binary(tag: str, host: str) -> bytes:
    return tarball(f"tool-{tag}", {"bin/tool": f"{tag} {host}\n"})


def standard_release(tag: str, **flags: bool) -> Release:
    return Release(
        tag,
        {
            f"tool-{tag}-linux-x64.tar.gz": binary(tag, "linux-x64"),
            f"tool-{tag}-linux-x64.tar.gz.sha256": b"0" * 64 + b"\n",
            f"tool-{tag}-linux-arm64.tar.gz": binary(tag, "linux-arm64"),
            f"tool-{tag}-darwin-arm64.zip": zipball(f"tool-{tag}", {"bin/tool": "mac\n"}),
            f"tool-{tag}-windows-x64.zip": zipball(f"tool-{tag}", {"bin/tool.exe": "win\n"}),
        },
        **flags,
    )


@pytest.fixture
def repo(github: FakeGitHub) -> FakeGitHub:
    """acme/tool with v1.9.0, v1.10.0, v2.0.0, a v2.1.0-rc1 pre-release and a v3.0.0 draft."""
    for tag in ("v1.9.0", "v1.10.0", "v2.0.0"):
        github.add(standard_release(tag))
    github.add(standard_release("v2.1.0-rc1", prerelease=True))
    github.add(standard_release("v3.0.0", draft=True))
    return github


def content(packages: Path) -> str:
    return (packages / "tool" / "bin" / "tool").read_text()


def test_latest_is_the_newest_release_for_this_platform(repo: FakeGitHub, packages: Path) -> None:
    result = fetch_release(release_dep(packages, repo.html_url), packages / "tool")
    assert (result.kind, result.action) == ("archive", "downloaded")
    assert content(packages) == "v2.0.0 linux-x64\n"
    assert repo.api_requests() == ["/repos/acme/tool/releases/latest"]
    record = read_record(packages, "tool")
    assert record is not None
    assert record["tag"] == "v2.0.0"
    assert record["asset"] == "tool-v2.0.0-linux-x64.tar.gz"


def test_url_with_git_suffix_or_slash(repo: FakeGitHub, packages: Path) -> None:
    for url in (repo.html_url + ".git", repo.html_url + "/"):
        assert parse_repo(release_dep(packages, url)).slug == "acme/tool"


def test_prerelease_allowed_takes_the_highest_version(repo: FakeGitHub, packages: Path) -> None:
    fetch_release(release_dep(packages, repo.html_url, prerelease=True), packages / "tool")
    assert content(packages) == "v2.1.0-rc1 linux-x64\n"
    assert repo.api_requests() == ["/repos/acme/tool/releases?per_page=100&page=1"]


def test_specifier(repo: FakeGitHub, packages: Path) -> None:
    fetch_release(release_dep(packages, repo.html_url, version=">=1.0,<2"), packages / "tool")
    assert content(packages) == "v1.10.0 linux-x64\n"


def test_specifier_with_prerelease(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, version=">2.0", prerelease=True)
    fetch_release(dep, packages / "tool")
    assert content(packages) == "v2.1.0-rc1 linux-x64\n"


def test_exact_tag_asks_for_that_tag(repo: FakeGitHub, packages: Path) -> None:
    fetch_release(release_dep(packages, repo.html_url, version="v1.9.0"), packages / "tool")
    assert content(packages) == "v1.9.0 linux-x64\n"
    assert repo.api_requests() == ["/repos/acme/tool/releases/tags/v1.9.0"]


def test_exact_tag_without_v_and_with_leading_zero(github: FakeGitHub, packages: Path) -> None:
    github.add(Release("v5.020", {"verilator-linux-x64.tar.gz": binary("v5.020", "x")}))
    github.add(Release("v5.021", {"verilator-linux-x64.tar.gz": binary("v5.021", "x")}))
    fetch_release(release_dep(packages, github.html_url, version="5.020"), packages / "tool")
    assert content(packages) == "v5.020 x\n"
    assert github.api_requests() == [
        "/repos/acme/tool/releases/tags/5.020",
        "/repos/acme/tool/releases/tags/v5.020",
    ]


def test_pagination_is_followed(github: FakeGitHub, packages: Path) -> None:
    for number in range(150):
        github.releases.insert(0, Release(f"v0.{number}", {"tool-linux-x64.tgz": b""}))
    github.releases.append(Release("v9.0", {"tool-linux-x64.tgz": binary("v9.0", "old")}))
    github.publish()
    fetch_release(release_dep(packages, github.html_url, version=">=9"), packages / "tool")
    assert content(packages) == "v9.0 old\n"
    assert github.server.count("/repos/acme/tool/releases") == 2


def test_source_true_takes_the_source_tarball(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, options=(("source", "true"),))
    fetch_release(dep, packages / "tool")
    assert (packages / "tool" / "SOURCE").read_text() == "v2.0.0"


def test_release_without_archives_gives_its_source(github: FakeGitHub, packages: Path) -> None:
    github.add(Release("v1.0", {"notes.txt": b"hi"}))
    fetch_release(release_dep(packages, github.html_url), packages / "tool")
    assert (packages / "tool" / "SOURCE").read_text() == "v1.0"


def test_file_names_an_asset(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(
        packages, repo.html_url, options=(("file", "tool-v2.0.0-linux-arm64.tar.gz"),)
    )
    fetch_release(dep, packages / "tool")
    assert content(packages) == "v2.0.0 linux-arm64\n"


def test_file_glob_picks_among_matches(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, options=(("file", "*windows*"),))
    fetch_release(dep, packages / "tool")
    assert (packages / "tool" / "bin" / "tool.exe").read_text() == "win\n"


def test_file_matching_nothing_lists_assets(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, options=(("file", "*.deb"),))
    with pytest.raises(DepFetchError) as caught:
        fetch_release(dep, packages / "tool")
    assert "no asset matching 'file: *.deb'" in caught.value.reason
    assert "tool-v2.0.0-darwin-arm64.zip" in caught.value.reason


def test_no_asset_for_this_platform_lists_assets(github: FakeGitHub, packages: Path) -> None:
    github.add(
        Release(
            "v1.0",
            {"tool-darwin-arm64.zip": b"", "tool-windows-x64.zip": b"", "tool.zip.sha256": b""},
        )
    )
    with pytest.raises(DepFetchError) as caught:
        fetch_release(release_dep(packages, github.html_url), packages / "tool")
    reason = caught.value.reason
    assert "has no asset for linux x86_64" in reason
    assert "tool-darwin-arm64.zip, tool-windows-x64.zip, tool.zip.sha256" in reason
    assert caught.value.hint is not None and "file:" in caught.value.hint
    assert not (packages / "tool").exists()


def test_no_release_matches(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, version=">=4")
    with pytest.raises(DepFetchError) as caught:
        fetch_release(dep, packages / "tool")
    reason = caught.value.reason
    assert "no release of acme/tool matches 'version: >=4'" in reason
    assert "v2.0.0" in reason and "v1.9.0" in reason
    assert caught.value.dep.name == "tool"


def test_unknown_tag(repo: FakeGitHub, packages: Path) -> None:
    with pytest.raises(DepFetchError, match=r"matches tag 'v7\.7'"):
        fetch_release(release_dep(packages, repo.html_url, version="v7.7"), packages / "tool")


def test_only_prereleases_suggests_prerelease_true(github: FakeGitHub, packages: Path) -> None:
    github.add(standard_release("v0.1.0-beta", prerelease=True))
    with pytest.raises(DepFetchError) as caught:
        fetch_release(release_dep(packages, github.html_url), packages / "tool")
    assert "v0.1.0-beta" in caught.value.reason
    assert caught.value.hint is not None and "prerelease: true" in caught.value.hint


def test_repository_not_found(github: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, "https://github.com/acme/missing")
    with pytest.raises(DepFetchError) as caught:
        fetch_release(dep, packages / "tool")
    assert "repository acme/missing not found" in caught.value.reason
    assert github.server.url in caught.value.reason


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limited_mentions_the_token(github: FakeGitHub, packages: Path, status: int) -> None:
    github.server.add_json(
        "/repos/acme/tool/releases/latest",
        {"message": "API rate limit exceeded"},
        status=status,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0"},
    )
    with pytest.raises(DepFetchError) as caught:
        fetch_release(release_dep(packages, github.html_url), packages / "tool")
    assert "rate limit" in caught.value.reason
    assert caught.value.hint is not None and "GITHUB_TOKEN" in caught.value.hint


@pytest.mark.parametrize("variable", ["GITHUB_TOKEN", "GH_TOKEN"])
def test_token_is_sent(
    repo: FakeGitHub, packages: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "s3cret")
    fetch_release(release_dep(packages, repo.html_url), packages / "tool")
    assert content(packages) == "v2.0.0 linux-x64\n"
    seen = {path: headers for path, headers in repo.server.requests}
    api = seen["/repos/acme/tool/releases/latest"]
    assert api["Authorization"] == "Bearer s3cret"
    assert api["Accept"] == "application/vnd.github+json"
    assert (api.get("User-Agent") or "").startswith("ivpm/")
    asset = next(headers for path, headers in repo.server.requests if "/assets/" in path)
    assert asset["Authorization"] == "Bearer s3cret"
    assert asset["Accept"] == "application/octet-stream"


def test_no_token_no_authorization(repo: FakeGitHub, packages: Path) -> None:
    fetch_release(release_dep(packages, repo.html_url), packages / "tool")
    assert all("Authorization" not in headers for _, headers in repo.server.requests)


def test_kept_on_rerun_without_an_api_request(repo: FakeGitHub, packages: Path) -> None:
    dep = release_dep(packages, repo.html_url, version=">=1,<2")
    fetch(dep, packages / "tool")
    before = len(repo.server.requests)
    result = fetch(dep, packages / "tool")
    assert result.action == "kept"
    assert len(repo.server.requests) == before


def test_changed_version_fetches_again(repo: FakeGitHub, packages: Path) -> None:
    fetch(release_dep(packages, repo.html_url, version="v1.9.0"), packages / "tool")
    result = fetch(release_dep(packages, repo.html_url, version="v2.0.0"), packages / "tool")
    assert result.action == "replaced"
    assert content(packages) == "v2.0.0 linux-x64\n"


def test_not_a_repository_url(github: FakeGitHub, packages: Path) -> None:
    with pytest.raises(DepFetchError, match="as a GitHub repository"):
        fetch_release(release_dep(packages, "https://github.com/acme"), packages / "tool")


def test_unpack_false_saves_a_plain_executable(github: FakeGitHub, packages: Path) -> None:
    github.add(Release("v1.0", {"tool-linux-amd64": b"#!/bin/sh\n", "tool-windows-amd64.exe": b""}))
    dep = release_dep(packages, github.html_url, unpack=False)
    result = fetch(dep, packages / "tool")
    assert result.kind == "file"
    assert (packages / "tool").read_bytes() == b"#!/bin/sh\n"
    assert fetch(dep, packages / "tool").action == "kept"


def test_changed_unpack_fetches_again(repo: FakeGitHub, packages: Path) -> None:
    file = (("file", "tool-v2.0.0-linux-x64.tar.gz"),)
    fetch(release_dep(packages, repo.html_url, options=file), packages / "tool")
    dep = release_dep(packages, repo.html_url, options=file, unpack=False)
    result = fetch(dep, packages / "tool")
    assert (result.kind, result.action) == ("file", "replaced")
    assert (packages / "tool").is_file()


def test_turning_the_cache_on_links_the_release_into_the_cache(
    repo: FakeGitHub, packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("IVPM_CACHE", str(cache))
    dep = release_dep(packages, repo.html_url, version="v1.9.0")
    fetch(dep, packages / "tool")
    assert not (packages / "tool").is_symlink()
    result = fetch(dataclasses.replace(dep, cache=True), packages / "tool")
    assert (result.kind, result.action) == ("archive", "downloaded")
    assert (packages / "tool").is_symlink()
    assert Path(os.path.realpath(packages / "tool")).is_relative_to(os.path.realpath(cache))
    assert content(packages) == "v1.9.0 linux-x64\n"
    record = read_record(packages, "tool")
    assert record is not None and record["tag"] == "v1.9.0"
    entry = Path(os.path.realpath(packages / "tool")).parent
    assert (read_meta(entry) or {}).get("kind") == "archive"

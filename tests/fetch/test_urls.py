"""Which URL git is given: as written, unless --ssh (or a dep's ``ssh: true``) asks for ssh.

The clones are real: a git configuration maps ``https://github.com/`` and ``git@github.com:``
onto local repositories (``url.<base>.insteadOf``), so the URL ivpm hands git is recorded in
the checkout's ``remote.origin.url`` exactly as given, and nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.cli import build_parser
from ivpm.fetch import fetch_deps
from ivpm.fetch.tree import fetch_tree
from ivpm.fetch.urls import clone_url, same_repository, ssh_url, wants_ssh
from ivpm.project.loader import load_project
from ivpm.sessions import load_builtin_sessions
from tests.conftest import Project as RunProject
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import git, make_repo

HTTPS = "https://github.com/owner/liba.git"
SSH = "git@github.com:owner/liba.git"


@pytest.fixture
def github(repos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``owner/liba.git`` on a stand-in github.com reached over both https and ssh URLs."""
    make_repo(repos / "owner", "liba.git", {"README": "liba\n"})
    config = tmp_path / "gitconfig"
    base = (repos.resolve().as_uri()) + "/"
    config.write_text(
        f'[url "{base}"]\n\tinsteadOf = https://github.com/\n\tinsteadOf = git@github.com:\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return repos


def origin(checkout: Path) -> str:
    """The URL the checkout was cloned from, as git was given it."""
    return git(checkout, "config", "--get", "remote.origin.url")


# The rewrite -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/owner/repo", "git@github.com:owner/repo.git"),
        ("https://github.com/owner/repo.git", "git@github.com:owner/repo.git"),
        ("https://github.com/owner/repo/", "git@github.com:owner/repo.git"),
        ("http://github.com/owner/repo", "git@github.com:owner/repo.git"),
        ("https://user:token@gitlab.com/group/sub/repo", "git@gitlab.com:group/sub/repo.git"),
        ("HTTPS://GitLab.com/group/repo", "git@gitlab.com:group/repo.git"),
    ],
)
def test_https_urls_have_an_ssh_form(url: str, expected: str) -> None:
    assert ssh_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "file:///srv/git/owner/repo",
        "ssh://git@github.com/owner/repo.git",
        "git://github.com/owner/repo.git",
        "git@github.com:owner/repo.git",
        "/srv/git/repo",
        "https://git.example.com:8443/owner/repo",  # a port: no scp-like form carries it
        "https://github.com/repo",  # one segment: not owner/repo
        "https://github.com/owner/repo?ref=x",
        "https://github.com/owner/../repo",
    ],
)
def test_other_urls_have_none(url: str) -> None:
    assert ssh_url(url) is None


def test_the_rule_dep_first_then_the_command_line(project: Project) -> None:
    plain = project.dep("liba", HTTPS)
    anonymous = project.dep("liba", HTTPS, anonymous=True)
    asks_ssh = project.dep("liba", HTTPS, ssh=True)
    refuses_ssh = project.dep("liba", HTTPS, ssh=False)
    assert [wants_ssh(d, ssh=False) for d in (plain, anonymous, asks_ssh, refuses_ssh)] == [
        False,
        False,
        True,
        False,
    ]
    assert [wants_ssh(d, ssh=True) for d in (plain, anonymous, asks_ssh, refuses_ssh)] == [
        True,
        False,
        True,
        False,
    ]
    assert clone_url(plain) == HTTPS
    assert clone_url(plain, ssh=True) == SSH
    assert clone_url(anonymous, ssh=True) == HTTPS
    local = project.dep("liba", "file:///srv/liba")
    assert clone_url(local, ssh=True) == "file:///srv/liba"
    relative = project.dep("liba", "../liba")
    assert clone_url(relative, ssh=True) == str(project.root.parent / "liba")


def test_same_repository_across_transports() -> None:
    assert same_repository(HTTPS, SSH)
    assert same_repository("https://github.com/owner/liba", "git@github.com:owner/liba.git/")
    assert not same_repository(HTTPS, "git@github.com:owner/other.git")
    assert not same_repository(HTTPS, "https://gitlab.com/owner/liba.git")
    assert same_repository("file:///srv/liba.git", "file:///srv/liba")


# Real clones -------------------------------------------------------------------------------


def test_urls_are_cloned_as_written_by_default(github: Path, project: Project) -> None:
    result = fetch_deps([project.dep("liba", HTTPS)], project.packages, jobs=1)["liba"]
    assert result.action == "cloned"
    assert origin(project.packages / "liba") == HTTPS
    assert (project.packages / "liba" / "README").read_text() == "liba\n"


def test_ssh_clones_over_ssh(github: Path, project: Project) -> None:
    fetch_deps([project.dep("liba", HTTPS)], project.packages, jobs=1, ssh=True)
    assert origin(project.packages / "liba") == SSH
    assert (project.packages / "liba" / "README").read_text() == "liba\n"


def test_anonymous_dep_keeps_its_url_under_ssh(github: Path, project: Project) -> None:
    fetch_deps([project.dep("liba", HTTPS, anonymous=True)], project.packages, jobs=1, ssh=True)
    assert origin(project.packages / "liba") == HTTPS


def test_dep_asking_for_ssh_gets_it_without_the_option(github: Path, project: Project) -> None:
    fetch_deps([project.dep("liba", HTTPS, ssh=True)], project.packages, jobs=1)
    assert origin(project.packages / "liba") == SSH


def test_an_existing_https_checkout_is_kept_quietly_under_ssh(
    github: Path, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    fetch_deps([project.dep("liba", HTTPS)], project.packages, jobs=1)
    result = fetch_deps([project.dep("liba", HTTPS)], project.packages, jobs=1, ssh=True)
    assert result["liba"].action == "kept"
    assert origin(project.packages / "liba") == HTTPS
    assert "cloned from" not in caplog.text  # same repository, other transport: no warning


def test_fetch_tree_passes_ssh_from_ivpm_yaml(github: Path, project: Project) -> None:
    project.yaml.write_text(
        "package:\n"
        "  name: demo\n"
        "  dep-sets:\n"
        "    - name: default-dev\n"
        "      deps:\n"
        f"        - {{name: liba, src: git, url: '{HTTPS}'}}\n"
        f"        - {{name: libb, src: git, url: '{HTTPS}', anonymous: true}}\n",
        encoding="utf-8",
    )
    fetch_tree(load_project(project.yaml), project.packages, jobs=2, quiet=True, ssh=True)
    assert origin(project.packages / "liba") == SSH
    assert origin(project.packages / "libb") == HTTPS


# The command line --------------------------------------------------------------------------


def test_ssh_and_anonymous_git_parse_and_exclude_each_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser(load_builtin_sessions())
    assert parser.parse_intermixed_args(["update", "--ssh"]).ssh is True
    namespace = parser.parse_intermixed_args(["update", "-a"])
    assert namespace.anonymous_git is True and namespace.ssh is False
    assert parser.parse_intermixed_args(["update", "--anonymous-git"]).anonymous_git is True
    with pytest.raises(SystemExit):
        parser.parse_intermixed_args(["update", "--ssh", "-a"])
    assert "not allowed with" in capsys.readouterr().err


def test_an_existing_checkout_of_another_repository_is_still_reported(
    github: Path, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    fetch_deps([project.dep("liba", HTTPS)], project.packages, jobs=1)
    moved = "https://github.com/owner/moved.git"
    fetch_deps([project.dep("liba", moved)], project.packages, jobs=1, ssh=True)
    assert f"cloned from {HTTPS}" in caplog.text


def test_ivpm_fetch_ssh_end_to_end(
    github: Path, make_project: Callable[..., RunProject], tmp_path: Path
) -> None:
    project = make_project(
        "package:\n"
        "  name: demo\n"
        "  dep-sets:\n"
        "    - name: default-dev\n"
        "      deps:\n"
        f"        - {{name: liba, src: git, url: '{HTTPS}'}}\n"
        f"        - {{name: libb, src: git, url: '{HTTPS}', anonymous: true}}\n"
    )
    project.env["GIT_CONFIG_GLOBAL"] = str(tmp_path / "gitconfig")
    result = project.ivpm("fetch", "--ssh", installer=False)
    assert result.returncode == 0, result.stderr
    assert origin(project.root / "packages" / "liba") == SSH
    assert origin(project.root / "packages" / "libb") == HTTPS

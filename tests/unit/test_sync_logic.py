"""Pure logic of sync and status: reading ``git status --porcelain=v2`` and naming pins."""

from __future__ import annotations

from pathlib import Path

from ivpm.errors import Location
from ivpm.fetch.checkout import parse_status
from ivpm.fetch.sync import Checkout, Verdict, pin_of, sync_checkouts
from ivpm.fetch.upstream import git_reason
from ivpm.project.model import Dep, Source
from tests.helpers.gitrepos import make_repo


def test_porcelain_v2_gives_branch_upstream_counts_and_every_changed_path() -> None:
    output = "\0".join(
        [
            "# branch.oid 1234567890abcdef1234567890abcdef12345678",
            "# branch.head main",
            "# branch.upstream origin/main",
            "# branch.ab +2 -3",
            "1 .M N... 100644 100644 100644 aaaa bbbb src/with space.py",
            "2 R. N... 100644 100644 100644 aaaa bbbb R100 new name.txt",
            "old name.txt",
            "u UU N... 100644 100644 100644 100644 aaaa bbbb cccc conflict.c",
            "",
        ]
    )
    state = parse_status(output)
    assert state.branch == "main"
    assert state.commit == "1234567890abcdef1234567890abcdef12345678"
    assert state.upstream == "origin/main"
    assert (state.ahead, state.behind) == (2, 3)
    assert state.diverged
    assert state.changed == ("src/with space.py", "new name.txt", "conflict.c")
    assert state.dirty


def test_a_detached_checkout_without_upstream_has_no_counts() -> None:
    state = parse_status("# branch.oid abc\0# branch.head (detached)\0")
    assert state.branch is None and state.upstream is None
    assert state.ahead is None and state.behind is None
    assert not state.dirty and not state.diverged


def test_an_upstream_that_is_gone_has_a_name_but_no_counts() -> None:
    state = parse_status("# branch.oid abc\0# branch.head dev\0# branch.upstream origin/dev\0")
    assert state.upstream == "origin/dev" and state.behind is None


def _dep(*, tag: str | None = None, commit: str | None = None) -> Dep:
    return Dep(
        name="lib",
        src=Source.GIT,
        url="https://example.com/lib.git",
        location=Location(Path("ivpm.yaml"), 7, 11),
        tag=tag,
        commit=commit,
    )


def test_pins_name_where_they_come_from() -> None:
    assert pin_of(_dep()) is None
    assert pin_of(_dep(tag="v1.0")) == "tag v1.0 (ivpm.yaml:7:11)"
    assert pin_of(_dep(commit="0123456789abcdef0123")) == ("commit 0123456789ab (ivpm.yaml:7:11)")
    lock = {"lib": "fedcba9876543210fedcba9876543210fedcba98"}
    assert pin_of(_dep(tag="v1.0"), lock["lib"]) == "commit fedcba987654 (the lock file)"


def test_a_submodule_at_another_commit_is_not_uncommitted_work() -> None:
    output = "\0".join(
        [
            "# branch.oid abc",
            "# branch.head main",
            "1 .M SC.. 160000 160000 160000 aaaa aaaa vendor/lib",
            "1 .M SCM. 160000 160000 160000 aaaa aaaa vendor/edited",
            "",
        ]
    )
    state = parse_status(output)
    assert state.submodules_moved == ("vendor/lib",)
    assert state.changed == ("vendor/edited",)


def test_git_reason_keeps_the_files_git_names() -> None:
    output = (
        "Updating 1234..5678\n"
        "error: The following untracked working tree files would be overwritten by merge:\n"
        "\tnew.txt\n"
        "Please move or remove them before you merge.\n"
        "Aborting\n"
    )
    assert git_reason(output) == (
        "error: The following untracked working tree files would be overwritten by merge: new.txt"
    )
    assert git_reason("one\nlast words\n") == "last words"
    assert git_reason("") == "no output"


def test_a_checkout_away_from_its_pin_is_named_and_not_moved(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "lib")
    first = repo.head()
    second = repo.commit({"more.txt": "more\n"})
    pinned = Checkout(_dep(commit=first), repo.path)
    (result,) = sync_checkouts([pinned], jobs=1, dry_run=False)
    assert result.verdict is Verdict.PINNED
    assert f"but at {second[:12]}" in result.message
    assert f"'git checkout {first[:12]}'" in result.message
    assert repo.head() == second

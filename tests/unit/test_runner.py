"""The session runner and the command line, run in-process with a registry of test sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm import options as opt
from ivpm.cli import main
from ivpm.context import Session
from ivpm.errors import LockTimeout, SessionFailure
from ivpm.registry import Registry
from ivpm.workspace_lock import WorkspaceLock

Main = Callable[..., tuple[int, str, str]]

GREETING = opt.value("--greeting", help="t_greet: what to say")
LOUD = opt.flag("--loud", help="t_greet: say it loudly")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal project, made the current directory."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text("package:\n  name: demo\n  dep-sets: []\n")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def trace() -> list[str]:
    """The names of the sessions run, in the order they ran."""
    return []


@pytest.fixture
def registry(trace: list[str]) -> Registry:
    """A fresh registry of sessions that record themselves in ``trace``."""
    reg = Registry()

    def recorder(name: str, **kwargs: object) -> None:
        def func(s: Session) -> None:
            """A recording session."""
            trace.append(s.name)

        reg.session(name=name, writes=False, **kwargs)(func)  # type: ignore[call-overload]

    recorder("t_a")
    recorder("t_b", requires=["t_a"])
    recorder("t_c", requires=["t_a", "t_b"], default=True)

    @reg.session(name="t_fail", writes=False)
    def t_fail(s: Session) -> None:
        """Fails."""
        trace.append(s.name)
        raise SessionFailure("t_fail could not do its work", details="tool output line")

    @reg.session(name="t_after_fail", requires=["t_fail"], writes=False)
    def t_after_fail(s: Session) -> None:
        """Never runs."""
        trace.append(s.name)

    @reg.session(name="t_skip", writes=False)
    def t_skip(s: Session) -> None:
        """Skips."""
        trace.append(s.name)
        s.skip("nothing to do here")

    @reg.session(name="t_bug", writes=False)
    def t_bug(s: Session) -> None:
        """Has a bug."""
        raise ZeroDivisionError("division by zero")

    @reg.session(name="t_interrupt", writes=False)
    def t_interrupt(s: Session) -> None:
        """Is interrupted."""
        raise KeyboardInterrupt

    @reg.session(name="t_notify", writes=False)
    def t_notify(s: Session) -> None:
        """Queues t_b."""
        trace.append(s.name)
        s.notify("t_b")

    @reg.session(name="t_fail_at_end", writes=False)
    def t_fail_at_end(s: Session) -> None:
        """Queues t_b, then fails once it has run."""
        trace.append(s.name)
        s.notify("t_b")
        s.fail_at_end(SessionFailure("t_fail_at_end left something undone"))

    @reg.session(name="t_locked")
    def t_locked(s: Session) -> None:
        """Writes, so holds the workspace lock."""
        other = WorkspaceLock(s.packages_dir, timeout=0)
        with pytest.raises(LockTimeout):
            other.acquire()
        trace.append(s.name)

    @reg.session(name="t_greet", writes=False, options=[GREETING, LOUD])
    def t_greet(s: Session) -> None:
        """Says its greeting."""
        text = s.option(GREETING) or "hello"
        trace.append(text.upper() if s.option(LOUD) else text)

    @reg.session(name="t_args", writes=False, needs_project=False, takes_args=True)
    def t_args(s: Session) -> None:
        """Takes words."""
        trace.extend(s.options.args)

    @reg.session(name="t_words", writes=False, args_hint="use -- to pass words")
    def t_words(s: Session) -> None:
        """Takes no words."""

    return reg


@pytest.fixture
def run(registry: Registry, capsys: pytest.CaptureFixture[str]) -> Main:
    """``ivpm ARGS`` in-process on the test registry: (exit code, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args), registry=registry)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def summary(err: str) -> list[str]:
    """The runner's one-line-per-session summary."""
    return [line for line in err.splitlines() if line[:2] in ("* ", "- ", "x ", "! ")]


def test_prerequisites_run_first_and_once_and_the_summary_says_so(
    project: Path, run: Main, trace: list[str]
) -> None:
    code, _, err = run("-s", "t_c", "t_b")
    assert code == 0
    assert trace == ["t_a", "t_b", "t_c"]
    assert summary(err) == ["* t_a: success", "* t_b: success", "* t_c: success"]


def test_no_session_named_runs_the_defaults(project: Path, run: Main, trace: list[str]) -> None:
    assert run()[0] == 0
    assert trace == ["t_a", "t_b", "t_c"]


def test_a_failure_aborts_what_requires_it(project: Path, run: Main, trace: list[str]) -> None:
    code, _, err = run("-s", "t_after_fail", "t_a")
    assert code == 1
    assert trace == ["t_fail", "t_a"]
    assert "t_fail could not do its work" in err
    assert "tool output line" in err
    assert summary(err) == [
        "x t_fail: failed",
        "! t_after_fail: aborted (t_fail did not succeed)",
        "* t_a: success",
    ]


def test_a_skipped_session_gives_its_reason(project: Path, run: Main) -> None:
    code, _, err = run("t_skip")
    assert code == 0
    assert summary(err) == ["- t_skip: skipped (nothing to do here)"]


def test_a_bug_is_one_line_unless_a_traceback_is_asked_for(project: Path, run: Main) -> None:
    code, _, err = run("t_bug")
    assert code == 1
    assert "internal error in session 't_bug': ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err
    code, _, err = run("t_bug", "--traceback")
    assert code == 1
    assert "Traceback" in err


def test_an_interrupt_stops_the_run_with_130(project: Path, run: Main, trace: list[str]) -> None:
    code, _, err = run("-s", "t_interrupt", "t_a")
    assert code == 130
    assert "interrupted" in err
    assert trace == []


def test_a_notified_session_runs_after_the_one_that_queued_it(
    project: Path, run: Main, trace: list[str]
) -> None:
    assert run("t_notify")[0] == 0
    assert trace == ["t_notify", "t_a", "t_b"]


def test_a_writing_session_holds_the_workspace_lock(
    project: Path, run: Main, trace: list[str]
) -> None:
    code, _, err = run("t_locked")
    assert code == 0, err
    assert trace == ["t_locked"]
    assert (project / "packages" / ".ivpm.lock").is_file()
    with WorkspaceLock(project / "packages", timeout=0):
        pass  # released at the end of the run


def test_a_session_reads_its_own_options(project: Path, run: Main, trace: list[str]) -> None:
    assert run("t_greet", "--greeting", "hi", "--loud")[0] == 0
    assert run("t_greet")[0] == 0
    assert trace == ["HI", "hello"]


def test_session_help_lists_its_own_options_only(project: Path, run: Main) -> None:
    code, out, _ = run("t_greet", "--help")
    assert code == 0
    assert "ivpm t_greet: Says its greeting." in out
    assert "--greeting" in out and "--loud" in out
    code, out, _ = run("t_a", "--help")
    assert "--greeting" not in out


def test_words_go_to_a_session_that_takes_them(tmp_path: Path, run: Main, trace: list[str]) -> None:
    assert run("t_args", "one", "two")[0] == 0
    assert trace == ["one", "two"]


def test_words_for_a_session_that_takes_none_are_refused_with_its_hint(
    project: Path, run: Main
) -> None:
    code, _, err = run("t_words", "extra")
    assert code == 2
    assert "session 't_words' takes no arguments, got 'extra'" in err
    assert "use -- to pass words" in err


def test_an_unknown_session_is_a_selection_error(project: Path, run: Main) -> None:
    code, _, err = run("t_grete")
    assert code == 3
    assert "unknown session 't_grete' (did you mean 't_greet'?)" in err


def test_a_session_that_needs_a_project_says_none_was_found(
    tmp_path: Path, run: Main, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("t_a")
    assert code == 2
    assert "no ivpm.yaml in" in err
    assert not (tmp_path / "packages").exists()


def test_two_options_may_not_claim_one_flag(registry: Registry) -> None:
    other = opt.flag("--loud", help="another --loud")

    def func(s: Session) -> None:
        """Clashes."""

    with pytest.raises(ValueError, match="--loud is declared twice"):
        registry.session(name="t_clash", options=[other])(func)


def test_a_session_can_fail_after_the_sessions_it_queued_have_run(
    project: Path, run: Main, trace: list[str]
) -> None:
    code, _, err = run("t_fail_at_end")
    assert code == 1
    assert trace == ["t_fail_at_end", "t_a", "t_b"]
    assert "error: t_fail_at_end left something undone" in err
    assert summary(err) == ["x t_fail_at_end: failed", "* t_a: success", "* t_b: success"]

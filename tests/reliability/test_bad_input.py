"""Bad and hostile input: a short clear error, the right exit code, nothing written.

Every case runs the real ``ivpm`` in a project whose ``packages/`` already holds a git checkout;
the tree (names, sizes, mtimes) and a sentinel directory outside the project are compared before
and after.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import make_repo
from tests.helpers.wheelhouse import hermetic_env

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root`` (symlinks not followed) with its size and mtime.

    The workspace lock's owner note (rewritten by any run that takes the lock) is left out.
    """
    found: Snapshot = {}
    if not root.exists():
        return found
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            if name == ".ivpm.lock.owner":
                continue
            path = Path(directory, name)
            info = path.lstat()
            found[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return found


@dataclass
class Workspace:
    """A project with one fetched git dep, a lock file, and a sentinel directory outside it."""

    root: Path
    repo_url: str
    outside: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def packages(self) -> Path:
        return self.root / "packages"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("badinput")
    repo = make_repo(base / "repos", "srcpkg", {"README": "srcpkg\n"})
    root = base / "proj"
    root.mkdir()
    outside = base / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("untouched\n")
    env = hermetic_env(os.environ)
    env["IVPM_NO_INDEX"] = "1"
    ws = Workspace(root, repo.url, outside, env)
    (root / "ivpm.yaml").write_text(good_yaml(ws))
    fetched = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert fetched.returncode == 0, fetched.stderr
    lock = {
        "ivpm-lock-format": 1,
        "dep-set": "default-dev",
        "git": {"srcpkg": {"url": repo.url, "commit": "0" * 40}},
        "python": {},
        "editable": {},
    }
    (root / "good-lock.json").write_text(json.dumps(lock))
    return ws


def good_yaml(ws: Workspace) -> str:
    return with_deps(ws, "")


def with_deps(ws: Workspace, extra: str, *, header: str = "") -> str:
    """The project's ivpm.yaml with ``extra`` dep entries (8-space indented) appended."""
    return (
        "package:\n"
        "  name: bad\n"
        f"{header}"
        "  dep-sets:\n"
        "    - name: default-dev\n"
        "      deps:\n"
        "        - name: srcpkg\n"
        f"          url: {ws.repo_url}\n"
        "          src: git\n"
        f"{extra}"
    )


def git_dep(name: str, url: str, more: str = "") -> str:
    return f"        - name: {name}\n          url: {url}\n          src: git\n{more}"


@dataclass(frozen=True)
class Case:
    """One bad input: the ivpm.yaml (a function of the workspace), the arguments, the outcome."""

    yaml: Callable[[Workspace], str]
    args: tuple[str, ...] = ("update",)
    code: int = 2
    says: str = ""
    env: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    prepare: Callable[[Path], None] | None = None  # makes more files in the project directory


def y(text: str) -> Callable[[Workspace], str]:
    return lambda ws: text


def deps(extra: str | Callable[[Workspace], str], header: str = "") -> Callable[[Workspace], str]:
    def make(ws: Workspace) -> str:
        body = extra(ws) if callable(extra) else extra
        return with_deps(ws, body, header=header)

    return make


GOOD = deps("")
LOCK = ("update", "--lock-file", "l.json")


def lock_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / "l.json").write_bytes(data)


def lock_text(text: str) -> tuple[tuple[str, str], ...]:
    return (("l.json", text),)


def env_entry(name: str, value: str) -> str:
    """A package-level ``env`` list with one entry (YAML double-quoted name and value)."""
    return f'  env:\n    - name: "{name}"\n      value: "{value}"\n'


NESTED = "package:\n  name: deep\n  x: " + "[" * 5000 + "]" * 5000 + "\n"

CASES: dict[str, Case] = {
    # --- ivpm.yaml: syntax and structure
    "yaml-syntax": Case(y("package:\n  name: [unclosed\n"), says="ivpm.yaml:"),
    "yaml-tab-indent": Case(y("package:\n\tname: x\n"), says="ivpm.yaml:"),
    "yaml-empty": Case(y(""), says="ivpm.yaml"),
    "yaml-not-mapping": Case(y("- just\n- a list\n"), says="ivpm.yaml"),
    "yaml-no-package": Case(y("name: x\n"), says="package"),
    "yaml-unknown-key": Case(deps("", header="  dep-set: []\n"), says="dep-set"),
    "yaml-duplicate-key": Case(y("package:\n  name: a\n  name: b\n"), says="name"),
    "yaml-alias": Case(y("package:\n  name: &n a\n  version: *n\n"), says="ivpm.yaml:"),
    "yaml-python-object": Case(
        y("package: !!python/object/apply:os.system ['touch /tmp/ivpm-pwned-$$']\n"),
        says="ivpm.yaml:",
    ),
    "yaml-python-name": Case(y("package:\n  name: !!python/name:os.system\n"), says="ivpm.yaml:"),
    "yaml-deep-nesting": Case(y(NESTED), says="nesting depth"),
    "yaml-huge": Case(y("package:\n  name: big\n#" + "x" * (5 * 1024 * 1024) + "\n"), says="MiB"),
    "yaml-not-utf8": Case(y("package:\n  name: caf\udce9\n"), says="ivpm.yaml"),
    "yaml-dep-sets-not-list": Case(y("package:\n  name: a\n  dep-sets: 7\n"), says="dep-sets"),
    # --- dependencies
    "dep-no-name": Case(deps("        - url: x\n          src: git\n"), says="name"),
    "dep-empty-name": Case(deps(lambda ws: git_dep('""', ws.repo_url)), says="name"),
    "dep-name-slash": Case(deps(lambda ws: git_dep("a/b", ws.repo_url)), says="a/b"),
    "dep-name-dotdot": Case(deps(lambda ws: git_dep("..", ws.repo_url)), says=".."),
    "dep-name-escape": Case(
        deps(lambda ws: git_dep("../../outside/evil", ws.repo_url)), says="outside/evil"
    ),
    "dep-name-absolute": Case(
        deps(lambda ws: git_dep(str(ws.outside / "evil"), ws.repo_url)), says="evil"
    ),
    "dep-name-reserved": Case(deps(lambda ws: git_dep("python", ws.repo_url)), says="python"),
    "dep-name-hidden": Case(deps(lambda ws: git_dep(".ivpm.lock", ws.repo_url)), says=".ivpm"),
    "dep-duplicate": Case(deps(lambda ws: git_dep("srcpkg", ws.repo_url)), says="srcpkg"),
    "dep-bad-src": Case(deps("        - name: x\n          src: svn\n"), says="svn"),
    "dep-git-no-url": Case(deps("        - name: x\n          src: git\n"), says="url"),
    "dep-bad-version": Case(deps("        - name: x\n          version: '=>1'\n"), says="=>1"),
    "dep-bad-depth": Case(deps(lambda ws: git_dep("x", ws.repo_url, "          depth: 0\n"))),
    "dep-unknown-field": Case(deps("        - name: x\n          brnach: main\n"), says="brnach"),
    "url-dash": Case(deps(git_dep("x", "--upload-pack=touch${IFS}/tmp/pwned")), says="'-'"),
    "url-ext": Case(deps(git_dep("x", "'ext::sh -c touch% /tmp/pwned'")), says="ext::"),
    "branch-option": Case(
        deps(lambda ws: git_dep("x", ws.repo_url, "          branch: --upload-pack=touch\n")),
        says="branch",
    ),
    "commit-not-hex": Case(
        deps(lambda ws: git_dep("x", ws.repo_url, "          commit: HEAD~1\n")), says="commit"
    ),
    "uses-unknown": Case(
        y("package:\n  name: u\n  dep-sets:\n    - name: default-dev\n      uses: nope\n"),
        says="nope",
    ),
    "setup-deps-version": Case(deps("", header="  setup-deps:\n    - pkg>=1\n"), says="setup-deps"),
    # --- command line and environment
    "cli-unknown-session": Case(GOOD, args=("updaet",), code=3, says="update"),
    "cli-unknown-option": Case(GOOD, args=("update", "--frobnicate"), says="--frobnicate"),
    "cli-negative-jobs": Case(GOOD, args=("update", "-j", "-1"), says="-j"),
    "cli-unknown-dep-set": Case(GOOD, args=("update", "-d", "nosuch"), says="nosuch"),
    "cli-project-dir": Case(GOOD, args=("-p", "/nonexistent", "update"), says="/nonexistent"),
    "cli-pip-and-uv": Case(GOOD, args=("update", "--py-pip", "--py-uv"), says="--py-uv"),
    "cli-session-args": Case(GOOD, args=("update", "extra"), says="extra"),
    "cli-bad-backend": Case(GOOD, args=("update", "--venv-backend", "conda"), says="conda"),
    "env-lock-timeout": Case(GOOD, env=(("IVPM_LOCK_TIMEOUT", "soon"),), says="IVPM_LOCK_TIMEOUT"),
    "env-ivpm-uv": Case(
        GOOD, args=("update", "--py-uv"), env=(("IVPM_UV", "/nonexistent/uv"),), says="IVPM_UV"
    ),
    # --- lock file
    "lock-missing": Case(GOOD, args=("update", "--lock-file", "nosuch.json"), says="nosuch.json"),
    "lock-not-json": Case(
        GOOD, args=("update", "--lock-file", "l.json"), files=(("l.json", "{oops"),), says="JSON"
    ),
    "lock-wrong-format": Case(
        GOOD,
        args=("update", "--lock-file", "l.json"),
        files=(("l.json", '{"ivpm-lock-format": 99}'),),
        says="ivpm-lock-format",
    ),
    "lock-git-not-object": Case(
        GOOD,
        args=("update", "--lock-file", "l.json"),
        files=(("l.json", '{"ivpm-lock-format": 1, "git": {"srcpkg": 5}}'),),
        says="git.srcpkg",
    ),
    "lock-bad-commit": Case(
        GOOD,
        args=("update", "--lock-file", "l.json"),
        files=(("l.json", '{"ivpm-lock-format": 1, "git": {"srcpkg": {"commit": "--x"}}}'),),
        says="srcpkg",
    ),
    "lock-python-not-string": Case(
        GOOD,
        args=("update", "--lock-file", "l.json"),
        files=(("l.json", '{"ivpm-lock-format": 1, "python": {"a": 1}}'),),
        says="python.a",
    ),
    # --- lock file: not a regular file, too large, not UTF-8, wrong shapes, injections
    "lock-fifo": Case(
        GOOD, args=LOCK, prepare=lambda root: os.mkfifo(root / "l.json"), says="FIFO"
    ),
    "lock-dev-zero": Case(
        GOOD, args=("update", "--lock-file", "/dev/zero"), says="character device"
    ),
    "lock-directory": Case(
        GOOD, args=LOCK, prepare=lambda root: (root / "l.json").mkdir(), says="a directory"
    ),
    "lock-too-large": Case(
        GOOD, args=LOCK, prepare=lock_bytes(b" " * (16 * 1024 * 1024 + 1)), says="16 MiB"
    ),
    "lock-not-utf8": Case(
        GOOD,
        args=LOCK,
        prepare=lock_bytes(b'{"ivpm-lock-format": 1, "dep-set": "caf\xe9"}'),
        says="is not UTF-8 text",
    ),
    "lock-null": Case(GOOD, args=LOCK, files=lock_text("null"), says="ivpm-lock-format"),
    "lock-list": Case(GOOD, args=LOCK, files=lock_text("[]"), says="ivpm-lock-format"),
    "lock-git-null": Case(
        GOOD, args=LOCK, files=lock_text('{"ivpm-lock-format": 1, "git": null}'), says='"git"'
    ),
    "lock-dep-set-null": Case(
        GOOD,
        args=LOCK,
        files=lock_text('{"ivpm-lock-format": 1, "dep-set": null}'),
        says='"dep-set"',
    ),
    "lock-editable-null": Case(
        GOOD,
        args=LOCK,
        files=lock_text('{"ivpm-lock-format": 1, "editable": {"a": null}}'),
        says="editable.a",
    ),
    "lock-python-option": Case(
        GOOD,
        args=LOCK,
        files=lock_text('{"ivpm-lock-format": 1, "python": {"-i http://evil/": "1.0"}}'),
        says="not named after a package",
    ),
    "lock-python-line-break": Case(
        GOOD,
        args=LOCK,
        files=lock_text('{"ivpm-lock-format": 1, "python": {"a": "1.0\\n-i http://evil/"}}'),
        says="not an exact version",
    ),
    "lock-published-null": Case(
        GOOD,
        args=LOCK,
        files=lock_text('{"ivpm_lock_version": 3, "packages": null}'),
        says='"packages"',
    ),
    # --- NUL characters, which no name, URL, path or environment value can hold
    "nul-env-value": Case(deps("", header=env_entry("FOO", "a\\0b")), says="ivpm.yaml:5:14"),
    "nul-env-name": Case(deps("", header=env_entry("F\\0O", "x")), says="ivpm.yaml:4:13"),
    "nul-env-set-value": Case(
        deps(
            "",
            header="  env-sets:\n    - name: tools\n      env:\n"
            '        - name: FOO\n          value: "\\0"\n',
        ),
        says="ivpm.yaml:7:18",
    ),
    "nul-dep-url": Case(deps(git_dep("x", '"file:///tmp/a\\0b"')), says="ivpm.yaml:10:16"),
    "nul-branch": Case(
        deps(lambda ws: git_dep("x", ws.repo_url, '          branch: "ma\\0in"\n')),
        says="ivpm.yaml:12:19",
    ),
    "nul-var": Case(deps("", header='  vars:\n    where: "a\\0"\n'), says="ivpm.yaml:4:12"),
    "nul-deps-dir": Case(deps("", header='  deps-dir: "p\\0"\n'), says="ivpm.yaml:3:13"),
    "nul-key": Case(deps("", header='  "na\\0me": x\n'), says="ivpm.yaml:3:3"),
}


@pytest.fixture
def case_workspace(workspace: Workspace) -> Iterator[Workspace]:
    yield workspace
    (workspace.root / "ivpm.yaml").write_text(good_yaml(workspace))
    for extra in workspace.root.iterdir():
        if extra.name not in ("ivpm.yaml", "packages", "good-lock.json"):
            shutil.rmtree(extra) if extra.is_dir() else extra.unlink()


def assert_one_screen(stderr: str) -> None:
    """A short message: no traceback, fewer than 25 lines, starting with an error line."""
    assert "Traceback" not in stderr, stderr
    assert len(stderr.splitlines()) < 25, stderr
    assert "error" in stderr, stderr


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_cleanly(case_workspace: Workspace, name: str) -> None:
    ws = case_workspace
    case = CASES[name]
    text = case.yaml(ws)
    (ws.root / "ivpm.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    for relative, content in case.files:
        (ws.root / relative).write_text(content)
    if case.prepare is not None:
        case.prepare(ws.root)
    before, outside_before = snapshot(ws.packages), snapshot(ws.outside.parent)
    result = run_ivpm(["-j", "2", *case.args], cwd=ws.root, env={**ws.env, **dict(case.env)})
    assert result.returncode == case.code, result.stderr
    assert_one_screen(result.stderr)
    assert case.says in result.stderr
    assert snapshot(ws.packages) == before
    after = snapshot(ws.outside.parent)
    assert {k: v for k, v in after.items() if not k.startswith(("proj", "repos"))} == {
        k: v for k, v in outside_before.items() if not k.startswith(("proj", "repos"))
    }
    assert not Path("/tmp/pwned").exists()


def test_at_least_forty_cases() -> None:
    assert len(CASES) >= 40

"""The command-line front end: argv -> a session selection and :class:`Options`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ivpm import __version__
from ivpm.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, IvpmError, UsageError
from ivpm.options import Options
from ivpm.registry import Registry

USAGE = """\
ivpm [options] SESSION [ARGS...] [-- ARGS...]
       ivpm [options] -s SESSION [SESSION ...]
       ivpm -l"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ivpm: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ivpm invocation."""
    parser = _Parser(
        prog="ivpm",
        usage=USAGE,
        description="Project-local package manager: builds packages/ from ivpm.yaml.",
        add_help=False,
    )
    parser.add_argument("words", nargs="*", help="a session name and its arguments")
    sel = parser.add_argument_group("selecting sessions")
    sel.add_argument("-s", "--sessions", nargs="+", metavar="SESSION", help="run these sessions")
    sel.add_argument("-l", "--list", action="store_true", help="list the sessions and exit")
    sel.add_argument("-h", "--help", action="store_true", help="show help (of SESSION if given)")
    sel.add_argument("--version", action="store_true", help="print ivpm's version and exit")

    proj = parser.add_argument_group("project")
    proj.add_argument(
        "-p",
        "--project-dir",
        type=Path,
        help="project directory (default: search upward for ivpm.yaml)",
    )
    proj.add_argument("-d", "--dep-set", help="dependency set to use")
    proj.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=0,
        help="parallel fetches (default: 4 per CPU, at most 16)",
    )
    proj.add_argument(
        "--lock-file", type=Path, help="reproduce the versions recorded in this lock file"
    )

    py = parser.add_argument_group("python environment")
    inst = py.add_mutually_exclusive_group()
    inst.add_argument(
        "--py-uv", dest="installer", action="store_const", const="uv", help="install with uv"
    )
    inst.add_argument(
        "--py-pip", dest="installer", action="store_const", const="pip", help="install with pip"
    )
    py.add_argument(
        "--venv-backend",
        choices=("uv", "virtualenv", "venv"),
        help="how packages/python is created",
    )
    py.add_argument(
        "--python", help="interpreter for packages/python (default: IVPM_PYTHON, else ivpm's)"
    )
    py.add_argument(
        "--skip-py-install", action="store_true", help="fetch sources only; install nothing"
    )
    py.add_argument(
        "--force-py-install", action="store_true", help="reinstall every Python package"
    )
    py.add_argument("--py-prerls-packages", action="store_true", help="allow pre-release versions")
    py.add_argument("--index-url", help="base URL of the package index")
    py.add_argument("--extra-index-url", action="append", default=[], help="another package index")
    py.add_argument(
        "--find-links", action="append", default=[], help="a directory or page of archives"
    )
    py.add_argument(
        "--no-index", action="store_true", help="use no package index (only --find-links)"
    )

    other = parser.add_argument_group("session options")
    other.add_argument(
        "--debug", action="store_true", help="build: compile with -g -O0 (also DEBUG=1)"
    )
    other.add_argument(
        "-c", "--command", help="activate: run this shell command in the environment"
    )
    other.add_argument("-b", "--branch", help="clone: check out this branch")
    other.add_argument("--json", action="store_true", help="status: machine-readable output")

    out = parser.add_argument_group("output")
    out.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output (commands run)"
    )
    out.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    out.add_argument(
        "--traceback", action="store_true", help="show Python tracebacks of internal errors"
    )
    return parser


def _split_posargs(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        index = list(argv).index("--")
        return list(argv[:index]), list(argv[index + 1 :])
    return list(argv), []


def _setup_logging(verbosity: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ivpm: %(message)s"))
    root = logging.getLogger("ivpm")
    root.handlers[:] = [handler]
    root.propagate = False
    if verbosity > 0:
        root.setLevel(logging.DEBUG)
    elif verbosity < 0:
        root.setLevel(logging.WARNING)
    else:
        root.setLevel(logging.INFO)


def find_project_dir(explicit: Path | None, start: Path) -> Path | None:
    """The project directory: ``-p`` when given (it must hold ivpm.yaml), else search upward."""
    if explicit is not None:
        directory = explicit.resolve()
        if not (directory / "ivpm.yaml").is_file():
            raise UsageError(
                f"no ivpm.yaml in {explicit}",
                hint="-p/--project-dir must name a directory that holds an ivpm.yaml",
            )
        return directory
    for directory in (start, *start.parents):
        if (directory / "ivpm.yaml").is_file():
            return directory
    return None


def _options(ns: argparse.Namespace, args: Sequence[str], posargs: Sequence[str]) -> Options:
    if ns.jobs < 0:
        raise UsageError(f"-j/--jobs must be 0 (the default) or more, not {ns.jobs}")
    return Options(
        project_dir=ns.project_dir,
        dep_set=ns.dep_set,
        jobs=ns.jobs,
        installer=ns.installer or "auto",
        venv_backend=ns.venv_backend,
        python=ns.python,
        skip_py_install=ns.skip_py_install,
        force_py_install=ns.force_py_install,
        pre=ns.py_prerls_packages,
        lock_file=ns.lock_file,
        index_url=ns.index_url,
        extra_index_urls=tuple(ns.extra_index_url),
        find_links=tuple(ns.find_links),
        no_index=ns.no_index,
        debug=ns.debug or os.environ.get("DEBUG", "") not in ("", "0"),
        command=ns.command,
        args=tuple(args),
        posargs=tuple(posargs),
        branch=ns.branch,
        json=ns.json,
        verbosity=ns.verbose - ns.quiet,
        traceback=ns.traceback,
    )


def _list_sessions(registry: Registry) -> None:
    width = max(len(spec.name) for spec in registry)
    for spec in registry:
        marker = "*" if spec.default else "-"
        line = f"{marker} {spec.name:<{width}}  {spec.help}"
        if spec.requires:
            line += f" [requires: {', '.join(spec.requires)}]"
        print(line)
    print("\nsessions marked * run by default; chain several with -s A B")


def _session_help(registry: Registry, name: str, parser: argparse.ArgumentParser) -> None:
    spec = registry.get(name)
    print(f"ivpm {spec.name}: {spec.description}")
    if spec.requires:
        print(f"\nrequires: {', '.join(spec.requires)} (run first when needed)")
    print()
    parser.print_help()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ivpm`` command; returns the exit code."""
    raw = list(sys.argv[1:] if argv is None else argv)
    before, posargs = _split_posargs(raw)
    parser = build_parser()
    ns = parser.parse_intermixed_args(before)
    verbosity = ns.verbose - ns.quiet
    _setup_logging(verbosity)
    try:
        return _dispatch(parser, ns, posargs)
    except IvpmError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("ivpm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(parser: argparse.ArgumentParser, ns: argparse.Namespace, posargs: list[str]) -> int:
    from ivpm.sessions import load_builtin_sessions

    if ns.version:
        print(f"ivpm {__version__}")
        return EXIT_OK
    registry = load_builtin_sessions()
    words: list[str] = ns.words
    if ns.help:
        if words or ns.sessions:
            _session_help(registry, (ns.sessions or words)[0], parser)
        else:
            parser.print_help()
        return EXIT_OK
    if ns.list:
        _list_sessions(registry)
        return EXIT_OK
    if ns.sessions:
        if words:
            raise UsageError(
                f"unexpected argument '{words[0]}' after -s",
                hint="with -s, name every session after it: ivpm -s update build",
            )
        selected, args = list(ns.sessions), []
    elif words:
        selected, args = [words[0]], words[1:]
    else:
        selected, args = registry.defaults(), []
    options = _options(ns, args, posargs)
    plan = registry.plan(selected)
    if args and not any(spec.name in _TAKES_ARGS for spec in plan):
        hint = "to run a program: ivpm activate -- PROG ARGS..." if "activate" in selected else None
        raise UsageError(f"session '{selected[0]}' takes no arguments, got '{args[0]}'", hint=hint)

    from ivpm.runner import run_sessions
    from ivpm.session import RunContext

    start = Path.cwd()
    project_dir = find_project_dir(options.project_dir, start)
    return run_sessions(registry, selected, RunContext(options, project_dir, start=start))


_TAKES_ARGS = {"clone"}

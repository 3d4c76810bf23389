"""The command-line front end: argv -> a session selection and :class:`Options`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ivpm import __version__, layout
from ivpm.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    IvpmError,
    UsageError,
    file_system_error,
)
from ivpm.options import GROUP_PROJECT, GROUP_PYTHON, GROUP_SESSION, Option, Options, OptionValues
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


def build_parser(
    registry: Registry, options: Sequence[Option[Any]] | None = None
) -> argparse.ArgumentParser:
    """The argument parser: ivpm's own options plus ``options`` (default: every option a
    registered session takes)."""
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
    groups = {name: parser.add_argument_group(name) for name in _GROUP_ORDER}
    groups[GROUP_PROJECT].add_argument(
        "-p",
        "--project-dir",
        type=Path,
        help="project directory (default: search upward for ivpm.yaml)",
    )
    exclusive: dict[str, argparse._MutuallyExclusiveGroup] = {}
    for option in registry.options() if options is None else options:
        group = groups.get(option.group)
        if group is None:
            group = groups[option.group] = parser.add_argument_group(option.group)
        if option.exclusive is None:
            option.add_to(group)
        else:
            option.add_to(
                exclusive.setdefault(option.exclusive, group.add_mutually_exclusive_group())
            )
    out = parser.add_argument_group("output")
    out.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output (commands run)"
    )
    out.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    out.add_argument(
        "--traceback", action="store_true", help="show Python tracebacks of internal errors"
    )
    return parser


_GROUP_ORDER = (GROUP_PROJECT, GROUP_PYTHON, GROUP_SESSION)


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
        if not layout.project_file(directory).is_file():
            raise UsageError(
                f"no {layout.PROJECT_FILE} in {explicit}",
                hint=f"-p/--project-dir must name a directory that holds an {layout.PROJECT_FILE}",
            )
        return directory
    found = layout.find_project_file(start)
    return None if found is None else found.parent


def _options(ns: argparse.Namespace, args: Sequence[str], posargs: Sequence[str]) -> Options:
    ignored = {"words", "sessions", "list", "help", "version", "project_dir", "verbose", "quiet"}
    return Options(
        project_dir=ns.project_dir,
        verbosity=ns.verbose - ns.quiet,
        traceback=ns.traceback,
        args=tuple(args),
        posargs=tuple(posargs),
        values=OptionValues({k: v for k, v in vars(ns).items() if k not in ignored}),
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


def _session_help(registry: Registry, name: str) -> None:
    spec = registry.get(name)
    print(f"ivpm {spec.name}: {spec.description}")
    if spec.requires:
        print(f"\nrequires: {', '.join(spec.requires)} (run first when needed)")
    print()
    build_parser(registry, registry.options_of(name)).print_help()


def main(argv: Sequence[str] | None = None, *, registry: Registry | None = None) -> int:
    """Entry point of the ``ivpm`` command; returns the exit code.

    ``registry`` replaces the built-in sessions (tests run ``main`` in-process with their own).
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    before, posargs = _split_posargs(raw)
    try:
        if registry is None:
            from ivpm.sessions import load_builtin_sessions

            registry = load_builtin_sessions()
        parser = build_parser(registry)
        ns = parser.parse_intermixed_args(before)
        _setup_logging(ns.verbose - ns.quiet)
        return _dispatch(registry, parser, ns, posargs)
    except IvpmError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except OSError as exc:
        known = file_system_error(exc, None)
        if known is None:
            raise
        print(known.render(), file=sys.stderr)
        return known.exit_code
    except KeyboardInterrupt:
        print("ivpm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(
    registry: Registry, parser: argparse.ArgumentParser, ns: argparse.Namespace, posargs: list[str]
) -> int:
    if ns.version:
        print(f"ivpm {__version__}")
        return EXIT_OK
    words: list[str] = ns.words
    if ns.help:
        if words or ns.sessions:
            _session_help(registry, (ns.sessions or words)[0])
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
    if args and not any(spec.takes_args for spec in plan):
        hints = [registry.get(name).args_hint for name in selected]
        hint = next((h for h in hints if h), None)
        raise UsageError(f"session '{selected[0]}' takes no arguments, got '{args[0]}'", hint=hint)

    from ivpm.context import RunContext
    from ivpm.runner import run_sessions

    start = Path.cwd()
    project_dir = find_project_dir(options.project_dir, start)
    return run_sessions(registry, selected, RunContext(options, project_dir, start=start))

"""The session registry: the ``@session`` decorator and nox-style ``requires=`` ordering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from ivpm.errors import SelectionError, did_you_mean
from ivpm.options import Option

if TYPE_CHECKING:
    from ivpm.context import Session

SessionFunc = Callable[["Session"], None]


@dataclass(frozen=True)
class SessionSpec:
    """A registered session: its function and how it relates to the others."""

    name: str
    func: SessionFunc
    requires: tuple[str, ...]
    default: bool
    writes: bool
    needs_project: bool
    options: tuple[Option[Any], ...] = ()
    takes_args: bool = False
    args_hint: str | None = None

    @property
    def help(self) -> str:
        """The first line of the function's docstring."""
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""

    @property
    def description(self) -> str:
        """The whole docstring, dedented, for ``ivpm SESSION --help``."""
        import inspect

        return inspect.cleandoc(self.func.__doc__ or self.help)


class Registry:
    """Holds sessions by name and orders a selection of them."""

    def __init__(self) -> None:
        self._sessions: dict[str, SessionSpec] = {}

    @overload
    def session(self, func: SessionFunc, /) -> SessionFunc: ...

    @overload
    def session(
        self,
        func: None = None,
        /,
        *,
        name: str | None = None,
        requires: Sequence[str] = (),
        default: bool = False,
        writes: bool = True,
        needs_project: bool = True,
        options: Sequence[Option[Any]] = (),
        takes_args: bool = False,
        args_hint: str | None = None,
    ) -> Callable[[SessionFunc], SessionFunc]: ...

    def session(
        self,
        func: SessionFunc | None = None,
        /,
        *,
        name: str | None = None,
        requires: Sequence[str] = (),
        default: bool = False,
        writes: bool = True,
        needs_project: bool = True,
        options: Sequence[Option[Any]] = (),
        takes_args: bool = False,
        args_hint: str | None = None,
    ) -> SessionFunc | Callable[[SessionFunc], SessionFunc]:
        """Register a function as a session; usable bare or with arguments.

        ``requires`` names sessions that must run before this one; ``writes`` says the session
        changes ``packages/`` (and so runs under the workspace lock); ``needs_project`` says it
        needs an ivpm.yaml; ``options`` are the command-line options it reads (the parser is
        built from every session's); ``takes_args`` says it takes words after its name
        (``ivpm clone URL``), and ``args_hint`` is shown when words are given to one that does
        not. Two sessions may list the same :class:`Option` object; two different options may
        not claim the same flag.
        """

        def register(target: SessionFunc) -> SessionFunc:
            session_name = name or target.__name__
            if session_name in self._sessions:
                raise ValueError(f"session {session_name!r} is registered twice")
            self._check_flags(session_name, options)
            self._sessions[session_name] = SessionSpec(
                name=session_name,
                func=target,
                requires=tuple(requires),
                default=default,
                writes=writes,
                needs_project=needs_project,
                options=tuple(options),
                takes_args=takes_args,
                args_hint=args_hint,
            )
            return target

        return register(func) if func is not None else register

    def _check_flags(self, name: str, options: Sequence[Option[Any]]) -> None:
        claimed = {flag: option for option in self.options() for flag in option.flags}
        for option in options:
            for flag in option.flags:
                other = claimed.get(flag)
                if other is not None and other is not option:
                    raise ValueError(f"session {name!r}: option {flag} is declared twice")

    def options(self) -> list[Option[Any]]:
        """Every option some registered session takes, each once, in registration order."""
        return _options_of(self._sessions.values())

    def options_of(self, name: str) -> list[Option[Any]]:
        """The options session ``name`` and its prerequisites take, each once."""
        return _options_of(self.plan([name]))

    def __iter__(self) -> Iterator[SessionSpec]:
        return iter(self._sessions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._sessions

    def get(self, name: str) -> SessionSpec:
        """The session called ``name``; an unknown name is a :class:`SelectionError`."""
        try:
            return self._sessions[name]
        except KeyError:
            raise SelectionError(
                f"unknown session '{name}'{did_you_mean(name, self._sessions)}",
                hint="'ivpm -l' lists the sessions",
            ) from None

    def defaults(self) -> list[str]:
        """Names of the sessions run when none is selected."""
        return [spec.name for spec in self if spec.default]

    def plan(self, selected: Sequence[str]) -> list[SessionSpec]:
        """Order ``selected`` and their prerequisites the way nox does.

        Each prerequisite runs just before the first session that needs it, the command-line
        order is kept otherwise, and every session appears once. Unknown names and cycles raise
        :class:`SelectionError`.
        """
        ordered: list[SessionSpec] = []
        placed: set[str] = set()

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if name in chain:
                cycle = " -> ".join((*chain[chain.index(name) :], name))
                raise SelectionError(f"sessions require each other in a cycle: {cycle}")
            if name in placed:
                return
            spec = self.get(name)
            for required in spec.requires:
                visit(required, (*chain, name))
            placed.add(name)
            ordered.append(spec)

        for name in selected:
            visit(name, ())
        return ordered


def _options_of(specs: Iterable[SessionSpec]) -> list[Option[Any]]:
    """The options ``specs`` take, each option object once, in the order first listed."""
    seen: dict[int, Option[Any]] = {}
    for spec in specs:
        for option in spec.options:
            seen.setdefault(id(option), option)
    return list(seen.values())

"""Pointing an installer's version-conflict error at the ivpm.yaml entries that asked for them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.utils import canonicalize_name

from ivpm.errors import SessionFailure
from ivpm.project.model import Dep

#: What pip's and uv's output says when no set of versions satisfies a request.
RESOLVER_MARKERS = (
    "conflict",
    "resolutionimpossible",
    "no solution found",
    "unsatisfiable",
    "no matching distribution",
    "could not find a version",
    "not found in the provided package locations",
    "not found in the package registry",
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class RequestedHereFailure(SessionFailure):
    """An install failure followed by note lines: ``file:line:col: note: ... requested
    here`` for the ivpm.yaml entries a conflict involves, or what ivpm did about it."""

    def __init__(self, failure: SessionFailure, notes: Iterable[str]) -> None:
        super().__init__(failure.message, details=failure.details, hint=failure.hint)
        self.notes = tuple(notes)

    def render(self) -> str:
        """The failure and the installer output, one note per ivpm.yaml entry, then the hint."""
        plain = SessionFailure(self.message, details=self.details).render()
        lines = [plain, *self.notes]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def is_resolver_failure(output: str) -> bool:
    """True when an installer's output reports that no set of versions satisfies the request."""
    lowered = output.lower()
    return any(marker in lowered for marker in RESOLVER_MARKERS)


def mentioned_names(output: str) -> set[str]:
    """The canonical form of every word of ``output`` that could be a distribution name."""
    return {canonicalize_name(word.rstrip("._-")) for word in _WORD.findall(output)}


def describe_request(dep: Dep) -> str:
    """How an ivpm.yaml entry asks for its package, e.g. ``'numpy>=1.24'``."""
    extras = f"[{','.join(dep.extras)}]" if dep.extras else ""
    if dep.is_source:
        return f"'{dep.name}{extras}' (editable, {dep.src.value} source)"
    return f"'{dep.name}{extras}{dep.version or ''}'" + ("" if dep.version else " (any version)")


def with_requested_here(failure: SessionFailure, deps: Iterable[Dep]) -> SessionFailure:
    """``failure`` plus a note for each dep its output names, when it is a resolver conflict.

    Other failures, and conflicts that name no declared dep, are returned unchanged.
    """
    from ivpm.pyenv.output import index_unreachable

    if not is_resolver_failure(failure.details) or index_unreachable(failure.details):
        return failure
    named = mentioned_names(failure.details)
    notes = [
        f"{dep.location}: note: {describe_request(dep)} requested here"
        for dep in deps
        if canonicalize_name(dep.name) in named
    ]
    return RequestedHereFailure(failure, notes) if notes else failure


def with_note(failure: SessionFailure, note: str) -> SessionFailure:
    """``failure`` with a ``note:`` line added after its details (and its other notes)."""
    notes = failure.notes if isinstance(failure, RequestedHereFailure) else ()
    return RequestedHereFailure(failure, (*notes, f"  note: {note}"))

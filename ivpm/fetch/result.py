"""What fetching one source dependency produced, and how a single dependency fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ivpm.project.model import Dep

Kind = Literal["git", "dir", "link", "archive", "file"]
Action = Literal[
    "cloned",
    "copied",
    "linked",
    "recopied",
    "relinked",
    "kept",
    "checked-out",
    "downloaded",
    "replaced",
]


@dataclass(frozen=True)
class FetchResult:
    """The outcome for one source dependency.

    ``kind`` describes what is on disk: a git checkout, a copied directory, a symlink, an
    unpacked archive (or release asset), or a single downloaded file (``unpack: false``).
    ``action`` is ``cloned``/``copied``/``linked`` for a new ``packages/<name>``,
    ``recopied``/``relinked`` for a dir dep's existing one made again because its ``url`` or
    ``link`` changed (what was installed from it must be reinstalled), ``kept`` when an
    existing one was left as it was, and
    ``checked-out`` when an existing clean git checkout was moved to a commit pinned by the
    lock file; ``downloaded`` for a new archive, ``replaced`` for one whose url or sha256
    changed. ``commit`` is the checkout's HEAD commit for git deps, ``None`` otherwise (or when
    an existing ``packages/<name>`` is not a git checkout).
    """

    name: str
    path: Path
    kind: Kind
    action: Action
    commit: str | None = None


class DepFetchError(Exception):
    """One dependency could not be fetched; collected into a single ``SessionFailure``."""

    def __init__(self, dep: Dep, reason: str, *, output: str = "", hint: str | None = None):
        super().__init__(f"{dep.name}: {reason}")
        self.dep = dep
        self.reason = reason
        self.output = output
        self.hint = hint

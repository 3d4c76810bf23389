"""Upstreams for the sync suite: bare repositories that gain commits pushed from a work clone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.gitrepos import GitRepo, git, make_repo


@dataclass(frozen=True)
class Upstream:
    """A bare repository (what projects clone, :attr:`url`) and the work clone that feeds it."""

    work: GitRepo
    bare: Path

    @property
    def url(self) -> str:
        """The ``file://`` URL of the bare repository."""
        return self.bare.as_uri()

    def publish(self, files: Mapping[str, str | None], message: str = "upstream work") -> str:
        """Commit ``files`` in the work clone and push to the bare repository's main branch."""
        sha = self.work.commit(files, message)
        self.work.git("push", "-q", str(self.bare), "HEAD:main", "--tags")
        return sha


def make_upstream(root: Path, name: str, files: Mapping[str, str | None]) -> Upstream:
    """An upstream ``name`` whose first commit holds ``files``."""
    work = make_repo(root / "work", name, files)
    bare = root / "bare" / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(bare.parent, "clone", "-q", "--bare", "--", str(work.path), str(bare))
    return Upstream(work, bare)

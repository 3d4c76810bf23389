"""How strictly one ivpm.yaml is read, and what reading it had to say besides errors.

The root file is the user's: an unknown key there is an error with a did-you-mean. A fetched
sub-project's file is someone else's: an unknown key there is a warning, once per key and file,
and reading goes on. ``ivpm check`` reads in *collecting* mode: an entry (a dep, a dep-set, an
env-set) with an error is set aside and reading goes on, so every problem is listed at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ivpm.errors import ConfigError, Location, did_you_mean

log = logging.getLogger("ivpm")


@dataclass(frozen=True)
class Warning_:
    """One warning about a file: what and where."""

    message: str
    location: Location | None

    def render(self) -> str:
        """``file:line:col: warning: message``."""
        where = f"{self.location}: " if self.location is not None else ""
        return f"{where}warning: {self.message}"


@dataclass
class Diagnostics:
    """The reading mode of one file and the warnings and (when collecting) errors it produced.

    ``strict``: unknown keys are errors (the root file). ``collect``: errors in an entry are
    recorded in ``problems`` instead of stopping the read.
    """

    strict: bool = True
    collect: bool = False
    warnings: list[Warning_] = field(default_factory=list)
    problems: list[ConfigError] = field(default_factory=list)
    _said: set[tuple[str, str]] = field(default_factory=set)

    def unknown_key(self, key: str, loc: Location, allowed: Sequence[str], what: str) -> None:
        """An unknown ``key`` in ``what``: an error when strict, else a warning once per file."""
        if self.strict:
            raise ConfigError(
                f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}",
                loc,
                hint="allowed keys: " + ", ".join(allowed),
            )
        self.warn(
            f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}; ignored",
            loc,
            once=key,
        )

    def warn(self, message: str, loc: Location | None, *, once: str | None = None) -> None:
        """Report ``message`` at ``loc``; with ``once``, only the first time per file and key."""
        if once is not None:
            token = (str(loc.path) if loc is not None else "", once)
            if token in self._said:
                return
            self._said.add(token)
        warning = Warning_(message, loc)
        self.warnings.append(warning)
        log.warning("%s", warning.render())

    @contextmanager
    def entry(self) -> Iterator[None]:
        """Around reading one entry: in collecting mode an error is recorded, not raised.

        Keep the statement that stores the entry inside the block: an entry with an error
        is then left out.
        """
        try:
            yield
        except ConfigError as error:
            if not self.collect:
                raise
            self.problems.append(error)

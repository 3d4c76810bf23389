"""Progress for long steps: a live line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading

log = logging.getLogger("ivpm")


class Progress:
    """Reports ``done/total`` of a phase; thread-safe, so parallel workers can call it."""

    def __init__(self, phase: str, *, quiet: bool = False) -> None:
        self.phase = phase
        self.quiet = quiet
        self._live = sys.stderr.isatty() and not quiet
        self._lock = threading.Lock()
        self._shown = False

    def __call__(self, item: str, done: int, total: int) -> None:
        """Say that ``item`` finished, making ``done`` of ``total``."""
        with self._lock:
            if self._live:
                sys.stderr.write(f"\r\033[Kivpm: {self.phase} {done}/{total} {item}")
                sys.stderr.flush()
                self._shown = True
            else:
                log.debug("%s %d/%d %s", self.phase, done, total, item)

    def close(self) -> None:
        """End the live line, if one is showing."""
        with self._lock:
            if self._shown:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
                self._shown = False

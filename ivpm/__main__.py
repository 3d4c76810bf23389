"""The ``ivpm`` command (also ``python -m ivpm``)."""

from __future__ import annotations

import os
import sys


def main() -> int:
    """Run ivpm on ``sys.argv``: answered from the replay record when the same command already
    ran here and nothing it read has changed since, else run in full (and recorded when it
    changes nothing). ``IVPM_NO_REPLAY=1`` always runs in full."""
    argv = sys.argv[1:]
    if os.environ.get("IVPM_NO_REPLAY"):
        from ivpm.cli import main as run_ivpm

        return run_ivpm(argv)
    from ivpm.replay import record

    try:
        entry = record.find_entry(argv)
    except Exception:  # a damaged record is no record: the full run rewrites it
        entry = None
    if entry is not None and entry.get("exec") is None:
        return record.answer(entry)
    if entry is not None:
        import contextlib

        with contextlib.suppress(OSError):  # the command cannot start any more: run in full
            record.start_recorded(entry)
    from ivpm.cli import main as run_ivpm
    from ivpm.replay.watch import watching

    with watching(argv):
        return run_ivpm(argv)


if __name__ == "__main__":
    sys.exit(main())

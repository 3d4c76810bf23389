"""``cache``: show (``ivpm cache info``) or prune (``ivpm cache clean``) the shared cache."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import UsageError
from ivpm.sessions import session


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of days, not '{text}'") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more days, not {text}")
    return days


def _size(text: str) -> int:
    from ivpm.sizes import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


OLDER_THAN: opt.Option[float | None] = opt.Option(
    ("--older-than",),
    "cache clean: remove entries not used for DAYS days",
    None,
    convert=_days,
    metavar="DAYS",
)
MAX_SIZE: opt.Option[int | None] = opt.Option(
    ("--max-size",),
    "cache clean: remove the least recently used entries until the cache fits in SIZE "
    "(e.g. 500M, 2G)",
    None,
    convert=_size,
    metavar="SIZE",
)
ALL = opt.flag("--all", help="cache clean: remove every entry")
_ACTIONS = ("info", "clean")


@session(
    name="cache",
    needs_project=False,
    writes=False,
    takes_args=True,
    options=[opt.JSON, OLDER_THAN, MAX_SIZE, ALL],
)
def cache(s: Session) -> None:
    """Show or prune the shared cache of 'cache: true' deps (IVPM_CACHE).

    Usage: ivpm cache info [--json] | ivpm cache clean (--older-than DAYS | --max-size SIZE |
    --all) [--json]. info lists the cache folder, its entries and their sizes; clean removes
    entries unused for DAYS days, the least recently used until the cache fits in SIZE, or
    all of them. An entry that is being filled is never removed. Projects linking a removed
    entry get it again on their next update.
    """
    args = s.options.args
    if len(args) != 1 or args[0] not in _ACTIONS:
        raise UsageError(
            "cache takes one action: info or clean",
            hint="ivpm cache info, or ivpm cache clean --older-than DAYS",
        )
    if args[0] == "info":
        _info(s)
    else:
        _clean(s)


def _info(s: Session) -> None:
    from ivpm.cache.inventory import list_entries
    from ivpm.cache.root import cache_root
    from ivpm.sizes import format_size

    root = cache_root()
    entries = list_entries(root)
    total = sum(entry.size for entry in entries)
    if s.option(opt.JSON):
        document = {
            "root": str(root),
            "count": len(entries),
            "size": total,
            "entries": [entry.as_json() for entry in entries],
        }
        print(json.dumps(document, indent=2))
        return
    plural = "y" if len(entries) == 1 else "ies"
    print(f"cache {root}: {len(entries)} entr{plural}, {format_size(total)}")
    for entry in entries:
        used = entry.last_used.strftime("%Y-%m-%d %H:%M") if entry.last_used else "never"
        print(
            f"  {entry.kind:<8} {entry.name:<24} {entry.version[:12]:<12} "
            f"{format_size(entry.size):>10}  last used {used}  {entry.url}"
        )


def _clean(s: Session) -> None:
    from ivpm.cache.inventory import (
        list_entries,
        remove_entries,
        remove_stale_temps,
        select_for_clean,
    )
    from ivpm.cache.root import cache_root
    from ivpm.sizes import format_size

    older_than, max_size, everything = s.option(OLDER_THAN), s.option(MAX_SIZE), s.option(ALL)
    if older_than is None and max_size is None and not everything:
        raise UsageError(
            "cache clean needs --older-than DAYS, --max-size SIZE or --all",
            hint="ivpm cache info shows what is there",
        )
    root = cache_root()
    chosen = select_for_clean(
        list_entries(root),
        now=datetime.now(UTC),
        older_than=older_than,
        max_size=max_size,
        everything=everything,
    )
    report = remove_entries(root, chosen)
    remove_stale_temps(root)
    if s.option(opt.JSON):
        document = {
            "root": str(root),
            "removed": [entry.as_json() for entry in report.removed],
            "busy": [entry.as_json() for entry in report.busy],
            "freed": report.freed,
        }
        print(json.dumps(document, indent=2))
        return
    for entry in report.removed:
        print(f"removed {entry.kind} {entry.name} {entry.version[:12]} ({format_size(entry.size)})")
    for entry in report.busy:
        s.log.warning("kept %s: another ivpm is using its cache entry right now", entry.path)
    count = len(report.removed)
    print(f"removed {count} entr{'y' if count == 1 else 'ies'}, freed {format_size(report.freed)}")

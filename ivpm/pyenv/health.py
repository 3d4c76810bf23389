"""Checks of an installed environment that ``status`` reports: import names, imports, builds."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from ivpm.pyenv.distributions import find_dist_info

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
_SKIPPED_DIRS = {"build", "dist", "__pycache__", "node_modules"}
_MARKER = "ivpm-import-check:"
_IMPORT_SCRIPT = f"""\
import importlib, json, sys
failed = {{}}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed[name] = f"{{type(exc).__name__}}: {{exc}}"
print({_MARKER!r} + json.dumps(failed))
"""


def import_names(venv_dir: Path, dist_name: str) -> list[str]:
    """The top-level modules an installed distribution provides (best effort, never empty).

    Taken from ``top_level.txt``, else from the ``RECORD`` file list, else the distribution
    name with dashes as underscores.
    """
    dist_info = find_dist_info(venv_dir, dist_name)
    names: list[str] = []
    if dist_info is not None:
        names = _lines(dist_info / "top_level.txt") or _record_modules(dist_info / "RECORD")
    return names or [dist_name.replace("-", "_").replace(".", "_")]


def failed_imports(python: Path, modules: Sequence[str]) -> dict[str, str]:
    """Import each module with ``python``; map the ones that fail to ``"Error: message"``.

    One interpreter process imports them all; when that process itself fails, every module
    is reported with its exit status.
    """
    if not modules:
        return {}
    try:
        completed = subprocess.run(
            [str(python), "-c", _IMPORT_SCRIPT, *modules],
            cwd=python.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return dict.fromkeys(modules, f"cannot run {python}: {exc}")
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(_MARKER):
            result: dict[str, str] = json.loads(line[len(_MARKER) :])
            return result
    reason = (completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"])[-1]
    return dict.fromkeys(modules, reason)


def has_built_extension(package_dir: Path) -> bool:
    """True when a compiled extension module (``*.so``, ``*.pyd``) lies in the source tree.

    ``build/``, ``dist/`` and hidden folders are not looked at: an in-place build (what an
    editable install and ``ivpm build`` do) puts the module beside its sources.
    """
    for _, dirs, files in os.walk(package_dir):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
        if any(name.endswith(NATIVE_SUFFIXES) for name in files):
            return True
    return False


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _record_modules(record: Path) -> list[str]:
    return sorted(set(_modules_of(line.split(",", 1)[0] for line in _lines(record))))


def _modules_of(paths: Iterable[str]) -> Iterable[str]:
    for entry in paths:
        first, sep, _ = entry.partition("/")
        if first.startswith(
            ("..", "__editable__", "_distutils_hack", "__pycache__")
        ) or first.endswith((".dist-info", ".data", ".pth")):
            continue
        if sep:
            if first.isidentifier():
                yield first
        elif first.endswith(".py") and first[:-3].isidentifier():
            yield first[:-3]

"""The options shared by every session of one invocation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Options:
    """What the command line (and environment) asked for; sessions read, never write, these."""

    project_dir: Path | None = None
    dep_set: str | None = None
    jobs: int = 0
    installer: str = "auto"  # auto | pip | uv
    venv_backend: Literal["uv", "virtualenv", "venv"] | None = None  # None: follow the installer
    python: str | None = None
    skip_py_install: bool = False
    force_py_install: bool = False
    pre: bool = False
    lock_file: Path | None = None
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    debug: bool = False
    command: str | None = None
    args: tuple[str, ...] = ()
    posargs: tuple[str, ...] = ()
    branch: str | None = None
    json: bool = False
    verbosity: int = 0
    traceback: bool = False

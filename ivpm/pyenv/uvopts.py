"""Options ivpm passes to every ``uv pip install``.

``--link-mode copy``: uv's default on Linux hardlinks files from its global cache into the
environment, so editing an installed file in place (a debugging print in site-packages) also
edits the cached copy; a later ``--reinstall`` then brings the edited file back, and every other
environment built from that cache gets it too (astral-sh/uv#10579). Copying keeps
``packages/python`` independent of the cache, as pip's installs are, so ``--force-py-install``
really repairs an environment. It also avoids uv's warning when the cache lives on another
filesystem. A user who sets ``UV_LINK_MODE`` gets that mode instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def uv_install_options(environ: Mapping[str, str] | None = None) -> list[str]:
    """Options for ``uv pip install`` in the given process environment (default: ivpm's)."""
    env = os.environ if environ is None else environ
    options = ["--color", "never"]
    if not env.get("UV_LINK_MODE"):
        options += ["--link-mode", "copy"]
    return options

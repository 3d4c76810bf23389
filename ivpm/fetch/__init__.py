"""Fetching source dependencies (git clones and local directories) into ``packages/``.

PyPI deps are not fetched here; the installer handles them.
"""

from __future__ import annotations

from ivpm.fetch.head import read_head_commit
from ivpm.fetch.local import dir_source
from ivpm.fetch.parallel import fetch_deps
from ivpm.fetch.result import Action, FetchResult, Kind

__all__ = ["Action", "FetchResult", "Kind", "dir_source", "fetch_deps", "read_head_commit"]

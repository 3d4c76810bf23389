"""The shared cache of ``cache: true`` deps: sealed, read-only entries linked into packages/.

:func:`cache_root` and :func:`is_cached` import nothing heavy; :class:`Cache` fills entries
(see :mod:`ivpm.cache.store`), :mod:`ivpm.cache.git` does it for git deps and
:mod:`ivpm.cache.inventory` lists and removes entries (``ivpm cache info``/``clean``).
"""

from __future__ import annotations

from ivpm.cache.keys import CacheKey, archive_key, git_key
from ivpm.cache.links import link_entry
from ivpm.cache.root import CACHE_ENV, cache_root, is_cache_link, is_cached
from ivpm.cache.seal import copy_writable
from ivpm.cache.store import Cache, Filled

__all__ = [
    "CACHE_ENV",
    "Cache",
    "CacheKey",
    "Filled",
    "archive_key",
    "cache_root",
    "copy_writable",
    "git_key",
    "is_cache_link",
    "is_cached",
    "link_entry",
]

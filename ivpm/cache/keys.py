"""What identifies a cache entry: its kind, its URL (normalised) and its version.

A git entry is one repository at one commit, an archive entry one download at one sha256 (or,
without a sha256, at one URL). The entry's folder is named ``<label>-<hash>``: a readable label
taken from the URL (what a user looks for in ``ivpm cache info``) and 16 hex digits of the
sha256 of the key, so the same content always lands in the same folder whatever the dep that
asks for it is called.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ivpm.fetch.urls import git_url_parts

_LABEL_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".jar", ".whl", ".git")
_MAX_LABEL = 40
_HASH_DIGITS = 16


@dataclass(frozen=True)
class CacheKey:
    """One cache entry's identity: ``kind`` (``git``, ``archive``), URL and version.

    ``url`` is normalised by the constructors below; ``version`` is a full commit id for git
    and a sha256 (or the URL itself) for archives.
    """

    kind: str
    url: str
    version: str

    @property
    def digest(self) -> str:
        """The first 16 hex digits of the sha256 of the key."""
        text = "\0".join((self.kind, self.url, self.version))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_DIGITS]

    @property
    def label(self) -> str:
        """A readable name from the URL's last path segment (``googletest-1.14.0``)."""
        tail = self.url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        tail = tail.split("?", 1)[0].split("#", 1)[0]
        lowered = tail.lower()
        for suffix in _ARCHIVE_SUFFIXES:
            if lowered.endswith(suffix):
                tail = tail[: -len(suffix)]
                break
        label = _LABEL_CHARS.sub("_", tail).strip("._-")[:_MAX_LABEL]
        return label or "entry"

    @property
    def entry_name(self) -> str:
        """The entry's folder name: ``<label>-<digest>``."""
        return f"{self.label}-{self.digest}"


def git_key(url: str, commit: str) -> CacheKey:
    """The key of repository ``url`` at ``commit`` (a full commit id)."""
    return CacheKey("git", normalise_git_url(url), commit.lower())


def archive_key(url: str, sha256: str | None = None) -> CacheKey:
    """The key of the download at ``url``: by ``sha256`` when known, else by the URL."""
    version = f"sha256:{sha256.lower()}" if sha256 else f"url:{url}"
    return CacheKey("archive", url, version)


def normalise_git_url(url: str) -> str:
    """``host/path`` for a hosted repository, whichever transport the URL uses.

    ``https://github.com/o/r``, ``https://github.com/o/r.git/`` and ``git@github.com:o/r.git``
    all become ``github.com/o/r`` (a commit's content does not depend on how it was fetched);
    other URLs (``file://``, local paths) lose only a trailing slash and ``.git``. The port of
    an http(s) or git URL is kept; an ssh port says nothing of the repository.
    """
    parts = git_url_parts(url)
    if parts is None or parts.bad_port:
        return url.rstrip("/").removesuffix(".git")
    port = f":{parts.port}" if parts.port and parts.scheme != "ssh" else ""
    return f"{parts.host}{port}/{parts.path}"

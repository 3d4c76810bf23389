"""The URL a git dependency is cloned from: as written, unless ``--ssh`` asks for ssh.

The rule is "URLs are used as written unless --ssh asks for ssh". ``--ssh`` rewrites an
``https://host/owner/repo`` URL (GitHub, GitLab and the like, subgroups included) to
``git@host:owner/repo.git``; every other form (``file://``, ``ssh://``, ``git://``, scp-like
``git@host:path``, local paths, and https URLs that have no such ssh form: a port, a query,
a single path segment) is kept as written. A dep's own ``anonymous: true`` keeps its URL as
written even under ``--ssh``, and its ``ssh: true`` asks for ssh without the option
(``ssh: false`` keeps the URL as written). ``-a``/``--anonymous-git``, the published ivpm's
"clone over https as written", is the default here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ivpm.project.model import Dep

_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).+)$")


def clone_url(dep: Dep, *, ssh: bool = False) -> str:
    """The URL handed to ``git clone`` for ``dep``; ``ssh`` is the command line's ``--ssh``.

    A relative local path is made absolute against the directory of the ivpm.yaml declaring
    the dep (as for ``src: dir``), not wherever ivpm runs. When :func:`wants_ssh` says so and
    the URL has an ssh form (:func:`ssh_url`), that form is returned; otherwise the URL as
    written.
    """
    assert dep.url is not None
    url = dep.url
    first = url.split("/", 1)[0]
    if not ("://" in url or ":" in first or url.startswith(("/", "~"))):
        return os.path.normpath(dep.location.path.parent / url)
    if wants_ssh(dep, ssh=ssh):
        return ssh_url(url) or url
    return url


def wants_ssh(dep: Dep, *, ssh: bool) -> bool:
    """Whether ``dep`` is cloned over ssh: its ``ssh:`` when written, else not when it says
    ``anonymous: true``, else the command line's ``--ssh`` (``ssh``)."""
    if dep.ssh is not None:
        return dep.ssh
    if dep.anonymous:
        return False
    return ssh


def ssh_url(url: str) -> str | None:
    """``git@host:owner/repo.git`` for an ``http(s)://[user@]host/owner/repo[.git]`` URL.

    None when the URL has no such form: another scheme, a port (the https port says nothing
    of the ssh one, and the scp-like form cannot carry one), a query or fragment, or fewer
    than two path segments.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or port is not None:
        return None
    if parts.query or parts.fragment or not parts.hostname:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2 or any(segment in (".", "..") for segment in segments):
        return None
    path = "/".join(segments)
    if not path.endswith(".git"):
        path += ".git"
    return f"git@{parts.hostname}:{path}"


def same_repository(first: str, second: str) -> bool:
    """Whether two git URLs name the same repository, whichever transport each one uses.

    ``https://github.com/o/r``, ``https://github.com/o/r.git/`` and ``git@github.com:o/r.git``
    are the same repository; URLs that name no host and path are compared as written (less a
    trailing slash and ``.git``).
    """
    return _identity(first) == _identity(second)


def _identity(url: str) -> tuple[str, str]:
    """``(host, path)`` of a git URL, lower-cased host, no ``.git`` or slashes around the path.

    The port is left out; a URL that names no host and path is its own path, made bare.
    """
    parts = git_url_parts(url)
    if parts is None:
        return "", _bare(url)
    return parts.host, parts.path


@dataclass(frozen=True)
class GitUrlParts:
    """A git URL that names a host and a path (http(s), ssh, git or scp-like), taken apart.

    ``host`` is lower-cased and ``path`` has no ``.git`` or slashes around it. ``port`` is the
    URL's port, ``None`` when it names none (scp-like URLs never do) or when it is not a valid
    port number, which ``bad_port`` then says.
    """

    scheme: str
    host: str
    path: str
    port: int | None = None
    bad_port: bool = False


def git_url_parts(url: str) -> GitUrlParts | None:
    """The parts of a hosted repository's URL; ``None`` for any other URL or path.

    ``https://github.com/o/r.git/``, ``ssh://git@github.com/o/r`` and ``git@github.com:o/r.git``
    all have host ``github.com`` and path ``o/r``; an scp-like URL has scheme ``ssh``.
    ``file://`` URLs, local paths and unparsable URLs give ``None``.
    """
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https", "ssh", "git") or not parts.hostname:
            return None
        try:
            port, bad_port = parts.port, False
        except ValueError:
            port, bad_port = None, True
        return GitUrlParts(parts.scheme, parts.hostname.lower(), _bare(parts.path), port, bad_port)
    scp = _SCP_LIKE.match(url)
    if scp is not None and not url.startswith(("/", "~", ".")):
        return GitUrlParts("ssh", scp.group("host").lower(), _bare(scp.group("path")))
    return None


def _bare(path: str) -> str:
    return path.strip("/").removesuffix(".git").rstrip("/")


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL or a plain path names; ``None`` for a network URL."""
    parsed = urlsplit(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None
        from urllib.request import url2pathname

        return Path(url2pathname(parsed.path))
    if parsed.scheme in ("http", "https"):
        return None
    if len(parsed.scheme) > 1:  # some other scheme (ftp:, s3:, ...); a Windows drive is one letter
        return None
    return Path(url)

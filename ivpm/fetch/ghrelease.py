"""Fetching ``src: gh-rls`` dependencies: one asset of a GitHub release, unpacked like an archive.

The release is found through the GitHub REST API (``GITHUB_API_URL``, default
``https://api.github.com``; ``GITHUB_TOKEN`` or ``GH_TOKEN`` is sent when set), chosen by
``version`` (:mod:`ivpm.fetch.ghversions`), and its asset by ``source``, ``file`` or this
machine's platform (:mod:`ivpm.fetch.ghassets`). The download, the unpacking and the record
are :func:`ivpm.fetch.archive.fetch_archive`'s: the archive record
``packages/.ivpm-archives/<name>.json`` also names the ``repo``, ``tag`` and ``asset`` chosen,
and while the ivpm.yaml settings it holds are unchanged
:func:`~ivpm.fetch.archive.kept_archive` keeps ``packages/<name>`` without asking GitHub (the
parallel fetcher asks it before calling :func:`fetch_release`).
"""

from __future__ import annotations

import logging
import os
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivpm import __version__
from ivpm.fetch import ghassets, ghversions
from ivpm.fetch.archive import Download, fetch_archive
from ivpm.fetch.http import HttpError, get_json
from ivpm.fetch.result import DepFetchError, FetchResult
from ivpm.project.model import Dep

log = logging.getLogger("ivpm")

DEFAULT_API_URL = "https://api.github.com"
_PAGE_SIZE = 100
_MAX_PAGES = 5
_SHOWN_NAMES = 10
_TOKEN_HINT = (
    "set GITHUB_TOKEN (or GH_TOKEN) to a GitHub token: authenticated API requests have a much "
    "higher rate limit"
)


@dataclass(frozen=True)
class Repo:
    """A GitHub repository and the REST API base that serves it."""

    owner: str
    name: str
    api: str

    @property
    def slug(self) -> str:
        """``OWNER/REPO``."""
        return f"{self.owner}/{self.name}"

    def endpoint(self, path: str) -> str:
        """The API URL of ``/repos/OWNER/REPO/<path>``."""
        quoted = urllib.parse.quote
        return f"{self.api}/repos/{quoted(self.owner)}/{quoted(self.name)}/{path}"


def fetch_release(dep: Dep, dest: Path) -> FetchResult:
    """Fetch the release asset ``dep`` asks for into ``dest`` (``packages/<name>``).

    The release and asset are chosen (API requests) and the archive replaces ``dest``; whether
    an existing ``dest`` can be kept is :func:`~ivpm.fetch.archive.kept_archive`'s to say,
    before this is called. Raises :class:`DepFetchError` naming the dep and the URL for every
    failure.
    """
    repo = parse_repo(dep)
    release = find_release(dep, repo)
    tag = str(release.get("tag_name") or "")
    download = choose_download(dep, repo, release, ghassets.host_platform())
    log.info("%s: release %s of %s, %s", dep.name, tag, repo.slug, download.filename)
    details = {"repo": repo.slug, "tag": tag, "asset": download.filename}
    return fetch_archive(dep, dest, download, details=details)


def parse_repo(dep: Dep) -> Repo:
    """OWNER/REPO from ``dep.url`` and the API base for its host.

    For github.com the base is ``GITHUB_API_URL`` (default :data:`DEFAULT_API_URL`); for
    another host (GitHub Enterprise) it is ``GITHUB_API_URL`` or ``https://HOST/api/v3``.
    """
    url = dep.url or ""
    parts = urllib.parse.urlsplit(url.strip())
    segments = [part for part in parts.path.split("/") if part]
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(segments) < 2
        or (len(segments) > 2 and segments[2] not in ("releases", "tags", "tree"))
    ):
        raise DepFetchError(
            dep,
            f"cannot use {url!r} as a GitHub repository",
            hint="write 'url: https://github.com/OWNER/REPO'",
        )
    host = parts.netloc.lower()
    configured = os.environ.get("GITHUB_API_URL", "").strip().rstrip("/")
    if configured:
        api = configured
    elif host in ("github.com", "www.github.com"):
        api = DEFAULT_API_URL
    else:
        api = f"{parts.scheme}://{parts.netloc}/api/v3"
    return Repo(segments[0], segments[1], api)


def token() -> str | None:
    """``GITHUB_TOKEN``, else ``GH_TOKEN``, else ``None``."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def api_headers(accept: str = "application/vnd.github+json") -> dict[str, str]:
    """The headers of a GitHub API request, with the token when one is set."""
    headers = {
        "Accept": accept,
        "User-Agent": f"ivpm/{__version__}",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    secret = token()
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return headers


def find_release(dep: Dep, repo: Repo) -> dict[str, Any]:
    """The release ``dep.version`` and ``dep.prerelease`` select; never a draft."""
    try:
        wanted = ghversions.wanted(dep.version, prerelease=bool(dep.prerelease))
    except ghversions.VersionError as exc:
        raise DepFetchError(
            dep, str(exc), hint="use 'latest', an exact tag, or a specifier such as '>=1.2'"
        ) from None
    if wanted.kind == "tag":
        for tag in ghversions.tag_spellings(wanted.text):
            found = _get(dep, repo, f"releases/tags/{urllib.parse.quote(tag, safe='')}")
            if isinstance(found, dict) and not found.get("draft"):
                return found
    elif wanted.kind == "latest" and not wanted.prerelease:
        found = _get(dep, repo, "releases/latest")
        if isinstance(found, dict) and not found.get("draft"):
            return found
    releases = list_releases(dep, repo)
    chosen = ghversions.select(releases, wanted)
    if chosen is not None:
        return chosen
    raise _no_release(dep, repo, wanted, releases)


def list_releases(dep: Dep, repo: Repo) -> list[dict[str, Any]]:
    """The repository's releases, newest first, up to :data:`_MAX_PAGES` pages."""
    releases: list[dict[str, Any]] = []
    for page in range(1, _MAX_PAGES + 1):
        batch = _get(dep, repo, f"releases?per_page={_PAGE_SIZE}&page={page}", missing="repo")
        if not isinstance(batch, list):
            raise DepFetchError(
                dep, f"unexpected answer from {repo.endpoint('releases')}: not a list"
            )
        releases.extend(item for item in batch if isinstance(item, dict))
        if len(batch) < _PAGE_SIZE:
            break
    return releases


def choose_download(
    dep: Dep, repo: Repo, release: Mapping[str, Any], host: ghassets.Host
) -> Download:
    """The source tarball (``source: true``), the ``file:`` asset, or the one for ``host``.

    A release without any archive among its assets gives its source tarball. With
    ``unpack: false`` any asset (a single executable, say) may be chosen, not only archives.
    """
    options = dict(dep.options)
    tag = str(release.get("tag_name") or "")
    assets = {
        str(asset["name"]): asset
        for asset in release.get("assets") or ()
        if isinstance(asset, dict) and asset.get("name") and asset.get("browser_download_url")
    }
    names = list(assets)
    pattern = options.get("file")
    if options.get("source") == "true":
        return _source_tarball(dep, repo, release)
    if pattern is not None:
        matches = ghassets.match_file(names, pattern)
        if not matches:
            raise DepFetchError(
                dep,
                f"release {tag} of {repo.slug} has no asset matching 'file: {pattern}'; "
                f"its assets: {_names(names)}",
                hint="'file' is an asset's exact name, a glob such as '*linux*', or a prefix",
            )
        name = matches[0] if len(matches) == 1 else ghassets.pick_asset(matches, host)
        if name is None:
            raise DepFetchError(
                dep,
                f"'file: {pattern}' matches several assets of release {tag} of {repo.slug} and "
                f"none is for {ghassets.describe_host(host)}: {_names(matches)}",
                hint="name one asset exactly with 'file'",
            )
        return _asset_download(assets[name])
    archives_only = dep.unpack is not False
    if not any(
        (ghassets.archive_suffix(n) or not archives_only) and not ghassets.is_companion(n)
        for n in names
    ):
        log.info("%s: release %s has no archive assets; taking its source tarball", dep.name, tag)
        return _source_tarball(dep, repo, release)
    name = ghassets.pick_asset(names, host, archives_only=archives_only)
    if name is None:
        raise DepFetchError(
            dep,
            f"release {tag} of {repo.slug} has no asset for {ghassets.describe_host(host)}; "
            f"its assets: {_names(names)}",
            hint="name the asset with 'file: <name>', or take the source with 'source: true'",
        )
    return _asset_download(assets[name])


def _asset_download(asset: Mapping[str, Any]) -> Download:
    """The asset's download URL; with a token, its API URL (works for private repos too)."""
    name = str(asset["name"])
    api_url = asset.get("url")
    if token() is not None and isinstance(api_url, str) and api_url:
        return Download(api_url, name, api_headers("application/octet-stream"))
    return Download(str(asset["browser_download_url"]), name, {"User-Agent": f"ivpm/{__version__}"})


def _source_tarball(dep: Dep, repo: Repo, release: Mapping[str, Any]) -> Download:
    tag = str(release.get("tag_name") or "")
    url = release.get("tarball_url")
    if not isinstance(url, str) or not url:
        url = repo.endpoint(f"tarball/{urllib.parse.quote(tag, safe='')}")
    safe_tag = tag.replace("/", "-") or "source"
    return Download(url, f"{repo.name}-{safe_tag}.tar.gz", api_headers())


def _get(dep: Dep, repo: Repo, path: str, *, missing: str = "none") -> Any:
    """GET one API path; a 404 is ``None`` (or a "not found" error for ``missing="repo"``)."""
    url = repo.endpoint(path)
    try:
        return get_json(url, headers=api_headers())
    except HttpError as exc:
        if exc.status == 404 and missing == "none":
            return None
        raise _api_error(dep, repo, exc) from None


def _api_error(dep: Dep, repo: Repo, exc: HttpError) -> DepFetchError:
    remaining = exc.headers.get("x-ratelimit-remaining")
    if exc.status == 429 or (exc.status == 403 and remaining == "0"):
        when = _reset_time(exc.headers.get("x-ratelimit-reset", ""))
        reason = f"GitHub API rate limit reached ({exc.reason}){when}"
        if token() is not None:
            return DepFetchError(
                dep, reason, hint="the token's limit is used up; wait, or use another token"
            )
        return DepFetchError(dep, reason, hint=_TOKEN_HINT)
    if exc.status == 404:
        return DepFetchError(
            dep,
            f"repository {repo.slug} not found ({exc.reason})",
            hint="check the url; a private repository needs GITHUB_TOKEN (or GH_TOKEN)",
        )
    if exc.status == 401:
        return DepFetchError(
            dep, f"GitHub refused the token ({exc.reason})", hint="check GITHUB_TOKEN / GH_TOKEN"
        )
    return DepFetchError(dep, exc.reason, hint=exc.hint)


def _reset_time(text: str) -> str:
    if not text.isdigit():
        return ""
    minutes = max(0, int(text) - int(time.time())) // 60 + 1
    return f"; it resets in about {minutes} minute{'s' if minutes != 1 else ''}"


def _no_release(
    dep: Dep, repo: Repo, wanted: ghversions.Wanted, releases: list[dict[str, Any]]
) -> DepFetchError:
    tags = [str(item.get("tag_name")) for item in releases if not item.get("draft")]
    where = repo.endpoint("releases")
    if not tags:
        return DepFetchError(dep, f"{repo.slug} has no releases ({where})")
    hint = None
    if not wanted.prerelease and all(item.get("prerelease") for item in releases):
        hint = "its releases are all pre-releases: add 'prerelease: true'"
    return DepFetchError(
        dep,
        f"no release of {repo.slug} matches {wanted.describe()}; "
        f"releases seen at {where}: {_names(tags)}",
        hint=hint or "change 'version': 'latest', an exact tag, or a specifier such as '>=1.2'",
    )


def _names(names: list[str]) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return f"{shown}, ... ({more} more)" if more > 0 else shown

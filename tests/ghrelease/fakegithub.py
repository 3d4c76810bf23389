"""A fake GitHub releases API for one repository, served by a real FileServer on 127.0.0.1."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.httpserver import FileServer


def tarball(top: str, files: dict[str, str]) -> bytes:
    """A .tar.gz holding ``files`` (path -> text) under the folder ``top``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zipball(top: str, files: dict[str, str]) -> bytes:
    """A .zip holding ``files`` under the folder ``top``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(f"{top}/{path}")
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


@dataclass
class Release:
    """One release: its tag, flags, assets (name -> bytes) and source tarball."""

    tag: str
    assets: dict[str, bytes] = field(default_factory=dict)
    prerelease: bool = False
    draft: bool = False
    source: bytes | None = None


class FakeGitHub:
    """``/repos/OWNER/REPO/releases`` (paged), ``/releases/latest``, ``/releases/tags/TAG``,
    the assets (browser and API URLs) and the source tarballs of the releases added."""

    def __init__(self, server: FileServer, owner: str = "acme", repo: str = "tool") -> None:
        self.server = server
        self.owner = owner
        self.repo = repo
        self.releases: list[Release] = []  # newest first

    @property
    def base(self) -> str:
        """The API path of the repository."""
        return f"/repos/{self.owner}/{self.repo}"

    @property
    def html_url(self) -> str:
        """What a user writes as the dep's ``url``."""
        return f"https://github.com/{self.owner}/{self.repo}"

    def add(self, release: Release) -> Release:
        """Add ``release`` as the newest one and publish the API again."""
        self.releases.insert(0, release)
        self.publish()
        return release

    def publish(self, *, page_size: int = 100) -> None:
        """Serve the API answers for the current releases."""
        documents = [self._document(index, rel) for index, rel in enumerate(self.releases)]
        pages = [documents[i : i + page_size] for i in range(0, len(documents), page_size)] or [[]]
        for number, page in enumerate(pages, start=1):
            self.server.add_json(f"{self.base}/releases?per_page=100&page={number}", page)
        self.server.add_json(f"{self.base}/releases?per_page=100&page={len(pages) + 1}", [])
        for rel, doc in zip(self.releases, documents, strict=True):
            if not rel.draft:
                self.server.add_json(f"{self.base}/releases/tags/{rel.tag}", doc)
        latest = next(
            (
                doc
                for rel, doc in zip(self.releases, documents, strict=True)
                if not rel.draft and not rel.prerelease
            ),
            None,
        )
        if latest is not None:
            self.server.add_json(f"{self.base}/releases/latest", latest)

    def api_requests(self) -> list[str]:
        """The API paths requested so far (asset downloads left out)."""
        return [
            path
            for path, _ in self.server.requests
            if path.startswith(self.base)
            and "/assets/" not in path
            and "/download/" not in path
            and "/tarball/" not in path
        ]

    def _document(self, index: int, rel: Release) -> dict[str, Any]:
        url = self.server.url
        assets = []
        for number, (name, body) in enumerate(rel.assets.items()):
            asset_id = index * 1000 + number
            browser = f"/{self.owner}/{self.repo}/releases/download/{rel.tag}/{name}"
            api = f"{self.base}/releases/assets/{asset_id}"
            self.server.add(browser, body)
            self.server.add(api, body)
            assets.append(
                {
                    "id": asset_id,
                    "name": name,
                    "url": url + api,
                    "browser_download_url": url + browser,
                }
            )
        source = rel.source or tarball(f"{self.owner}-{self.repo}-abc1234", {"SOURCE": rel.tag})
        self.server.add(f"{self.base}/tarball/{rel.tag}", source)
        return {
            "tag_name": rel.tag,
            "name": rel.tag,
            "draft": rel.draft,
            "prerelease": rel.prerelease,
            "assets": assets,
            "tarball_url": f"{url}{self.base}/tarball/{rel.tag}",
            "zipball_url": f"{url}{self.base}/zipball/{rel.tag}",
        }

"""Which GitHub release a ``src: gh-rls`` dep's ``version`` and ``prerelease`` select.

``version`` is ``latest`` (or absent): the newest release; a PEP 440 specifier (it starts with
``<``, ``>``, ``=``, ``!`` or ``~``): the highest release whose tag satisfies it; anything else:
an exact tag (``v5.020``, ``26Q1``), also found as ``v<tag>`` or as a tag of the same version
(``5.20`` finds ``v5.020``). A tag's version is the tag with a leading ``v`` (or any leading
non-digits, as in ``yosys-0.40``) removed. Pre-releases (GitHub's flag, or a PEP 440
pre-release version) are taken only with ``prerelease: true``, except by an exact tag. Drafts
are never taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

Kind = Literal["latest", "spec", "tag"]
_LEADING_NON_DIGITS = re.compile(r"^[^0-9]+")


@dataclass(frozen=True)
class Wanted:
    """What ``version`` asks for: ``kind`` and its text, and whether pre-releases count."""

    kind: Kind
    text: str
    prerelease: bool

    def describe(self) -> str:
        """``version: >=1.2`` (with the pre-release setting), for error messages."""
        if self.kind == "latest":
            what = "the latest release"
        elif self.kind == "spec":
            what = f"'version: {self.text}'"
        else:
            what = f"tag '{self.text}'"
        if self.kind != "tag":
            what += " (pre-releases included)" if self.prerelease else " (pre-releases excluded)"
        return what


class VersionError(ValueError):
    """``version`` looks like a specifier but is not a valid one."""


def wanted(version: str | None, *, prerelease: bool) -> Wanted:
    """Classify a dep's ``version`` text; raises :class:`VersionError` for a bad specifier."""
    text = (version or "").strip()
    if not text or text.lower() == "latest":
        return Wanted("latest", "latest", prerelease)
    if text[0] in "<>=!~":
        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            raise VersionError(f"invalid version specifier '{text}'") from None
        return Wanted("spec", text, prerelease)
    return Wanted("tag", text, prerelease)


def tag_spellings(tag: str) -> tuple[str, ...]:
    """The tags to ask for by name: ``tag`` itself, then ``v<tag>`` when it has no ``v``."""
    if tag[:1] in ("v", "V") or not tag[:1].isdigit():
        return (tag,)
    return (tag, f"v{tag}")


def tag_version(tag: str) -> Version | None:
    """The PEP 440 version a tag names (``v5.020`` -> 5.20), or ``None``."""
    text = tag.strip()
    candidates = [text[1:] if text[:1] in ("v", "V") else text, _LEADING_NON_DIGITS.sub("", text)]
    for candidate in candidates:
        try:
            return Version(candidate)
        except InvalidVersion:
            continue
    return None


def is_prerelease(release: Mapping[str, Any]) -> bool:
    """GitHub's pre-release flag, or a pre-release (or dev) version in the tag."""
    if release.get("prerelease"):
        return True
    version = tag_version(str(release.get("tag_name") or ""))
    return version is not None and version.is_prerelease


def select(releases: Sequence[Mapping[str, Any]], want: Wanted) -> dict[str, Any] | None:
    """The release of ``releases`` (newest first, as the API lists them) ``want`` selects."""
    usable = [dict(item) for item in releases if not item.get("draft") and item.get("tag_name")]
    if want.kind == "tag":
        return _by_tag(usable, want.text)
    candidates = [item for item in usable if want.prerelease or not is_prerelease(item)]
    if want.kind == "spec":
        spec = SpecifierSet(want.text)
        candidates = [
            item
            for item in candidates
            if (version := tag_version(str(item["tag_name"]))) is not None
            and spec.contains(version, prereleases=True)
        ]
    return _highest(candidates)


def _by_tag(releases: Iterable[dict[str, Any]], tag: str) -> dict[str, Any] | None:
    items = list(releases)
    for spelling in tag_spellings(tag):
        for item in items:
            if item["tag_name"] == spelling:
                return item
    try:
        version = Version(tag)
    except InvalidVersion:
        return None
    return next((item for item in items if tag_version(str(item["tag_name"])) == version), None)


def _highest(releases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The release with the highest tag version; the first listed when no tag is a version."""
    versioned = [
        (version, -index, item)
        for index, item in enumerate(releases)
        if (version := _version(item)) is not None
    ]
    if versioned:
        return max(versioned, key=lambda entry: (entry[0], entry[1]))[2]
    return releases[0] if releases else None


def _version(item: Mapping[str, Any]) -> Version | None:
    return tag_version(str(item.get("tag_name") or ""))

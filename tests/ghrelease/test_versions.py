"""Which release a gh-rls dep's ``version`` and ``prerelease`` select (no network)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ivpm.fetch.ghversions import VersionError, select, tag_version, wanted


def rel(tag: str, *, pre: bool = False, draft: bool = False) -> dict[str, Any]:
    return {"tag_name": tag, "prerelease": pre, "draft": draft, "assets": []}


RELEASES = [  # newest first, as the API lists them
    rel("v2.1.0-rc1", pre=True),
    rel("v3.0.0", draft=True),
    rel("v2.0.1"),
    rel("v2.0.0"),
    rel("v1.10.0"),
    rel("v1.9.0"),
    rel("v1.2.0b1"),  # a PEP 440 pre-release GitHub does not flag
]


def pick(version: str | None, prerelease: bool = False) -> str | None:
    chosen = select(RELEASES, wanted(version, prerelease=prerelease))
    return None if chosen is None else str(chosen["tag_name"])


def test_latest_is_the_highest_non_prerelease_and_never_a_draft() -> None:
    assert pick(None) == "v2.0.1"
    assert pick("latest") == "v2.0.1"
    assert pick("latest", prerelease=True) == "v2.1.0-rc1"


def test_specifier_takes_the_highest_match() -> None:
    assert pick(">=1.0,<2") == "v1.10.0"
    assert pick("<1.9") is None
    assert pick("<1.9", prerelease=True) == "v1.2.0b1"
    assert pick("~=2.0") == "v2.0.1"
    assert pick(">2.0.1") is None
    assert pick(">2.0.1", prerelease=True) == "v2.1.0-rc1"
    assert pick(">=3") is None  # only a draft


def test_exact_tag_with_or_without_v_and_prerelease_by_name() -> None:
    assert pick("v1.9.0") == "v1.9.0"
    assert pick("1.9.0") == "v1.9.0"
    assert pick("v2.1.0-rc1") == "v2.1.0-rc1"  # named exactly: pre-release or not
    assert pick("v3.0.0") is None  # a draft
    assert pick("v9.9") is None


def test_tags_with_leading_zeros_and_odd_names() -> None:
    releases = [rel("v5.020"), rel("v5.019"), rel("26Q1"), rel("yosys-0.40")]
    assert select(releases, wanted("v5.020", prerelease=False)) == releases[0]
    assert select(releases, wanted("5.20", prerelease=False)) == releases[0]
    assert select(releases, wanted("26Q1", prerelease=False)) == releases[2]
    assert select(releases, wanted("<5.020", prerelease=False)) == releases[1]
    assert select(releases, wanted("<1", prerelease=False)) == releases[3]
    assert tag_version("v5.049.27094495137") is not None
    assert tag_version("nightly") is None


def test_latest_without_version_tags_is_the_newest_listed() -> None:
    releases = [rel("nightly-b"), rel("nightly-a")]
    assert select(releases, wanted("latest", prerelease=True)) == releases[0]


def test_a_broken_specifier_is_an_error() -> None:
    with pytest.raises(VersionError, match=re.escape("invalid version specifier '>=1..2'")):
        wanted(">=1..2", prerelease=False)

"""Index settings: merging env < ivpm.yaml < command line, and the pip and uv flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivpm.project.model import PythonSettings
from ivpm.pyenv.index import IndexSettings, merge_index_settings


def test_environment_variables_are_read() -> None:
    settings = IndexSettings.from_environ(
        {
            "IVPM_INDEX_URL": "https://mirror/simple",
            "IVPM_EXTRA_INDEX_URL": "https://a/simple  https://b/simple",
            "IVPM_FIND_LINKS": "/wheels https://host/links",
            "IVPM_NO_INDEX": "1",
        }
    )
    assert settings == IndexSettings(
        index_url="https://mirror/simple",
        extra_index_urls=("https://a/simple", "https://b/simple"),
        find_links=("/wheels", "https://host/links"),
        no_index=True,
    )
    assert IndexSettings.from_environ({}).is_default


@pytest.mark.parametrize("value", ["0", "", "no"])
def test_no_index_needs_a_true_value(value: str) -> None:
    assert not IndexSettings.from_environ({"IVPM_NO_INDEX": value}).no_index


def test_command_line_beats_yaml_beats_environment(tmp_path: Path) -> None:
    environ = {
        "IVPM_INDEX_URL": "https://env/simple",
        "IVPM_EXTRA_INDEX_URL": "https://env-extra/simple",
        "IVPM_FIND_LINKS": "/env-wheels",
    }
    yaml = PythonSettings(
        index_url="https://yaml/simple",
        extra_index_urls=("https://yaml-extra/simple",),
        find_links=("wheels",),
    )
    merged = merge_index_settings(yaml, None, project_root=tmp_path, environ=environ)
    assert merged.index_url == "https://yaml/simple"
    assert merged.extra_index_urls == ("https://yaml-extra/simple", "https://env-extra/simple")
    assert merged.find_links == (str(tmp_path / "wheels"), "/env-wheels")

    cli = IndexSettings(index_url="https://cli/simple", find_links=("/cli-wheels",), pre=True)
    merged = merge_index_settings(yaml, cli, project_root=tmp_path, environ=environ)
    assert merged.index_url == "https://cli/simple"
    assert merged.find_links[0] == "/cli-wheels"
    assert merged.pre and not merged.no_index


def test_merged_takes_command_line_options_as_keywords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    merged = IndexSettings.merged(
        PythonSettings(no_index=True),
        index_url=None,
        extra_index_urls=None,
        find_links=["rel-wheels"],
        pre=True,
        environ={},
    )
    assert merged == IndexSettings(
        find_links=(str(tmp_path / "rel-wheels"),), no_index=True, pre=True
    )
    assert merged.as_record() == {
        "index_url": None,
        "extra_index_urls": [],
        "find_links": [str(tmp_path / "rel-wheels")],
        "no_index": True,
        "pre": True,
    }


def test_duplicates_are_dropped() -> None:
    low = IndexSettings(find_links=("/w", "/x"))
    assert low.overridden_by(IndexSettings(find_links=("/x",))).find_links == ("/x", "/w")


def test_pip_flags() -> None:
    settings = IndexSettings(
        index_url="https://i/simple",
        extra_index_urls=("https://e/simple",),
        find_links=("/w",),
        no_index=True,
        pre=True,
    )
    assert settings.pip_args() == [
        "--no-index",
        *("--index-url", "https://i/simple"),
        *("--extra-index-url", "https://e/simple"),
        *("--find-links", "/w"),
        "--pre",
    ]
    assert IndexSettings().pip_args() == []


def test_uv_flags_follow_pip_semantics() -> None:
    settings = IndexSettings(
        index_url="https://i/simple",
        extra_index_urls=("https://e/simple",),
        find_links=("/w",),
        no_index=True,
        pre=True,
    )
    assert settings.uv_args({}) == [
        "--no-index",
        *("--default-index", "https://i/simple"),
        *("--index", "https://e/simple"),
        *("--index-strategy", "unsafe-best-match"),
        *("--find-links", "/w"),
        "--prerelease=allow",
    ]
    # Only extra indexes need pip's best-match strategy, and the user's choice wins.
    assert "--index-strategy" not in IndexSettings(find_links=("/w",)).uv_args({})
    user_choice = {"UV_INDEX_STRATEGY": "first-index"}
    assert "--index-strategy" not in settings.uv_args(user_choice)

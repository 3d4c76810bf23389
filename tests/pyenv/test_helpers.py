"""uv discovery, interpreter choice, error excerpts and in-process distribution reading."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from ivpm.errors import UsageError
from ivpm.pyenv import uvfind
from ivpm.pyenv.distributions import (
    editable_location,
    installed_distributions,
    removable_distributions,
)
from ivpm.pyenv.interpreter import resolve_python
from ivpm.pyenv.output import error_excerpt
from ivpm.pyenv.uvfind import find_uv
from ivpm.pyenv.uvopts import uv_install_options


def _executable(path: Path, text: str = "#!/bin/sh\n") -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


# --- find_uv ---------------------------------------------------------------------------------


def test_find_uv_prefers_ivpm_uv(tmp_path: Path) -> None:
    fake = _executable(tmp_path / "my-uv")
    assert find_uv({"IVPM_UV": str(fake), "PATH": ""}) == str(fake)


@pytest.mark.parametrize("kind", ["missing", "not-executable"])
def test_find_uv_rejects_a_bad_ivpm_uv(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "uv"
    if kind == "not-executable":
        target.write_text("")
    with pytest.raises(UsageError) as caught:
        find_uv({"IVPM_UV": str(target)})
    assert "IVPM_UV" in caught.value.message and caught.value.hint


def test_find_uv_then_the_uv_package_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = _executable(tmp_path / "uv")
    packaged = _executable(tmp_path / "packaged-uv")
    monkeypatch.setattr(uvfind, "_packaged_uv", lambda: str(packaged))
    assert find_uv({"PATH": str(tmp_path)}) == str(packaged)
    monkeypatch.setattr(uvfind, "_packaged_uv", lambda: None)
    assert find_uv({"PATH": str(tmp_path)}) == str(on_path)
    assert find_uv({"PATH": str(tmp_path / "empty")}) is None


def test_packaged_uv_is_found_when_installed() -> None:
    pytest.importorskip("uv")
    found = uvfind._packaged_uv()
    assert found is not None and os.access(found, os.X_OK)


# --- resolve_python --------------------------------------------------------------------------


def test_resolve_python_order(tmp_path: Path) -> None:
    option = _executable(tmp_path / "python-option")
    configured = _executable(tmp_path / "python-env")
    env = {"IVPM_PYTHON": str(configured), "PATH": ""}
    assert resolve_python(str(option), env) == str(option)
    assert resolve_python(None, env) == str(configured)
    default = resolve_python(None, {})
    assert os.path.realpath(default) == os.path.realpath(
        getattr(sys, "_base_executable", sys.executable)
    )


def test_resolve_python_looks_bare_names_up_on_path(tmp_path: Path) -> None:
    found = _executable(tmp_path / "python3.42")
    assert resolve_python("python3.42", {"PATH": str(tmp_path)}) == str(found)


@pytest.mark.parametrize("value", ["python3.404", "/no/such/python"])
def test_resolve_python_missing_is_a_usage_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_python(value, {"PATH": str(tmp_path)})
    assert value in caught.value.message and caught.value.hint


def test_missing_ivpm_python_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="IVPM_PYTHON"):
        resolve_python(None, {"IVPM_PYTHON": "python3.404", "PATH": str(tmp_path)})


# --- uv options ------------------------------------------------------------------------------


def test_uv_copies_files_unless_the_user_chose_a_link_mode() -> None:
    assert uv_install_options({})[-2:] == ["--link-mode", "copy"]
    assert "--link-mode" not in uv_install_options({"UV_LINK_MODE": "hardlink"})
    # The seeding of pip into a new environment links (nobody edits pip's own files).
    assert uv_install_options({}, link_mode="hardlink")[-2:] == ["--link-mode", "hardlink"]
    assert "--link-mode" not in uv_install_options({"UV_LINK_MODE": "copy"}, link_mode="hardlink")


# --- error_excerpt ---------------------------------------------------------------------------


def test_error_excerpt_starts_at_the_first_error_line() -> None:
    output = "Looking in links: /w\nProcessing x\nERROR: Could not find x\nERROR: No matching\n\n"
    assert error_excerpt(output) == "ERROR: Could not find x\nERROR: No matching"


def test_error_excerpt_keeps_the_tail_of_long_output() -> None:
    output = "\x1b[31merror:\x1b[0m start\n" + "\n".join(f"line {n}" for n in range(100))
    excerpt = error_excerpt(output, max_lines=10).splitlines()
    assert len(excerpt) == 10
    assert excerpt[0] == "... (92 earlier lines left out)" and excerpt[-1] == "line 99"


def test_error_excerpt_strips_colour_codes() -> None:
    assert error_excerpt("progress\n\x1b[1;31merror\x1b[0m: boom\n") == "error: boom"


def test_error_excerpt_of_short_output_without_markers_is_all_of_it() -> None:
    assert error_excerpt("a\nb\n") == "a\nb"


# --- distributions ---------------------------------------------------------------------------


def _dist_info(site: Path, folder: str, name: str, version: str) -> Path:
    info = site / folder
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-this\n"
    )
    return info


def test_installed_distributions_reads_metadata(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    _dist_info(site, "Foo_Bar-1.0.dist-info", "Foo.Bar", "1.0")
    _dist_info(site, "baz-2.0rc1.dist-info", "baz", "2.0rc1")
    legacy = site / "old.egg-info"
    legacy.mkdir()
    (legacy / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: Old\nVersion: 0.1\n")
    (site / "broken.dist-info").mkdir()  # no METADATA: ignored
    assert installed_distributions(tmp_path) == {"foo-bar": "1.0", "baz": "2.0rc1", "old": "0.1"}
    assert installed_distributions(tmp_path / "missing") == {}


def test_editable_location_from_direct_url(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    source = tmp_path / "my src"
    info = _dist_info(site, "my_pkg-0.1.dist-info", "my-pkg", "0.1")
    (info / "direct_url.json").write_text(
        json.dumps({"url": source.as_uri(), "dir_info": {"editable": True}})
    )
    plain = _dist_info(site, "other-1.0.dist-info", "other", "1.0")
    (plain / "direct_url.json").write_text(json.dumps({"url": source.as_uri(), "dir_info": {}}))
    assert editable_location(tmp_path, "My_Pkg") == source
    assert editable_location(tmp_path, "other") is None
    assert editable_location(tmp_path, "absent") is None


def test_removable_distributions_of_a_missing_venv_is_empty(tmp_path: Path) -> None:
    assert removable_distributions(tmp_path / "none", []) == []

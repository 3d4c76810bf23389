"""The test wheelhouse helper: valid deterministic wheels, idempotence, a hermetic env."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers.wheelhouse import build_wheelhouse, fixture_dists, hermetic_env, wheel_names


def test_fixture_wheels_are_valid_and_deterministic(tmp_path: Path) -> None:
    first = build_wheelhouse(tmp_path / "a", third_party=False)
    second = build_wheelhouse(tmp_path / "b", third_party=False)
    found = {name: sorted(versions) for name, versions in wheel_names(first).items()}
    assert found == {dist.name: sorted(dist.versions) for dist in fixture_dists()}
    assert found["ivpmtest-alpha"] == ["1.0.0", "1.1.0", "2.0.0", "2.1.0rc1"]
    for wheel in sorted(first.glob("*.whl")):
        assert wheel.read_bytes() == (second / wheel.name).read_bytes()
        with zipfile.ZipFile(wheel) as archive:
            (record,) = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
            for line in archive.read(record).decode().splitlines():
                path, digest, size = line.split(",")
                if path == record:
                    continue
                data = archive.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                assert digest == f"sha256={expected.decode()}" and int(size) == len(data)


def test_build_wheelhouse_is_idempotent(tmp_path: Path) -> None:
    house = build_wheelhouse(tmp_path / "w", third_party=False)
    wheel = next(house.glob("ivpmtest_beta-*.whl"))
    stamp = wheel.stat().st_mtime_ns
    assert build_wheelhouse(tmp_path / "w", third_party=False) == house
    assert wheel.stat().st_mtime_ns == stamp


def test_concurrent_builds_of_one_wheelhouse(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    code = (
        f"import sys; sys.path.insert(0, {str(root)!r}); "
        "from pathlib import Path; from tests.helpers.wheelhouse import build_wheelhouse; "
        f"build_wheelhouse(Path({str(tmp_path / 'w')!r}), third_party=False)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert len(wheel_names(tmp_path / "w")["ivpmtest-alpha"]) == 4
    assert not list((tmp_path / "w").glob("*.tmp"))


def test_session_wheelhouse_has_the_third_party_wheels(wheelhouse: Path) -> None:
    assert {"setuptools", "wheel", "cython"} <= set(wheel_names(wheelhouse))


def test_hermetic_env_drops_pip_and_uv_configuration(tmp_path: Path) -> None:
    env = hermetic_env(
        {
            "PATH": "/bin",
            "PIP_FIND_LINKS": "/opt/wheels",
            "PIP_INDEX_URL": "https://x",
            "UV_INDEX_URL": "https://y",
            "UV_LINK_MODE": "symlink",
            "VIRTUAL_ENV": "/somewhere",
        },
        uv_cache_dir=tmp_path / "uv",
        keep=["UV_LINK_MODE"],
    )
    assert env["PATH"] == "/bin"
    assert env["PIP_CONFIG_FILE"] == "/dev/null"
    assert env["UV_NO_CONFIG"] == "1"
    assert env["UV_CACHE_DIR"] == str(tmp_path / "uv")
    assert env["UV_LINK_MODE"] == "symlink"
    for gone in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "UV_INDEX_URL", "VIRTUAL_ENV"):
        assert gone not in env

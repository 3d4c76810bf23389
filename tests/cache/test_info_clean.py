"""``ivpm cache info`` and ``ivpm cache clean``, run as real commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from filelock import FileLock

from ivpm.cache import Cache, git_key
from ivpm.cache.meta import meta_path
from ivpm.cache.store import lock_path
from ivpm.sizes import parse_size
from tests.cache.conftest import cache_cli, cache_info


def add_entry(cache_dir: Path, name: str, size: int, days_ago: float) -> Path:
    """An entry of ``size`` bytes last used ``days_ago`` days ago."""

    def make(folder: Path) -> None:
        (folder / "data.bin").write_bytes(b"x" * size)

    key = git_key(f"https://example.org/{name}.git", name[0] * 40)
    filled = Cache(cache_dir).fill_entry(key, make, name=name, details={"commit": name[0] * 40})
    entry = filled.path
    data = json.loads(meta_path(entry).read_text())
    data["last_used"] = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    meta_path(entry).write_text(json.dumps(data))
    return entry


def names(info: dict[str, object]) -> list[str]:
    entries = info["entries"]
    assert isinstance(entries, list)
    return sorted(entry["name"] for entry in entries)


def test_parse_size() -> None:
    assert parse_size("500M") == 500 * 1024**2
    assert parse_size("2G") == 2 * 1024**3
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size("100k") == 102400
    assert parse_size("4096") == 4096
    with pytest.raises(ValueError):
        parse_size("lots")


def test_info_lists_entries(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    add_entry(cache_dir, "alpha", 1000, 1)
    add_entry(cache_dir, "beta", 3000, 2)
    info = cache_info(cache_dir, tmp_path)
    assert info["root"] == str(cache_dir)
    assert info["count"] == 2
    assert info["size"] == 4000
    first = info["entries"][0]
    assert (first["name"], first["kind"], first["url"]) == ("alpha", "git", "example.org/alpha")
    assert first["version"] == "a" * 40
    assert first["size"] == 1000
    assert first["last_used"] is not None
    text = cache_cli(cache_dir, tmp_path, "info")
    assert text.returncode == 0, text.stderr
    assert f"cache {cache_dir}: 2 entries" in text.stdout
    assert "alpha" in text.stdout and "aaaaaaaaaaaa" in text.stdout


def test_info_of_a_missing_cache(tmp_path: Path) -> None:
    info = cache_info(tmp_path / "nothing-here", tmp_path)
    assert (info["count"], info["size"], info["entries"]) == (0, 0, [])


def test_clean_older_than(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    old = add_entry(cache_dir, "old", 10, 30)
    add_entry(cache_dir, "recent", 10, 1)
    result = cache_cli(cache_dir, tmp_path, "clean", "--older-than", "7")
    assert result.returncode == 0, result.stderr
    assert "removed 1 entry" in result.stdout
    assert names(cache_info(cache_dir, tmp_path)) == ["recent"]
    assert not old.exists() and not meta_path(old).exists()


def test_clean_max_size_removes_least_recently_used(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    add_entry(cache_dir, "oldest", 4096, 9)
    add_entry(cache_dir, "middle", 4096, 5)
    add_entry(cache_dir, "newest", 4096, 1)
    result = cache_cli(cache_dir, tmp_path, "clean", "--max-size", "5K", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(entry["name"] for entry in report["removed"]) == ["middle", "oldest"]
    assert report["freed"] == 8192
    assert names(cache_info(cache_dir, tmp_path)) == ["newest"]


def test_clean_all_spares_an_entry_whose_lock_is_held(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    busy = add_entry(cache_dir, "busy", 10, 100)
    add_entry(cache_dir, "idle", 10, 100)
    with FileLock(str(lock_path(busy))):
        result = cache_cli(cache_dir, tmp_path, "clean", "--all")
    assert result.returncode == 0, result.stderr
    assert "another ivpm is using" in result.stderr
    assert names(cache_info(cache_dir, tmp_path)) == ["busy"]
    again = cache_cli(cache_dir, tmp_path, "clean", "--all")
    assert again.returncode == 0, again.stderr
    assert cache_info(cache_dir, tmp_path)["count"] == 0


def test_clean_removes_leftovers_of_crashed_fills(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    entry = add_entry(cache_dir, "kept", 10, 0)
    leftover = entry.with_name("other-0123456789abcdef.tmp-0badf00d")
    (leftover / "sub").mkdir(parents=True)
    leftover.chmod(0o555)
    result = cache_cli(cache_dir, tmp_path, "clean", "--older-than", "30")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists()
    assert entry.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("clean",), "needs --older-than DAYS, --max-size SIZE or --all"),
        (("prune",), "one action: info or clean"),
        ((), "one action: info or clean"),
        (("clean", "--max-size", "huge"), "not a size"),
    ],
)
def test_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cache_cli(tmp_path / "cache", tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr

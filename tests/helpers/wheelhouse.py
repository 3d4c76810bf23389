"""A local wheelhouse and a hermetic environment for tests that run real pip and uv.

:func:`build_wheelhouse` writes the fixture distributions listed in
``tests/fixtures/pkgs/wheels.toml`` directly as wheels (a wheel is a zip holding the package and
its ``.dist-info``; writing it is much faster than building it and just as valid), and adds the
third-party wheels the suites need (setuptools, wheel, cython, pytest), downloaded once into a cache
directory. :func:`hermetic_env` keeps the machine's pip and uv configuration out of a test's
installer processes. Nothing here depends on pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock
from packaging.utils import canonicalize_name, parse_wheel_filename

from ivpm.pyenv.support_dist import wheel_archive

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pkgs"
WHEELS_SPEC = FIXTURES / "wheels.toml"
MODULE_TEMPLATE = FIXTURES / "template" / "module.py.tmpl"

#: Third-party distributions every wheelhouse holds (with their dependencies).
THIRD_PARTY: tuple[str, ...] = ("setuptools>=70", "wheel", "cython>=3", "pytest>=8")

_RUN_ID = os.environ.get("IVPM_TEST_RUN_ID") or f"{int(time.time())}-{os.getpid()}"
_STALE_RUN_SECONDS = 6 * 3600


@dataclass(frozen=True)
class FixtureDist:
    """One fixture distribution of ``wheels.toml``: a name, its versions and its metadata."""

    name: str
    versions: tuple[str, ...]
    requires: tuple[str, ...] = ()
    scripts: Mapping[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The import name of the distribution's single module."""
        return self.name.replace("-", "_")


def test_cache_dir() -> Path:
    """The cache shared by test runs: ``$IVPM_TEST_CACHE``, else ``~/.cache/ivpm-tests``."""
    configured = os.environ.get("IVPM_TEST_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "ivpm-tests"
    root.mkdir(parents=True, exist_ok=True)
    return root


def fixture_dists() -> list[FixtureDist]:
    """The fixture distributions declared in ``tests/fixtures/pkgs/wheels.toml``."""
    with WHEELS_SPEC.open("rb") as handle:
        data = tomllib.load(handle)
    return [
        FixtureDist(
            name=entry["name"],
            versions=tuple(entry["versions"]),
            requires=tuple(entry.get("requires", ())),
            scripts=dict(entry.get("scripts", {})),
        )
        for entry in data["dist"]
    ]


def write_wheel(dest_dir: Path, dist: FixtureDist, version: str) -> Path:
    """Write a pure-Python wheel of ``dist`` at ``version`` into ``dest_dir``; return its path.

    The archive is deterministic (fixed timestamps, sorted entries), so writing it again gives
    the same bytes and the same hash.
    """
    module = dist.module
    dist_info = f"{module}-{version}.dist-info"
    source = MODULE_TEMPLATE.read_text(encoding="utf-8").format(dist=dist.name, version=version)
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {dist.name}",
        f"Version: {version}",
        f"Summary: ivpm test fixture {dist.name}",
        *(f"Requires-Dist: {requirement}" for requirement in dist.requires),
    ]
    files: dict[str, bytes] = {
        f"{module}/__init__.py": source.encode(),
        f"{dist_info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: ivpm-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    if dist.scripts:
        lines = ["[console_scripts]", *(f"{k} = {v}" for k, v in sorted(dist.scripts.items()))]
        files[f"{dist_info}/entry_points.txt"] = ("\n".join(lines) + "\n").encode()
    wheel = dest_dir / f"{module}-{version}-py3-none-any.whl"
    tmp = wheel.with_name(wheel.name + ".tmp")
    tmp.write_bytes(wheel_archive(files, dist_info))
    os.replace(tmp, wheel)
    return wheel


def third_party_wheels(
    specs: Sequence[str] = THIRD_PARTY, *, python: str = sys.executable
) -> list[Path]:
    """The cached wheels for ``specs`` (and their dependencies), downloading them once.

    Downloads use ``pip download --only-binary=:all:`` with the machine's normal pip
    configuration (this is the one step that reaches a package index). Concurrent callers
    serialise on a file lock; later calls find the completion stamp and return at once.
    """
    cache = test_cache_dir() / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(
        "\n".join([*specs, sys.implementation.cache_tag or "", python]).encode()
    ).hexdigest()[:16]
    stamp = cache / f".complete-{key}"
    with FileLock(str(cache / ".lock")):
        if not stamp.exists():
            with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
                argv = [
                    python,
                    *("-m", "pip", "download", "--disable-pip-version-check", "--no-input"),
                    *("--only-binary=:all:", "--dest", tmp, *specs),
                ]
                completed = subprocess.run(
                    argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
                )
                if completed.returncode != 0:
                    raise RuntimeError(
                        f"could not download the test wheels {list(specs)}:\n"
                        + completed.stdout
                        + completed.stderr
                    )
                names = sorted(p.name for p in Path(tmp).glob("*.whl"))
                for name in names:
                    os.replace(Path(tmp) / name, cache / name)
            stamp.write_text("\n".join(names) + "\n", encoding="utf-8")
        names = stamp.read_text(encoding="utf-8").split()
    return [cache / name for name in names]


def build_wheelhouse(dest: Path, *, third_party: bool = True) -> Path:
    """Fill ``dest`` with the fixture wheels (and the cached third-party wheels); return it.

    Idempotent and safe to call from concurrent processes (a file lock beside ``dest`` guards
    it, and a completion stamp makes repeated calls cheap).
    """
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    stamp = dest / (".complete-full" if third_party else ".complete-fixtures")
    with FileLock(str(dest.parent / f".{dest.name}.lock")):
        if stamp.exists():
            return dest
        for dist in fixture_dists():
            for version in dist.versions:
                write_wheel(dest, dist, version)
        if third_party:
            for wheel in third_party_wheels():
                _link_or_copy(wheel, dest / wheel.name)
        stamp.touch()
    return dest


def wheel_names(wheelhouse: Path) -> dict[str, list[str]]:
    """Map each canonical distribution name in ``wheelhouse`` to its available versions."""
    found: dict[str, list[str]] = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
        found.setdefault(canonicalize_name(name), []).append(str(version))
    return found


def uv_run_cache_dir() -> Path:
    """A uv cache for this test run inside the test cache; stale runs' caches are pruned."""
    runs = test_cache_dir() / "uv-runs"
    runs.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in runs.iterdir():
        try:
            if old.name != _RUN_ID and now - old.stat().st_mtime > _STALE_RUN_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    path = runs / _RUN_ID
    path.mkdir(exist_ok=True)
    return path


def hermetic_env(
    base: Mapping[str, str], *, uv_cache_dir: Path | None = None, keep: Iterable[str] = ()
) -> dict[str, str]:
    """A copy of ``base`` with the machine's pip and uv configuration taken out.

    Drops every ``PIP_*`` and ``UV_*`` variable (except names in ``keep``) and
    ``VIRTUAL_ENV``, then sets ``PIP_CONFIG_FILE=/dev/null`` (pip then loads no configuration
    file at all), ``PIP_DISABLE_PIP_VERSION_CHECK=1``, ``UV_NO_CONFIG=1`` (uv ignores
    ``uv.toml``/``pyproject.toml`` settings), ``UV_PYTHON_DOWNLOADS=never`` and points
    ``UV_CACHE_DIR`` at a per-run cache inside the test cache (or ``uv_cache_dir``), so the
    user's uv cache is never touched but the cache stays warm for the whole run. Variables a
    test wants (e.g. ``IVPM_FIND_LINKS``) are added to the result afterwards.

    ``PYTHONDONTWRITEBYTECODE`` is dropped too: users have bytecode caching, and on a machine
    that turns it off every ivpm process would compile ivpm's modules again (0.3 s a run).
    """
    kept = set(keep)
    env = {
        key: value
        for key, value in base.items()
        if key in kept or not key.startswith(("PIP_", "UV_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["UV_CACHE_DIR"] = str(uv_cache_dir if uv_cache_dir is not None else uv_run_cache_dir())
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _link_or_copy(source: Path, target: Path) -> None:
    if target.exists():
        return
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)

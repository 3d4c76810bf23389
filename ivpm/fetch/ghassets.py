"""Choosing the asset of a GitHub release that fits this machine, from the asset names alone.

An asset name carries an operating system token (``linux``, ``manylinux_2_28``, ``darwin``,
``macos``, ``windows``, ``win64``, ...) and an architecture token (``x86_64``, ``amd64``,
``x64``, ``aarch64``, ``arm64``, ...). :func:`pick_asset` ranks the archives among the assets
against :func:`host_platform`: both tokens matching beats only the OS matching, which beats only
the architecture matching; a name with a token for another OS or architecture is never taken.
Checksum, signature and SBOM files are never taken. Names without any platform token are taken
only when no archive of the release carries one (a platform-independent release).
"""

from __future__ import annotations

import fnmatch
import glob
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Archive endings fetch_archive unpacks, best first on Linux and macOS.
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".zip")
_COMPANION_SUFFIXES = (
    ".sha256",
    ".sha512",
    ".sha1",
    ".md5",
    ".sha256sum",
    ".sha512sum",
    ".asc",
    ".sig",
    ".sign",
    ".minisig",
    ".pem",
    ".cert",
    ".crt",
    ".pub",
    ".sbom",
    ".spdx",
    ".json",
    ".jsonl",
    ".txt",
    ".sigstore",
)
_COMPANION_WORDS = re.compile(r"(checksums?|sha\d*sums?|md5sums?|sbom|provenance)", re.I)

_OS_WORDS: tuple[tuple[str, str], ...] = (
    ("manylinux", "linux"),
    ("musllinux", "linux"),
    ("linux", "linux"),
    ("ubuntu", "linux"),
    ("debian", "linux"),
    ("fedora", "linux"),
    ("centos", "linux"),
    ("rhel", "linux"),
    ("rocky", "linux"),
    ("almalinux", "linux"),
    ("alpine", "linux"),
    ("el7", "linux"),
    ("el8", "linux"),
    ("el9", "linux"),
    ("darwin", "darwin"),
    ("macosx", "darwin"),
    ("macos", "darwin"),
    ("osx", "darwin"),
    ("mac", "darwin"),
    ("apple", "darwin"),
    ("windows", "windows"),
    ("win", "windows"),
    ("mingw", "windows"),
    ("msvc", "windows"),
    ("cygwin", "windows"),
    ("freebsd", "freebsd"),
    ("netbsd", "netbsd"),
    ("openbsd", "openbsd"),
    ("solaris", "sunos"),
    ("illumos", "sunos"),
    ("android", "android"),
    ("ios", "ios"),
    ("wasi", "wasi"),
)
_OS_RE = re.compile(
    r"(?<![a-z0-9])(?P<word>" + "|".join(word for word, _ in _OS_WORDS) + r")(?P<bits>\d*)(?![a-z])"
)
_DISTRO_WORDS = frozenset(
    {"ubuntu", "debian", "fedora", "centos", "rhel", "rocky", "almalinux", "el7", "el8", "el9"}
)
_ARCH_WORDS: tuple[tuple[str, str], ...] = (
    ("x86_64", "x86_64"),
    ("x86-64", "x86_64"),
    ("amd64", "x86_64"),
    ("x64", "x86_64"),
    ("aarch_64", "aarch64"),
    ("aarch64", "aarch64"),
    ("arm64", "aarch64"),
    ("armv8", "aarch64"),
    ("i386", "x86"),
    ("i486", "x86"),
    ("i586", "x86"),
    ("i686", "x86"),
    ("x86", "x86"),
    ("ia32", "x86"),
    ("armv7l", "arm"),
    ("armv7", "arm"),
    ("armv6", "arm"),
    ("armhf", "arm"),
    ("arm", "arm"),
    ("riscv64", "riscv64"),
    ("ppc64le", "ppc64le"),
    ("ppc64", "ppc64"),
    ("s390x", "s390x"),
    ("loongarch64", "loongarch64"),
    ("universal2", "universal"),
    ("universal", "universal"),
)
_ARCH_RE = re.compile(
    r"(?<![a-z0-9])(?P<word>"
    + "|".join(re.escape(word) for word, _ in _ARCH_WORDS)
    + r")(?![a-z0-9])"
)
_MANYLINUX_RE = re.compile(
    r"manylinux_?(?P<major>\d+)_(?P<minor>\d+)|manylinux(?P<legacy>1|2010|2014)"
)
_LEGACY_MANYLINUX = {"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}
#: After an arch token: a cross toolchain's target triple (arm-none-eabi), not the host arch.
_TARGET_RE = re.compile(r"[-_](none|elf|unknown-elf|eabi)(?![a-z0-9])")
_EXTRA_RE = re.compile(r"(?<![a-z0-9])(debug|dbg|symbols|pdb|debuginfo|dsym)(?![a-z0-9])")


@dataclass(frozen=True)
class Host:
    """This machine as asset names describe it: ``os`` (``linux``, ``darwin``, ``windows``,
    ...), ``arch`` (``x86_64``, ``aarch64``, ``x86``, ``arm``, ...), and on Linux its C library
    (``glibc`` or ``musl``, ``None`` when unknown) and glibc version."""

    os: str
    arch: str
    libc: str | None = None
    glibc: tuple[int, int] | None = None


@dataclass(frozen=True)
class Tags:
    """The platform tokens found in one asset name (``None``: the name has none)."""

    os: str | None
    arch: str | None
    libc: str | None = None  # "musl" or "glibc" when the name says so
    distro: bool = False  # names a Linux distribution (ubuntu-22.04, el8, ...)
    glibc: tuple[int, int] | None = None  # the manylinux glibc floor


def host_platform() -> Host:
    """This machine's OS, architecture and C library (``platform.system()``/``machine()``)."""
    system = platform.system().lower()
    arch = normalize_arch(platform.machine())
    if system != "linux":
        return Host(system, arch)
    name, version = platform.libc_ver()
    if name == "glibc":
        parts = version.split(".")
        try:
            return Host(system, arch, "glibc", (int(parts[0]), int(parts[1])))
        except (IndexError, ValueError):
            return Host(system, arch, "glibc")
    musl = "musl" in name or bool(glob.glob("/lib/ld-musl-*"))
    return Host(system, arch, "musl" if musl else None)


def normalize_arch(machine: str) -> str:
    """``platform.machine()`` in the spelling of :data:`_ARCH_WORDS` (``AMD64`` -> ``x86_64``)."""
    value = machine.strip().lower()
    aliases = dict(_ARCH_WORDS)
    if value.startswith("armv7") or value.startswith("armv6"):
        return "arm"
    return aliases.get(value, value)


def is_companion(name: str) -> bool:
    """True for checksum, signature, SBOM and other metadata files that sit beside assets."""
    lower = name.lower()
    return lower.endswith(_COMPANION_SUFFIXES) or bool(_COMPANION_WORDS.search(lower))


def archive_suffix(name: str) -> str | None:
    """The archive ending of ``name`` (``.tar.gz``, ``.zip``, ...), or ``None``."""
    lower = name.lower()
    return next((suffix for suffix in ARCHIVE_SUFFIXES if lower.endswith(suffix)), None)


def asset_tags(name: str) -> Tags:
    """The OS, architecture and libc tokens in an asset name."""
    lower = name.lower()
    os_name: str | None = None
    bits = ""
    libc: str | None = "musl" if re.search(r"musl|alpine", lower) else None
    distro = False
    for match in _OS_RE.finditer(lower):
        word = match["word"]
        os_name = os_name or dict(_OS_WORDS)[word]
        bits = bits or match["bits"]
        distro = distro or word in _DISTRO_WORDS
        if word == "manylinux":
            libc = "glibc"
    # The last arch token: a leading one is often the product's name (arm-gnu-toolchain).
    archs = [
        dict(_ARCH_WORDS)[match["word"]]
        for match in _ARCH_RE.finditer(lower)
        if not _TARGET_RE.match(lower, match.end())
    ]
    arch = archs[-1] if archs else None
    if arch is None and bits in ("32", "64") and os_name in ("windows", "linux"):
        arch = "x86_64" if bits == "64" else "x86"
    if arch is None and os_name == "darwin" and bits == "64":
        arch = "x86_64"
    floor = None
    many = _MANYLINUX_RE.search(lower)
    if many is not None:
        if many["legacy"]:
            floor = _LEGACY_MANYLINUX[many["legacy"]]
        else:
            floor = (int(many["major"]), int(many["minor"]))
    if libc is None and re.search(r"linux[-_]gnu|glibc", lower):
        libc = "glibc"
    return Tags(os_name, arch, libc, distro, floor)


def pick_asset(names: Sequence[str], host: Host, *, archives_only: bool = True) -> str | None:
    """The archive among ``names`` that fits ``host`` best, or ``None`` when none fits.

    ``archives_only=False`` (for ``unpack: false``) lets any file that is not a checksum or
    signature compete too; archives still win a tie.
    """
    archives = [
        name
        for name in names
        if (archive_suffix(name) or not archives_only) and not is_companion(name)
    ]
    tagged = [name for name in archives if _has_tokens(asset_tags(name))]
    if not tagged:
        untagged = sorted(archives, key=lambda name: _format_rank(name, host))
        return untagged[0] if untagged else None
    ranked: list[tuple[tuple[int, ...], int, str]] = []
    for index, name in enumerate(tagged):
        score = _score(asset_tags(name), host)
        if score is not None:
            extras = 1 if _EXTRA_RE.search(name.lower()) else 0
            key = (*score, -extras, -_format_rank(name, host), -len(name))
            ranked.append((key, -index, name))
    if not ranked:
        return None
    return max(ranked)[2]


def match_file(names: Sequence[str], pattern: str) -> list[str]:
    """The assets ``file:`` names: the exact name, else a glob match, else a name prefix.

    Checksum and signature files are left out of glob and prefix matches.
    """
    if pattern in names:
        return [pattern]
    wanted = [name for name in names if not is_companion(name)]
    if any(char in pattern for char in "*?["):
        return [name for name in wanted if fnmatch.fnmatchcase(name, pattern)]
    return [name for name in wanted if name.startswith(pattern)]


def describe_host(host: Host) -> str:
    """``linux x86_64 (glibc 2.36)``: the host as error messages show it."""
    text = f"{host.os} {host.arch}"
    if host.glibc is not None:
        return f"{text} (glibc {host.glibc[0]}.{host.glibc[1]})"
    return f"{text} ({host.libc})" if host.libc else text


def _has_tokens(tags: Tags) -> bool:
    return tags.os is not None or tags.arch is not None


def _score(tags: Tags, host: Host) -> tuple[int, int, int, int] | None:
    """(tier, OS fit, arch fit, glibc floor) for an asset that runs on ``host``, else None."""
    if tags.os is not None and tags.os != host.os:
        return None
    if tags.arch is not None and tags.arch not in (host.arch, "universal"):
        return None
    if tags.arch == "universal" and host.os != "darwin" and tags.os is None:
        return None
    os_fit = 0
    if tags.os is not None:
        os_fit = _linux_fit(tags, host) if host.os == "linux" else 2
        if os_fit < 0:
            return None
    arch_fit = 0 if tags.arch is None else (2 if tags.arch == host.arch else 1)
    tier = 3 if os_fit and arch_fit else (2 if os_fit else 1)
    floor = tags.glibc or (0, 0)
    return (tier, os_fit, arch_fit, floor[0] * 1000 + floor[1])


def _linux_fit(tags: Tags, host: Host) -> int:
    """2: a plain Linux build for this libc; 1: musl on glibc, or a distro build; -1: unusable."""
    if tags.glibc is not None and host.glibc is not None and tags.glibc > host.glibc:
        return -1
    if host.libc == "musl":
        if tags.libc == "glibc":
            return -1
        return 2 if tags.libc == "musl" else 1
    if tags.libc == "musl" or tags.distro:
        return 1
    return 2


def _format_rank(name: str, host: Host) -> int:
    """0 for the archive format preferred on ``host``; higher is less preferred."""
    suffix = archive_suffix(name) or ""
    if host.os == "windows":
        return 0 if suffix == ".zip" else 1 + ARCHIVE_SUFFIXES.index(suffix)
    return ARCHIVE_SUFFIXES.index(suffix) if suffix else len(ARCHIVE_SUFFIXES)

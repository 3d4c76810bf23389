"""Choosing a release asset for a platform from real-world asset names."""

from __future__ import annotations

import pytest

from ivpm.fetch import ghassets
from ivpm.fetch.ghassets import Host, asset_tags, is_companion, match_file, pick_asset

LINUX = Host("linux", "x86_64", "glibc", (2, 36))
LINUX_ARM = Host("linux", "aarch64", "glibc", (2, 36))
OLD_LINUX = Host("linux", "x86_64", "glibc", (2, 17))
ALPINE = Host("linux", "x86_64", "musl")
MAC_ARM = Host("darwin", "aarch64")
MAC_INTEL = Host("darwin", "x86_64")
WINDOWS = Host("windows", "x86_64")

OSS_CAD_SUITE = [
    "oss-cad-suite-linux-x64-20240101.tgz",
    "oss-cad-suite-linux-arm64-20240101.tgz",
    "oss-cad-suite-darwin-x64-20240101.tgz",
    "oss-cad-suite-darwin-arm64-20240101.tgz",
    "oss-cad-suite-windows-x64-20240101.exe",
]
RIPGREP = [
    "ripgrep-14.1.0-aarch64-apple-darwin.tar.gz",
    "ripgrep-14.1.0-aarch64-apple-darwin.tar.gz.sha256",
    "ripgrep-14.1.0-aarch64-unknown-linux-gnu.tar.gz",
    "ripgrep-14.1.0-aarch64-unknown-linux-gnu.tar.gz.sha256",
    "ripgrep-14.1.0-armv7-unknown-linux-gnueabihf.tar.gz",
    "ripgrep-14.1.0-i686-pc-windows-msvc.zip",
    "ripgrep-14.1.0-x86_64-apple-darwin.tar.gz",
    "ripgrep-14.1.0-x86_64-pc-windows-msvc.zip",
    "ripgrep-14.1.0-x86_64-unknown-linux-musl.tar.gz",
    "ripgrep-14.1.0-x86_64-unknown-linux-musl.tar.gz.sha256",
    "ripgrep_14.1.0-1_amd64.deb",
]
VERIBLE = [
    "verible-v0.0-3430-g060bde0f-linux-static-arm64.tar.gz",
    "verible-v0.0-3430-g060bde0f-linux-static-x86_64.tar.gz",
    "verible-v0.0-3430-g060bde0f-macOS.tar.gz",
    "verible-v0.0-3430-g060bde0f-win64.zip",
]
MANYLINUX = [
    "verilator-5.020-manylinux2014_x86_64.tar.gz",
    "verilator-5.020-manylinux_2_28_x86_64.tar.gz",
    "verilator-5.020-manylinux_2_28_aarch64.tar.gz",
    "verilator-5.020-manylinux_2_34_x86_64.tar.gz",
    "verilator-5.020-musllinux_1_2_x86_64.tar.gz",
    "verilator-5.020-manylinux_2_34_x86_64.tar.gz.sha256",
]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (LINUX, "oss-cad-suite-linux-x64-20240101.tgz"),
        (LINUX_ARM, "oss-cad-suite-linux-arm64-20240101.tgz"),
        (MAC_ARM, "oss-cad-suite-darwin-arm64-20240101.tgz"),
        (MAC_INTEL, "oss-cad-suite-darwin-x64-20240101.tgz"),
        (WINDOWS, None),  # only a .exe installer: not an archive
    ],
)
def test_oss_cad_suite_names(host: Host, expected: str | None) -> None:
    assert pick_asset(OSS_CAD_SUITE, host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (LINUX, "ripgrep-14.1.0-x86_64-unknown-linux-musl.tar.gz"),
        (LINUX_ARM, "ripgrep-14.1.0-aarch64-unknown-linux-gnu.tar.gz"),
        (ALPINE, "ripgrep-14.1.0-x86_64-unknown-linux-musl.tar.gz"),
        (MAC_ARM, "ripgrep-14.1.0-aarch64-apple-darwin.tar.gz"),
        (MAC_INTEL, "ripgrep-14.1.0-x86_64-apple-darwin.tar.gz"),
        (WINDOWS, "ripgrep-14.1.0-x86_64-pc-windows-msvc.zip"),
        (Host("windows", "x86"), "ripgrep-14.1.0-i686-pc-windows-msvc.zip"),
        (
            Host("linux", "arm", "glibc", (2, 31)),
            "ripgrep-14.1.0-armv7-unknown-linux-gnueabihf.tar.gz",
        ),
        (Host("linux", "riscv64", "glibc", (2, 36)), None),
        (Host("freebsd", "x86_64"), None),
    ],
)
def test_rust_target_triple_names(host: Host, expected: str | None) -> None:
    assert pick_asset(RIPGREP, host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (LINUX, "verible-v0.0-3430-g060bde0f-linux-static-x86_64.tar.gz"),
        (LINUX_ARM, "verible-v0.0-3430-g060bde0f-linux-static-arm64.tar.gz"),
        (MAC_ARM, "verible-v0.0-3430-g060bde0f-macOS.tar.gz"),  # OS only, no arch token
        (WINDOWS, "verible-v0.0-3430-g060bde0f-win64.zip"),  # win64 means x86_64
    ],
)
def test_verible_names(host: Host, expected: str) -> None:
    assert pick_asset(VERIBLE, host) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (LINUX, "verilator-5.020-manylinux_2_34_x86_64.tar.gz"),
        (Host("linux", "x86_64", "glibc", (2, 31)), "verilator-5.020-manylinux_2_28_x86_64.tar.gz"),
        (OLD_LINUX, "verilator-5.020-manylinux2014_x86_64.tar.gz"),
        (Host("linux", "x86_64", "glibc", (2, 12)), "verilator-5.020-musllinux_1_2_x86_64.tar.gz"),
        (ALPINE, "verilator-5.020-musllinux_1_2_x86_64.tar.gz"),
        (LINUX_ARM, "verilator-5.020-manylinux_2_28_aarch64.tar.gz"),
        (MAC_ARM, None),
    ],
)
def test_manylinux_glibc_floor(host: Host, expected: str | None) -> None:
    assert pick_asset(MANYLINUX, host) == expected


def test_os_and_arch_beat_os_only_and_arch_only() -> None:
    names = ["tool-x86_64.tar.gz", "tool-linux.tar.gz", "tool-linux-x86_64.tar.gz"]
    assert pick_asset(names, LINUX) == "tool-linux-x86_64.tar.gz"
    assert pick_asset(names[:2], LINUX) == "tool-linux.tar.gz"
    assert pick_asset(["tool-x86_64.tar.gz", "tool-aarch64.tar.gz"], LINUX) == "tool-x86_64.tar.gz"


def test_archives_are_preferred_and_debug_builds_are_not() -> None:
    names = [
        "tool-v1.2-x86_64-linux-gnu",
        "tool-v1.2-x86_64-linux-gnu-debug.tar.gz",
        "tool-v1.2-x86_64-linux-gnu.zip",
        "tool-v1.2-x86_64-linux-gnu.tar.gz",
    ]
    assert pick_asset(names, LINUX) == "tool-v1.2-x86_64-linux-gnu.tar.gz"
    assert pick_asset(["tool-win-x64.tar.gz", "tool-win-x64.zip"], WINDOWS) == "tool-win-x64.zip"


def test_untagged_archive_only_when_no_archive_is_tagged() -> None:
    assert pick_asset(["uvm-1.2.tar.gz", "uvm-1.2.tar.gz.asc"], LINUX) == "uvm-1.2.tar.gz"
    assert pick_asset(["ip-1.0.zip", "ip-1.0.tar.gz"], MAC_ARM) == "ip-1.0.tar.gz"
    assert pick_asset(["tool-docs.tar.gz", "tool-linux-x64.tar.gz"], WINDOWS) is None


def test_cross_toolchain_target_is_not_the_host_arch() -> None:
    names = [
        "arm-gnu-toolchain-13.2.rel1-aarch64-arm-none-eabi.tar.xz",
        "arm-gnu-toolchain-13.2.rel1-darwin-arm64-arm-none-eabi.tar.xz",
        "arm-gnu-toolchain-13.2.rel1-mingw-w64-i686-arm-none-eabi.zip",
        "arm-gnu-toolchain-13.2.rel1-x86_64-arm-none-eabi.tar.xz",
    ]
    assert pick_asset(names, LINUX) == "arm-gnu-toolchain-13.2.rel1-x86_64-arm-none-eabi.tar.xz"
    assert (
        pick_asset(names, LINUX_ARM) == "arm-gnu-toolchain-13.2.rel1-aarch64-arm-none-eabi.tar.xz"
    )
    riscv = ["riscv64-unknown-elf-gcc-13.2.0-x86_64-linux-ubuntu22.tar.gz"]
    assert asset_tags(riscv[0]).arch == "x86_64"


@pytest.mark.parametrize(
    "name",
    [
        "tool.tar.gz.sha256",
        "tool.tar.gz.asc",
        "tool.tar.gz.sig",
        "tool-linux-x64.tar.gz.sbom",
        "sbom.spdx.json",
        "SHA256SUMS",
        "checksums.txt",
        "tool_1.0_checksums.txt",
        "multiple.intoto.jsonl",
        "tool.tar.gz.minisig",
    ],
)
def test_companion_files_are_never_picked(name: str) -> None:
    assert is_companion(name)
    assert pick_asset([name], LINUX) is None


def test_darwin_spellings_and_universal() -> None:
    for name in ("tool-macos-arm64.zip", "tool-osx-aarch64.tar.gz", "tool-darwin-arm64.zip"):
        assert pick_asset([name, "tool-linux-x64.tar.gz"], MAC_ARM) == name
    assert pick_asset(["tool-macos-universal.tar.gz"], MAC_ARM) == "tool-macos-universal.tar.gz"
    assert pick_asset(["tool-macos-universal.tar.gz"], LINUX) is None


def test_match_file_exact_glob_and_prefix() -> None:
    names = ["a-linux.tar.gz", "a-linux.tar.gz.sha256", "a-darwin.zip", "b.zip"]
    assert match_file(names, "a-linux.tar.gz.sha256") == ["a-linux.tar.gz.sha256"]
    assert match_file(names, "a-*") == ["a-linux.tar.gz", "a-darwin.zip"]
    assert match_file(names, "a-") == ["a-linux.tar.gz", "a-darwin.zip"]
    assert match_file(names, "c*") == []


def test_host_platform_uses_platform_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ghassets.platform, "system", lambda: "Windows")
    monkeypatch.setattr(ghassets.platform, "machine", lambda: "AMD64")
    assert ghassets.host_platform() == Host("windows", "x86_64")
    monkeypatch.setattr(ghassets.platform, "system", lambda: "Linux")
    monkeypatch.setattr(ghassets.platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(ghassets.platform, "libc_ver", lambda: ("glibc", "2.31"))
    assert ghassets.host_platform() == Host("linux", "aarch64", "glibc", (2, 31))
    monkeypatch.setattr(ghassets.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(ghassets.platform, "machine", lambda: "arm64")
    assert ghassets.host_platform() == Host("darwin", "aarch64")


def test_unpack_false_lets_plain_files_compete() -> None:
    names = ["tool-linux-amd64", "tool-darwin-arm64", "tool-linux-amd64.sha256"]
    assert pick_asset(names, LINUX) is None
    assert pick_asset(names, LINUX, archives_only=False) == "tool-linux-amd64"

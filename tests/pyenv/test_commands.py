"""The installer command lines: how ivpm's inputs become pip and uv flags (no process runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivpm.pyenv import installer as installer_module
from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.installer import InstallRequest, PipInstaller, UvInstaller

INDEX = IndexSettings(no_index=True, find_links=("/wheels",))


def test_pip_install_command(tmp_path: Path) -> None:
    pip = PipInstaller(tmp_path / "venv", env={})
    request = InstallRequest(
        requirements=("a>=1", "b"),
        editable=("/src/pkg",),
        index=INDEX,
        no_build_isolation=True,
        constraints_file=Path("/tmp/c.txt"),
    )
    (command,) = pip.install_commands(request)
    assert command[:4] == [str(tmp_path / "venv" / "bin" / "python"), "-m", "pip", "install"]
    for flag in ("--no-index", "--no-build-isolation", "--disable-pip-version-check"):
        assert flag in command
    assert command[command.index("-c") + 1] == "/tmp/c.txt"
    assert command[-4:] == ["a>=1", "b", "-e", "/src/pkg"]
    assert "--force-reinstall" not in command


def test_pip_reinstalls_a_subset_in_a_second_command(tmp_path: Path) -> None:
    pip = PipInstaller(tmp_path / "venv", env={})
    request = InstallRequest(
        requirements=("A_b==1.0", "c"),
        editable=("/src/pkg",),
        index=INDEX,
        reinstall=("a-b", "/src/pkg"),
    )
    main, subset = pip.install_commands(request)
    assert "--force-reinstall" not in main
    assert subset[-3:] == ["--force-reinstall", "--no-deps", "A_b==1.0"]
    assert "--no-index" in subset

    everything = pip.install_commands(InstallRequest(requirements=("c",), force_reinstall=True))
    assert len(everything) == 1 and "--force-reinstall" in everything[0]


def test_uv_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uv = UvInstaller(tmp_path / "venv", "/bin/uv", env={})
    monkeypatch.setattr(
        installer_module, "editable_distributions", lambda venv: {"pkg-dist": Path("/src/pkg")}
    )
    request = InstallRequest(
        requirements=("A_b==1.0",),
        editable=("/src/pkg[test]",),
        index=IndexSettings(pre=True, extra_index_urls=("https://e/simple",)),
        no_build_isolation=True,
        reinstall=("A_b", "/src/pkg[test]"),
        no_deps=True,
    )
    (command,) = uv.install_commands(request)
    assert command[:5] == [
        "/bin/uv",
        "pip",
        "install",
        "--python",
        str(tmp_path / "venv/bin/python"),
    ]
    for flag in ("--no-build-isolation", "--no-deps", "--prerelease=allow", "unsafe-best-match"):
        assert flag in command
    assert command[command.index("--link-mode") + 1] == "copy"
    packages = [command[i + 1] for i, arg in enumerate(command) if arg == "--reinstall-package"]
    assert packages == ["a-b", "pkg-dist"]
    assert command[-3:] == ["A_b==1.0", "-e", "/src/pkg[test]"]

    forced = uv.install_commands(InstallRequest(requirements=("c",), force_reinstall=True))[0]
    assert "--reinstall" in forced and "--reinstall-package" not in forced


def test_uninstall_commands(tmp_path: Path) -> None:
    pip = PipInstaller(tmp_path, env={}).uninstall_command(["x"])
    assert pip[2:4] == ["pip", "uninstall"] and pip[-2:] == ["--yes", "x"]
    uv = UvInstaller(tmp_path, "/bin/uv", env={}).uninstall_command(["x", "y"])
    assert uv[:3] == ["/bin/uv", "pip", "uninstall"] and uv[-2:] == ["x", "y"]

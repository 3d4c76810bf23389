"""Real pip and real uv installing from the local wheelhouse into real environments."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivpm.errors import SessionFailure, UsageError
from ivpm.layout import venv_python
from ivpm.pyenv import choice as choice_module
from ivpm.pyenv import installer as installer_module
from ivpm.pyenv.choice import InstallerChoice, decide_installer
from ivpm.pyenv.distributions import site_packages_dirs
from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.installer import (
    Installer,
    PipInstaller,
    UvInstaller,
    editable_distributions,
    editable_location,
    installed_distributions,
    make_installer,
    removable_distributions,
)
from ivpm.pyenv.venv import create_venv

KINDS = ["pip", "uv"]

MakeInstaller = Callable[..., Installer]


@pytest.fixture
def make(tmp_path: Path, base_python: str, uv_bin: str, henv: dict[str, str]) -> MakeInstaller:
    """A factory: a fresh environment (built with uv, fast) and an installer of ``kind``."""

    def factory(kind: str, name: str = "venv") -> Installer:
        venv_dir = tmp_path / name / "python"
        create_venv(venv_dir, backend="uv", python=base_python, uv=uv_bin, env=henv)
        if kind == "pip":
            return PipInstaller(venv_dir, env=henv)
        return UvInstaller(venv_dir, uv_bin, env=henv)

    return factory


def test_pip_and_uv_build_the_same_environment(
    make: MakeInstaller, local_index: IndexSettings
) -> None:
    results = {}
    for kind in KINDS:
        inst = make(kind, name=kind)
        inst.install(["ivpmtest-beta", "ivpmtest-gamma>=0.1"], index=local_index)
        results[kind] = installed_distributions(inst.venv_dir)
        assert (inst.venv_dir / "bin" / "ivpmtest-gamma").exists()
    assert results["pip"] == results["uv"]
    assert {k: v for k, v in results["pip"].items() if k != "pip"} == {
        "ivpmtest-alpha": "2.0.0",  # the newest final release; 2.1.0rc1 is a pre-release
        "ivpmtest-beta": "1.0.0",
        "ivpmtest-gamma": "0.1.0",
    }
    gamma = subprocess.run(
        [inst.venv_dir / "bin" / "ivpmtest-gamma"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert gamma.stdout.strip() == "ivpmtest-gamma 0.1.0"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pre_on", ["argument", "index"])
def test_pre_releases_only_when_asked(
    make: MakeInstaller, local_index: IndexSettings, kind: str, pre_on: str
) -> None:
    inst = make(kind)
    if pre_on == "argument":
        inst.install(["ivpmtest-alpha"], index=local_index, pre=True)
    else:
        index = IndexSettings(no_index=True, find_links=local_index.find_links, pre=True)
        inst.install(["ivpmtest-alpha"], index=index)
    assert installed_distributions(inst.venv_dir)["ivpmtest-alpha"] == "2.1.0rc1"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("requirement", "expected"),
    [("ivpmtest-alpha==9.9", "ivpmtest-alpha"), ("ivpmtest-no-such-package", "no-such-package")],
)
def test_failed_install_raises_session_failure_with_installer_errors(
    make: MakeInstaller, local_index: IndexSettings, kind: str, requirement: str, expected: str
) -> None:
    inst = make(kind)
    with pytest.raises(SessionFailure) as caught:
        inst.install([requirement, "ivpmtest-gamma"], index=local_index)
    failure = caught.value
    assert failure.exit_code == 1
    assert requirement in failure.message and kind in failure.message
    assert expected in failure.details
    assert "error" in failure.details.lower()
    assert len(failure.details.splitlines()) <= 41
    assert failure.hint is not None and "version" in failure.hint
    assert "ivpmtest-gamma" not in installed_distributions(inst.venv_dir)  # nothing half-done


@pytest.mark.parametrize("kind", KINDS)
def test_uninstall(make: MakeInstaller, local_index: IndexSettings, kind: str) -> None:
    inst = make(kind)
    inst.install(["ivpmtest-gamma", "ivpmtest-alpha==1.1.0"], index=local_index)
    inst.uninstall(["ivpmtest-gamma", "ivpmtest-not-installed"])
    remaining = installed_distributions(inst.venv_dir)
    assert set(remaining) == {"pip", "ivpmtest-alpha"}
    assert remaining["ivpmtest-alpha"] == "1.1.0"
    assert not (inst.venv_dir / "bin" / "ivpmtest-gamma").exists()


@dataclass(frozen=True)
class _Recorded:
    """A recorded top-level requirement, as the state record keeps it."""

    name: str
    line: str
    editable: bool = False


@pytest.mark.parametrize("kind", KINDS)
def test_editable_source_package_without_build_isolation(
    make: MakeInstaller, local_index: IndexSettings, src_package: Path, kind: str
) -> None:
    inst = make(kind)
    inst.install(["setuptools"], index=local_index)  # a setup-dep: the build needs it
    inst.install([], editable=[f"{src_package}[extra]"], index=local_index, no_build_isolation=True)

    dists = installed_distributions(inst.venv_dir)
    assert dists["ivpmtest-srcpkg"] == "0.1.0"
    assert dists["ivpmtest-alpha"] == "2.0.0"  # its dependency came from the wheelhouse
    assert dists["ivpmtest-gamma"] == "0.1.0"  # from the [extra] extra
    assert editable_location(inst.venv_dir, "ivpmtest_srcpkg") == src_package
    assert editable_location(inst.venv_dir, "ivpmtest-alpha") is None
    assert editable_distributions(inst.venv_dir) == {"ivpmtest-srcpkg": src_package}
    recorded = [
        _Recorded("my-lib", str(src_package), editable=True),  # dep name != dist name
        _Recorded("setuptools", "setuptools"),
        _Recorded("ivpmtest-never-installed", "ivpmtest-never-installed"),
    ]
    assert removable_distributions(inst.venv_dir, recorded) == ["ivpmtest-srcpkg", "setuptools"]

    module = src_package / "src" / "ivpmtest_srcpkg" / "__init__.py"
    module.write_text('GREETING = "edited in place"\n')
    out = subprocess.run(
        [
            venv_python(inst.venv_dir),
            "-c",
            "import ivpmtest_srcpkg; print(ivpmtest_srcpkg.GREETING)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "edited in place"

    # Reinstalling by folder (how the update session names editable packages) works too.
    (src_package / "src" / "ivpmtest_srcpkg" / "extra_module.py").write_text("X = 1\n")
    inst.install(
        [],
        editable=[src_package],
        index=local_index,
        no_build_isolation=True,
        reinstall=[str(src_package)],
    )
    assert editable_location(inst.venv_dir, "ivpmtest-srcpkg") == src_package


@pytest.mark.parametrize("kind", KINDS)
def test_editable_build_failure_mentions_setup_deps(
    make: MakeInstaller, local_index: IndexSettings, src_package: Path, kind: str
) -> None:
    inst = make(kind)  # no setuptools in the environment, and build isolation is off
    with pytest.raises(SessionFailure) as caught:
        inst.install([], editable=[src_package], index=local_index, no_build_isolation=True)
    assert "ivpmtest-srcpkg" in caught.value.message
    assert caught.value.details


@pytest.mark.parametrize("kind", KINDS)
def test_reinstall_named_package_restores_its_files(
    make: MakeInstaller, local_index: IndexSettings, kind: str
) -> None:
    inst = make(kind)
    inst.install(["ivpmtest-alpha==1.0.0", "ivpmtest-gamma"], index=local_index)
    (site,) = site_packages_dirs(inst.venv_dir)
    module = site / "ivpmtest_alpha" / "__init__.py"
    module.write_text("broken = True\n")  # edited in place, as a debugging user would
    inst.install(
        ["ivpmtest-alpha==1.0.0", "ivpmtest-gamma"], index=local_index, reinstall=["ivpmtest-alpha"]
    )
    assert "1.0.0" in module.read_text()


def test_uv_installs_do_not_share_files_with_its_cache(
    make: MakeInstaller, local_index: IndexSettings
) -> None:
    first = make("uv", name="first")
    first.install(["ivpmtest-alpha==1.1.0"], index=local_index)
    (site,) = site_packages_dirs(first.venv_dir)
    (site / "ivpmtest_alpha" / "__init__.py").write_text("broken = True\n")

    second = make("uv", name="second")
    second.install(["ivpmtest-alpha==1.1.0"], index=local_index)
    (site,) = site_packages_dirs(second.venv_dir)
    assert "1.1.0" in (site / "ivpmtest_alpha" / "__init__.py").read_text()


@pytest.mark.parametrize("kind", KINDS)
def test_constraints_pin_dependencies(
    make: MakeInstaller, local_index: IndexSettings, kind: str
) -> None:
    inst = make(kind)
    inst.install(["ivpmtest-beta"], index=local_index, constraints=["ivpmtest-alpha==1.1.0"])
    assert installed_distributions(inst.venv_dir)["ivpmtest-alpha"] == "1.1.0"


def test_pip_keeps_the_users_pip_configuration(
    make: MakeInstaller, wheelhouse: Path, henv: dict[str, str]
) -> None:
    inst = make("pip")
    inst.env = {**henv, "PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1"}
    inst.install(["ivpmtest-gamma"])  # no ivpm index settings: pip's own configuration is used
    assert "ivpmtest-gamma" in installed_distributions(inst.venv_dir)


def test_nothing_to_install_starts_no_process(
    make: MakeInstaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = make("pip")

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("started a process")

    monkeypatch.setattr(installer_module, "run_command", no_process)
    inst.install([])
    inst.uninstall([])


def test_make_installer_follows_the_choice(tmp_path: Path, uv_bin: str) -> None:
    assert isinstance(
        make_installer(InstallerChoice("pip", None, "virtualenv"), tmp_path), PipInstaller
    )
    chosen = make_installer(InstallerChoice("uv", uv_bin, "uv"), tmp_path)
    assert isinstance(chosen, UvInstaller) and chosen.uv_bin == uv_bin


def test_the_installer_is_decided_once_from_request_and_environment(
    uv_bin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert decide_installer("pip") == InstallerChoice("pip", None, "virtualenv")
    assert decide_installer("uv", environ={"IVPM_UV": uv_bin}) == InstallerChoice(
        "uv", uv_bin, "uv"
    )
    assert decide_installer(None, environ={"IVPM_UV": uv_bin}).kind == "uv"
    assert decide_installer("pip", "uv", environ={"IVPM_UV": uv_bin}) == InstallerChoice(
        "pip", uv_bin, "uv"
    )

    monkeypatch.setattr(choice_module, "find_uv", lambda env=None: None)
    assert decide_installer("auto") == InstallerChoice("pip", None, "virtualenv")
    for request, backend, flag in (("uv", None, "--py-uv"), ("pip", "uv", "--venv-backend uv")):
        with pytest.raises(UsageError) as caught:
            decide_installer(request, backend)
        assert f"{flag} was given but uv was not found" in caught.value.message
        assert caught.value.hint is not None and "ivpm[uv]" in caught.value.hint


def _simple_index(root: Path, wheels: list[Path]) -> str:
    """A PEP 503 index on disk serving ``wheels`` (all of one project); return its URL."""
    project = root / "ivpmtest-alpha"
    project.mkdir(parents=True)
    links = "".join(f'<a href="{w.as_uri()}">{w.name}</a>\n' for w in wheels)
    (project / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>\n")
    return root.as_uri()


def test_extra_indexes_pick_the_best_version_with_both_installers(
    make: MakeInstaller, wheelhouse: Path, tmp_path: Path
) -> None:
    """pip takes the best version from all indexes; uv is asked to do the same."""
    newer = _simple_index(tmp_path / "main", [wheelhouse / "ivpmtest_alpha-2.0.0-py3-none-any.whl"])
    older = _simple_index(
        tmp_path / "extra", [wheelhouse / "ivpmtest_alpha-1.1.0-py3-none-any.whl"]
    )
    index = IndexSettings(index_url=newer, extra_index_urls=(older,))
    for kind in KINDS:
        inst = make(kind, name=f"best-{kind}")
        inst.install(["ivpmtest-alpha"], index=index)
        assert installed_distributions(inst.venv_dir)["ivpmtest-alpha"] == "2.0.0", kind

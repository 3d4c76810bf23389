"""Build scripts written for the published ivpm, installed by ``ivpm update`` offline.

Real venvs, real pip or uv (IVPM_TEST_INSTALLER), ``--no-index`` with the local wheelhouse:
the ``ivpm`` such a setup.py asks for is ivpm's build-script support, from a wheel ivpm writes.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.pyenv.support_dist import SUPPORT_DIR_NAME, support_version
from tests.buildscripts.packages import ivpm_setup_files, legacy_setup_requires_files, native_files
from tests.conftest import Project, installer_commands
from tests.helpers.gitrepos import make_repo, write_files

MakeProject = Callable[..., Project]


def dir_dep_yaml(project: str, deps: dict[str, Path], *pypi: str) -> str:
    lines = [
        "package:",
        f"  name: {project}",
        "  dep-sets:",
        "    - name: default-dev",
        "      deps:",
    ]
    for name, path in deps.items():
        lines += [f"        - name: {name}", f"          url: file://{path}", "          src: dir"]
    lines += [f"        - name: {name}" for name in pypi]
    return "\n".join(lines) + "\n"


def run_py(project: Project, code: str, **env: str) -> str:
    """Run ``code`` in the environment from the project folder (not from this checkout, whose
    ``ivpm`` and ``ivpm.egg-info`` would be found first); return its stripped stdout."""
    completed = subprocess.run(
        [str(project.python), "-c", code],
        cwd=project.root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def versions(project: Project, *names: str) -> dict[str, str | None]:
    """The installed versions of ``names`` in the project's environment (None if absent)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try: return m.version(n)\n"
        "    except m.PackageNotFoundError: return None\n"
        f"print(json.dumps({{n: v(n) for n in {list(names)!r}}}))\n"
    )
    found: dict[str, str | None] = json.loads(run_py(project, code))
    return found


def recorded(project: Project) -> dict[str, dict[str, object]]:
    state = json.loads((project.root / "packages" / "python" / ".ivpm-state.json").read_text())
    requirements: dict[str, dict[str, object]] = state["requirements"]
    return requirements


@pytest.mark.installer
def test_setup_requires_ivpm_and_guarded_import(make_project: MakeProject, tmp_path: Path) -> None:
    source = tmp_path / "src" / "legacy-pkg"
    write_files(source, legacy_setup_requires_files("legacy-pkg", "1.4.2"))
    yaml_text = dir_dep_yaml("legacy", {"legacy-pkg": source})
    project = make_project(yaml_text)
    project.update()

    # The guarded import worked at build time: the version is the one in etc/ivpm.info.
    assert versions(project, "legacy-pkg", "ivpm") == {
        "legacy-pkg": "1.4.2",
        "ivpm": support_version(),
    }
    assert run_py(project, "import legacy_pkg; print(legacy_pkg.__version__)") == "1.4.2"
    venv = project.root / "packages" / "python"
    listed = run_py(
        project, "import sys, pip._internal.cli.main as m; m.main(['list', '--format=json'])"
    )
    assert {"name": "ivpm", "version": support_version()} in json.loads(listed)
    assert not (venv / "bin" / "ivpm").exists()  # never shadows the user's ivpm command
    assert (venv / SUPPORT_DIR_NAME).is_dir()
    assert recorded(project)["ivpm"]["line"] == f"ivpm=={support_version()}"
    assert recorded(project)["ivpm"]["setup"] is True

    # get_pkg_version in the environment: BUILD_NUM is appended.
    code = f"import ivpm; print(ivpm.get_pkg_version({str(source / 'setup.py')!r}))"
    assert run_py(project, code, BUILD_NUM="7") == "1.4.2.7"

    noop = project.update()
    assert installer_commands(noop.stderr) == []
    forced = project.update("--force-py-install")
    assert any("ivpm @ file://" in c for c in installer_commands(forced.stderr))
    assert versions(project, "legacy-pkg", "ivpm")["ivpm"] == support_version()

    # No source package asks for ivpm any more: the support is removed with the package.
    project.write(dir_dep_yaml("legacy", {}, "ivpmtest-alpha"))
    removed = project.update()
    commands = installer_commands(removed.stderr)
    assert any("uninstall" in c and " ivpm" in c for c in commands), commands
    assert versions(project, "ivpm", "legacy-pkg") == {"ivpm": None, "legacy-pkg": None}
    assert "ivpm" not in recorded(project)
    assert installer_commands(project.update().stderr) == []


@pytest.mark.installer
def test_ivpm_setup_wrapper_from_git(make_project: MakeProject, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "wrapped", ivpm_setup_files("wrapped", "2.0.3"))
    yaml_text = f"""\
        package:
          name: wrapper
          dep-sets:
            - name: default-dev
              deps:
                - name: wrapped
                  url: {repo.url}
                  src: git
        """
    project = make_project(yaml_text)
    project.update()
    assert run_py(project, "import wrapped; print(wrapped.__version__)") == "2.0.3"
    assert (project.root / "packages" / "wrapped" / "hook-ran").read_text() == "setup.pre"
    assert versions(project, "ivpm") == {"ivpm": support_version()}

    # A lock file written by another ivpm pins another ivpm version: the running ivpm's
    # support is installed all the same.
    lock_file = project.root / "packages" / "package-lock.json"
    lock = json.loads(lock_file.read_text())
    assert lock["python"]["ivpm"] == support_version()
    lock["python"]["ivpm"] = "2.42.0"
    other_lock = tmp_path / "other-lock.json"
    other_lock.write_text(json.dumps(lock))
    again = make_project(yaml_text)
    again.update("--lock-file", str(other_lock))
    assert versions(again, "wrapped", "ivpm") == {"wrapped": "2.0.3", "ivpm": support_version()}


def test_unsupported_ivpm_setup_keyword_fails_clearly(
    make_project: MakeProject, tmp_path: Path
) -> None:
    source = tmp_path / "src" / "native-pkg"
    extra = '    ivpm_extra_data={"native_pkg": [("build/lib", "")]},\n'
    write_files(source, ivpm_setup_files("native-pkg", "1.0.0", extra=extra))
    project = make_project(dir_dep_yaml("native", {"native-pkg": source}))
    result = project.ivpm("update")
    assert result.returncode == 1
    assert "ivpm_extra_data is not supported" in result.stderr
    assert "setup-deps" in result.stderr


def test_native_build_runs_setup_py_with_setup_requires_offline(
    make_project: MakeProject, tmp_path: Path
) -> None:
    # `ivpm build` runs `setup.py build_ext --inplace`, where setuptools itself checks
    # setup_requires and would run `pip wheel ivpm` for a missing one: PIP_NO_INDEX makes
    # that fail, so only an installed ivpm lets it pass.
    source = tmp_path / "src" / "nativepkg"
    write_files(source, native_files("nativepkg", "3.1.0"))
    project = make_project(dir_dep_yaml("native", {"nativepkg": source}))
    project.env["PIP_NO_INDEX"] = "1"
    project.update()
    assert run_py(project, "import nativepkg; print(nativepkg.add(2, 3))") == "5"
    assert versions(project, "nativepkg") == {"nativepkg": "3.1.0"}
    marker = project.root / "packages" / "nativepkg" / "build-post"
    marker.unlink(missing_ok=True)

    built = project.ivpm("build")
    assert built.returncode == 0, built.stderr
    assert marker.read_text() == "BuildExt"
    assert run_py(project, "import nativepkg; print(nativepkg.add(2, 3))") == "5"

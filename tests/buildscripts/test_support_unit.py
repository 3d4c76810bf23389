"""What counts as a build requirement, the support wheel, and how the wanted state holds it."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

from ivpm.fetch.tree import resolve_offline
from ivpm.project.loader import load_project
from ivpm.pyenv.buildreqs import package_build_requirements, setup_py_build_needs
from ivpm.pyenv.engine import wanted_state
from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.state import EnvState, Requirement, diff_states
from ivpm.pyenv.support_dist import (
    SUPPORT_DIR_NAME,
    prepare_batch,
    satisfies,
    support_requirement,
    support_version,
    wheel_bytes,
    write_support_wheel,
)
from tests.helpers.gitrepos import write_files


def setup_py(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_setup_requires_forms(tmp_path: Path) -> None:
    path = setup_py(
        tmp_path,
        """\
        from setuptools import setup
        REQS = ["cython>=3", "ivpm"]
        args = {"setup_requires": ("setuptools_scm",)}
        setup(name="x", setup_requires=REQS)
        setup(name="y", setup_requires="wheel\\n# comment\\nivpm>=2")
        setup(name="z", setup_requires=compute())
        """,
    )
    assert setup_py_build_needs(path) == (
        ["setuptools_scm", "cython>=3", "ivpm", "wheel", "ivpm>=2"],
        False,
    )


def test_ivpm_imports_are_found_guarded_or_not(tmp_path: Path) -> None:
    for text in (
        "try:\n    import ivpm\nexcept ImportError:\n    pass\n",
        "from ivpm.setup import setup\n",
        "import os, ivpm.setup as s\n",
        "def f():\n    from ivpm import get_pkg_version\n",
    ):
        assert setup_py_build_needs(setup_py(tmp_path, text)) == ([], True), text
    for text in ("import ivpmx\n", "from .ivpm import x\n", "# import ivpm\n", "print(1\n"):
        assert setup_py_build_needs(setup_py(tmp_path, text)) == ([], False), text


def test_package_build_requirements(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\n',
            "setup.cfg": "[options]\nsetup_requires = cython; wheel\n",
            "setup.py": "import ivpm\nfrom setuptools import setup\nsetup()\n",
        },
    )
    assert package_build_requirements(tmp_path) == ["setuptools>=61", "cython", "wheel", "ivpm"]
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "setup.cfg").write_text("[options]\nsetup_requires =\n    ivpm>=2\n    cython\n")
    assert package_build_requirements(tmp_path) == ["setuptools>=40.8.0", "ivpm>=2", "cython"]


def test_support_wheel_is_deterministic(tmp_path: Path) -> None:
    assert support_version().startswith(__import__("ivpm").__version__)
    assert "+support." in support_version() or ".support." in support_version()
    first = write_support_wheel(tmp_path)
    mtime = first.stat().st_mtime_ns
    assert write_support_wheel(tmp_path) == first and first.stat().st_mtime_ns == mtime
    assert first.read_bytes() == wheel_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "ivpm/__init__.py" in names and "ivpm/setup/__init__.py" in names
    assert not any("entry_points" in name for name in names)  # no `ivpm` command
    stale = tmp_path / "ivpm-0.1+support.old-py3-none-any.whl"
    stale.write_bytes(b"old")
    write_support_wheel(tmp_path)
    assert not stale.exists()
    assert satisfies("ivpm") and satisfies("ivpm>=2") and not satisfies("ivpm<2")


def test_prepare_batch_points_at_the_written_wheel(tmp_path: Path) -> None:
    other = Requirement(name="setuptools", line="setuptools>=61", setup=True)
    batch, constraints = prepare_batch(
        [other, support_requirement()], tmp_path, ["ivpm==2.42.0", "setuptools==70.0"]
    )
    wheel = tmp_path / SUPPORT_DIR_NAME / f"ivpm-{support_version()}-py3-none-any.whl"
    assert wheel.is_file()
    assert batch == [other, Requirement(name="ivpm", line=f"ivpm @ {wheel.as_uri()}", setup=True)]
    assert constraints == ["setuptools==70.0"]
    untouched = prepare_batch([other], tmp_path / "elsewhere", ["ivpm==2.42.0"])
    assert untouched == ([other], ["ivpm==2.42.0"])
    assert not (tmp_path / "elsewhere").exists()


def project_with_legacy_source(tmp_path: Path, *pypi: str) -> Path:
    root = tmp_path / "proj"
    write_files(
        root / "packages" / "legacy",
        {
            "setup.py": "try:\n    import ivpm\nexcept ImportError:\n    pass\n",
            "legacy/__init__.py": "",
        },
    )
    deps = "".join(f"        - name: {name}\n" for name in pypi)
    (root / "ivpm.yaml").write_text(
        "package:\n  name: p\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        f"        - name: legacy\n          url: file://{tmp_path}/legacy\n          src: dir\n"
        + deps
    )
    return root


def wanted_for(root: Path) -> EnvState:
    project = load_project(root / "ivpm.yaml")
    resolution, _missing = resolve_offline(project, root / "packages")
    return wanted_state(resolution, index=IndexSettings())


def test_wanted_state_holds_the_support_and_stays_a_no_op(tmp_path: Path) -> None:
    root = project_with_legacy_source(tmp_path)
    wanted = wanted_for(root)
    assert wanted.requirements["ivpm"] == support_requirement()
    assert list(wanted.requirements) == ["setuptools", "ivpm", "legacy"]
    assert not (root / "packages" / "python").exists()  # computing it writes nothing
    assert diff_states(wanted_for(root), wanted).empty


def test_a_declared_ivpm_wins_over_the_support(tmp_path: Path) -> None:
    root = project_with_legacy_source(tmp_path, "ivpm")
    wanted = wanted_for(root)
    assert wanted.requirements["ivpm"].line == "ivpm"
    assert wanted.requirements["ivpm"].setup is False

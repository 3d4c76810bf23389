"""A user's tree written for the published ivpm, on real-style repositories, end to end.

The root depends on two repositories by ``https://github.com/ORG/NAME.git`` URLs; a test-only
global git configuration redirects them to local repositories with ``url.<base>.insteadOf``,
as a user with a mirror would. The dependencies' own ivpm.yaml files use the published ivpm's
keys: ``type: python`` on PyPI deps, ``cache``, ``anonymous``, ``env``, ``paths``,
``with.python``, a dep-set's ``default-dep-set``, a bare version and a key this ivpm does not
know; one is a setup.py project with ``setup_requires=['ivpm']`` that reads its version through
a guarded ``import ivpm``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions
from tests.helpers.gitrepos import make_repo, python_package_files

pytestmark = pytest.mark.installer

CORELIB_YAML = """\
package:
  name: corelib
  maintainer-notes: keep in step with toolkit
  env:
    - name: CORELIB_HOME
      value: ${IVPM_PACKAGES}/corelib
    - name: CORELIB_PATH
      path-prepend: ${IVPM_PACKAGES}/corelib/bin
  paths:
    export:
      lib-dirs: [rtl]
  with:
    python:
      venv: true
  dep-sets:
    - name: default-dev
      default-dep-set: default
      deps:
        - name: ivpmtest-alpha
          src: pypi
          type: python
          version: 1.1.0
        - name: toolkit
          url: https://github.com/acme/toolkit.git
          cache: true
          anonymous: true
    - name: default
      deps:
        - name: ivpmtest-alpha
          version: 1.1.0
"""

TOOLKIT_YAML = """\
package:
  name: toolkit
  default-dep-set: default
  dep-sets:
    - name: default
      deps:
        - name: ivpmtest-beta
          pypi: true
          type: python
    - name: docs
      deps:
        - name: ivpmtest-gamma
"""

TOOLKIT_SETUP = """\
from setuptools import setup

try:
    import ivpm

    version = ivpm.get_pkg_version(__file__)
except ImportError:
    version = "0.0.1"

setup(
    name="toolkit",
    version=version,
    packages=["toolkit"],
    setup_requires=["ivpm"],
)
"""

ROOT_YAML = """\
package:
  name: realstyle
  dep-sets:
    - name: default-dev
      deps:
        - name: corelib
          url: https://github.com/acme/corelib.git
        - name: toolkit
          url: https://github.com/acme/toolkit.git
"""


@pytest.fixture
def real_style(tmp_path: Path, make_project: Callable[[str], Project]) -> Project:
    mirror = tmp_path / "mirror" / "acme"
    corelib = python_package_files("corelib", "corelib", "1.0.0")
    corelib.update({"ivpm.yaml": CORELIB_YAML, "rtl/core.sv": "module core; endmodule\n"})
    make_repo(mirror, "corelib.git", corelib)
    make_repo(
        mirror,
        "toolkit.git",
        {
            "ivpm.yaml": TOOLKIT_YAML,
            "setup.py": TOOLKIT_SETUP,
            "etc/ivpm.info": "name=toolkit\nversion=2.5.0\n",
            "toolkit/__init__.py": "NAME = 'toolkit'\n",
        },
    )
    config = tmp_path / "gitconfig"
    config.write_text(
        textwrap.dedent(
            f"""\
            [url "{mirror.parent.resolve().as_uri()}/"]
            \tinsteadOf = https://github.com/
            """
        ),
        encoding="utf-8",
    )
    project = make_project(ROOT_YAML)
    project.env["GIT_CONFIG_GLOBAL"] = str(config)
    project.env["GIT_CONFIG_NOSYSTEM"] = "1"
    return project


def test_published_ivpm_tree_installs_and_works(real_style: Project) -> None:
    result = real_style.update()
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert any(
        "packages/corelib/ivpm.yaml:3:3: warning: unknown key 'maintainer-notes'" in line
        for line in warnings
    ), result.stderr
    assert len([w for w in warnings if "maintainer-notes" in w]) == 1
    assert "has no dep-set 'default-dev'; using its dep-set 'default'" in result.stderr

    versions = dist_versions(
        real_style.python,
        ["ivpmtest-alpha", "ivpmtest-beta", "ivpmtest-gamma", "toolkit", "corelib"],
    )
    assert versions == {
        "ivpmtest-alpha": "1.1.0",  # the bare version pins exactly
        "ivpmtest-beta": "1.0.0",  # toolkit's default-dep-set
        "ivpmtest-gamma": None,  # only in toolkit's 'docs' set
        "toolkit": "2.5.0",  # read through `import ivpm` in its setup.py
        "corelib": "1.0.0",
    }
    packages = real_style.root / "packages"
    assert real_style.py("import toolkit, os; print(os.path.dirname(toolkit.__file__))") == str(
        packages / "toolkit" / "toolkit"
    )

    shown = real_style.ivpm("activate", "-c", "echo $CORELIB_HOME; echo $CORELIB_PATH")
    assert shown.returncode == 0, shown.stderr
    home, path = shown.stdout.splitlines()[-2:]
    assert home == str(packages / "corelib")
    assert path.split(":")[0] == str(packages / "corelib" / "bin")

    exported = real_style.ivpm("paths", "-k", "export", installer=False)
    assert exported.returncode == 0, exported.stderr
    assert str(packages / "corelib" / "rtl") in exported.stdout.splitlines()

    checked = real_style.ivpm("check", "--json", installer=False)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["valid"] is True
    assert [w["message"] for w in report["warnings"]] == [
        "unknown key 'maintainer-notes' in 'package' (did you mean 'maintainers'?); ignored"
    ]

    again = real_style.update()
    assert "up to date" in again.stderr

"""Real git repositories for tests, reached through ``file://`` URLs.

git runs isolated from the user's and the system's configuration, without hooks or templates,
with a fixed identity and fixed dates, so repositories build fast and the same way every time.

    repo = make_repo(tmp_path, "liba", python_package_files("liba", "liba"))
    sha = repo.commit({"liba/extra.py": "X = 1\\n"}, "add extra")
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FIXED_DATE = "2024-01-01T00:00:00+0000"
_CONFIG = (
    "-c",
    "user.name=ivpm tests",
    "-c",
    "user.email=tests@ivpm.invalid",
    "-c",
    "init.defaultBranch=main",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "tag.gpgSign=false",
    "-c",
    "protocol.file.allow=always",
)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for git that ignores system/global config and never prompts."""
    env = dict(os.environ if base is None else base)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(name, None)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_DATE=FIXED_DATE,
        GIT_AUTHOR_NAME="ivpm tests",
        GIT_AUTHOR_EMAIL="tests@ivpm.invalid",
        GIT_COMMITTER_NAME="ivpm tests",
        GIT_COMMITTER_EMAIL="tests@ivpm.invalid",
    )
    return env


def git(cwd: Path, *args: str) -> str:
    """Run ``git <args>`` in ``cwd`` with the test configuration; return stripped stdout.

    Raises ``AssertionError`` with git's output when it fails.
    """
    completed = subprocess.run(
        ["git", *_CONFIG, *args],
        cwd=cwd,
        env=git_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} failed in {cwd} ({completed.returncode}):\n"
            f"{completed.stdout}{completed.stderr}"
        )
    return completed.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | None]) -> None:
    """Write ``files`` (relative path -> text) under ``root``; a ``None`` text deletes the file."""
    for relative, text in files.items():
        path = root / relative
        if text is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class GitRepo:
    """A non-bare repository on disk that tests clone from through :attr:`url`."""

    path: Path

    @property
    def url(self) -> str:
        """The ``file://`` URL of the repository."""
        return self.path.resolve().as_uri()

    def git(self, *args: str) -> str:
        """Run git inside the repository and return its stripped stdout."""
        return git(self.path, *args)

    def head(self, ref: str = "HEAD") -> str:
        """The commit id ``ref`` points at."""
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def commit(
        self,
        files: Mapping[str, str | None],
        message: str = "update",
        *,
        branch: str | None = None,
    ) -> str:
        """Write ``files`` and commit them (on ``branch`` when given, created if new).

        Returns the new commit id; the repository is left on the branch it was on.
        """
        current = self.git("symbolic-ref", "--short", "-q", "HEAD")
        if branch is not None and branch != current:
            exists = self.git("branch", "--list", branch)
            self.git("checkout", "-q", *(() if exists else ("-b",)), branch)
        try:
            write_files(self.path, files)
            self.git("add", "-A")
            self.git("commit", "-q", "--allow-empty", "-m", message)
            return self.head()
        finally:
            if branch is not None and branch != current:
                self.git("checkout", "-q", current)

    def branch(self, name: str, files: Mapping[str, str | None] | None = None) -> str:
        """Create branch ``name`` from the current commit, with ``files`` committed on it."""
        self.git("branch", name)
        if files:
            return self.commit(files, f"work on {name}", branch=name)
        return self.head(name)

    def tag(self, name: str, ref: str = "HEAD", *, annotated: bool = False) -> str:
        """Tag ``ref`` (annotated with ``annotated``); return the tagged commit id."""
        if annotated:
            self.git("tag", "-a", "-m", f"release {name}", name, ref)
        else:
            self.git("tag", name, ref)
        return self.head(name)


def make_repo(
    root: Path,
    name: str,
    files: Mapping[str, str | None] | None = None,
    *,
    branches: Mapping[str, Mapping[str, str | None]] | None = None,
    tags: Sequence[str] = (),
) -> GitRepo:
    """Create repository ``root/name`` on branch ``main`` with ``files`` in one commit.

    ``branches`` adds branches (from that first commit), each with its files committed;
    ``tags`` adds lightweight tags on the first commit. ``files`` defaults to a README.
    """
    path = root / name
    path.mkdir(parents=True)
    git(path, "init", "-q", "--template=", "-b", "main")
    repo = GitRepo(path)
    repo.commit(files if files is not None else {"README": f"{name}\n"}, f"initial {name}")
    for tag in tags:
        repo.tag(tag)
    for branch, branch_files in (branches or {}).items():
        repo.branch(branch, branch_files)
    return repo


def clone_repo(url: str, dest: Path, *args: str) -> Path:
    """``git clone`` ``url`` to ``dest`` with the test configuration (extra ``args`` first)."""
    git(dest.parent, "clone", "-q", *args, "--", url, str(dest))
    return dest


def python_package_files(  # noqa: PLR0917 (signature shared with other tests)
    dist_name: str,
    module: str,
    version: str = "0.1.0",
    deps: Sequence[str] = (),
    build: Literal["pyproject", "setup.py"] = "pyproject",
    c_ext: bool = False,
) -> dict[str, str]:
    """Files of a minimal setuptools package ``dist_name`` providing package ``module``.

    ``module.hello()`` returns ``"<dist_name> <version>"``. With ``build="pyproject"`` the
    metadata is in ``pyproject.toml`` (``setuptools.build_meta``); with ``"setup.py"`` only a
    ``setup.py`` exists. ``c_ext`` adds a C extension ``module._speedups`` with ``add(a, b)``
    (declared in ``setup.py``, which then exists in both modes).
    """
    files: dict[str, str] = {
        f"{module}/__init__.py": textwrap.dedent(
            f'''\
            """Test package {dist_name}."""

            __version__ = "{version}"


            def hello() -> str:
                return "{dist_name} {version}"
            '''
        ),
    }
    ext_modules = ""
    if c_ext:
        files[f"{module}/_speedups.c"] = _c_extension_source()
        files[f"{module}/__init__.py"] += "\nfrom ._speedups import add  # noqa: E402\n"
        ext_modules = (
            f'    ext_modules=[Extension("{module}._speedups", ["{module}/_speedups.c"])],\n'
        )
    requirements = ", ".join(f'"{dep}"' for dep in deps)
    if build == "pyproject":
        files["pyproject.toml"] = textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist_name}"
            version = "{version}"
            dependencies = [{requirements}]

            [tool.setuptools]
            packages = ["{module}"]
            """
        )
        if c_ext:
            files["setup.py"] = (
                "from setuptools import Extension, setup\n\nsetup(\n" + ext_modules + ")\n"
            )
    else:
        files["setup.py"] = (
            "from setuptools import Extension, setup\n\n"
            "setup(\n"
            f'    name="{dist_name}",\n'
            f'    version="{version}",\n'
            f'    packages=["{module}"],\n'
            f"    install_requires=[{requirements}],\n" + ext_modules + ")\n"
        )
    return files


def _c_extension_source() -> str:
    return textwrap.dedent(
        """\
        #define PY_SSIZE_T_CLEAN
        #include <Python.h>

        static PyObject *add(PyObject *self, PyObject *args) {
            long a, b;
            if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
                return NULL;
            }
            return PyLong_FromLong(a + b);
        }

        static PyMethodDef methods[] = {
            {"add", add, METH_VARARGS, "Add two integers."},
            {NULL, NULL, 0, NULL},
        };

        static struct PyModuleDef module = {
            PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods,
        };

        PyMODINIT_FUNC PyInit__speedups(void) {
            return PyModule_Create(&module);
        }
        """
    )

"""The ``ivpm`` build-support distribution: what setup.py files written for ivpm 2 import.

Projects written for the published ivpm (2.x) build with ``setup_requires=["ivpm"]``, call
``ivpm.get_pkg_version(__file__)`` or use ``from ivpm.setup import setup``; ivpm 2 served them
by installing itself into the environment. ivpm 3 stays outside ``packages/python`` and serves
them with this small distribution instead, named ``ivpm`` so that setuptools finds its
``setup_requires`` satisfied. It holds only:

- ``ivpm.get_pkg_version(setup_py_path)``: the ``version=`` of ``etc/ivpm.info`` beside the
  setup.py, with a non-empty ``BUILD_NUM`` appended;
- ``ivpm.setup.setup(**kwargs)``: ``setuptools.setup`` with ivpm 2's ``ivpm_hooks``; the
  keywords that need ivpm 2's package registry or its CMake build stop with a clear error.

It has no dependencies and no ``ivpm`` command, so it never shadows the user's ivpm. Its
version is ivpm's own with a local label holding a digest of its content
(``3.0.0+support.1a2b3c4d``), which is what ``pip list`` shows and what makes pip replace it
whenever its content changes.

It is written as a wheel, deterministically, into ``packages/python/.ivpm-support/`` at install
time (:func:`prepare_batch`) and installed from that file, so no index is involved. The state
record holds it as the requirement ``ivpm==<that version>`` (:func:`support_requirement`),
independent of where the project lives, so a no-op update stays a no-op and a project that no
longer asks for it has it removed like any other requirement.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508Requirement
from packaging.version import InvalidVersion, Version

from ivpm import __version__
from ivpm.pyenv.state import Requirement

#: The distribution (and import) name build scripts ask for.
NAME = "ivpm"
#: The folder of ``packages/python`` the support wheel is written to.
SUPPORT_DIR_NAME = ".ivpm-support"

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# The modules of the distribution. ``{base}`` is ivpm's version, ``{version}`` the
# distribution's; the text must run on any Python 3 a project's environment may use.
_INIT_TEMPLATE = '''\
"""Build-script support installed by ivpm {base}: not the ivpm command.

Provides what setup.py files written for ivpm use at build time: get_pkg_version() and
ivpm.setup.setup(). See https://github.com/fvutils/ivpm (docs: build-scripts).
"""

import importlib
import os

__version__ = "{version}"
__all__ = ["get_pkg_version"]


def get_pkg_version(setup_py_path):
    """The version in etc/ivpm.info beside setup_py_path (symlinks resolved).

    The first line containing "version=" gives the text after its first "=", stripped; a
    non-empty BUILD_NUM environment variable is appended as ".BUILD_NUM". A missing file
    raises OSError, a file without such a line ValueError.
    """
    root = os.path.dirname(os.path.realpath(setup_py_path))
    info = os.path.join(root, "etc", "ivpm.info")
    version = None
    with open(info, encoding="utf-8") as handle:
        for line in handle:
            if "version=" in line:
                version = line[line.find("=") + 1 :].strip()
                break
    if version is None:
        raise ValueError("Failed to find version in %s" % info)
    build_num = os.environ.get("BUILD_NUM", "")
    if build_num:
        version += "." + build_num
    return version


def __getattr__(name):
    if name == "setup":
        return importlib.import_module(__name__ + ".setup")
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        "module 'ivpm' has no attribute %r: this is the build-script support installed by "
        "ivpm {base}, which provides only get_pkg_version() and ivpm.setup.setup(); to build "
        "with the published ivpm 2, list ivpm in setup-deps of ivpm.yaml" % name
    )
'''

_SETUP_TEMPLATE = '''\
"""ivpm.setup.setup(): setuptools.setup() for setup.py files written for ivpm.

Installed by ivpm {base} as build-script support. Every setuptools argument is passed on.
ivpm_hooks maps a phase to a list of callables: "setup.pre" and "setup.post" run before and
after setuptools.setup() (called with None); "build.pre" and "build.post" run around the
copying of built extensions into the source tree (editable installs, build_ext --inplace),
called with the build_ext command. A "-DDEBUG" argument is dropped (ivpm build sets DEBUG in
the environment); C++ extensions get -std=c++17 on macOS.

ivpm_extdep_pkgs, ivpm_extra_data, ivpm_extdep_data and ivpm_ext_name_m need ivpm 2's package
registry and its CMake build, which this support does not have: setup() stops with an error
that names them. CMake is never run.
"""

import os
import platform
import sys

Phase_SetupPre = "setup.pre"
Phase_SetupPost = "setup.post"
Phase_BuildPre = "build.pre"
Phase_BuildPost = "build.post"

_UNSUPPORTED = ("ivpm_extdep_pkgs", "ivpm_extra_data", "ivpm_extdep_data", "ivpm_ext_name_m")


def setup(*args, **kwargs):
    """Run setuptools.setup(*args, **kwargs) with ivpm_hooks applied."""
    import setuptools

    given = [key for key in _UNSUPPORTED if kwargs.pop(key, None)]
    if given:
        raise RuntimeError(
            "ivpm.setup.setup(): %s not supported by the build-script support of ivpm {base} "
            "(it needs the published ivpm 2); to build this package with ivpm 2's ivpm.setup, "
            "list ivpm in setup-deps of ivpm.yaml"
            % (", ".join(given) + (" is" if len(given) == 1 else " are"))
        )
    hooks = dict(kwargs.pop("ivpm_hooks", None) or {{}})
    if "-DDEBUG" in sys.argv:
        sys.argv.remove("-DDEBUG")
    if os.path.isfile("CMakeLists.txt") and kwargs.get("ext_modules"):
        sys.stderr.write(
            "ivpm.setup: note: CMakeLists.txt is not built (ivpm {base} does not run CMake "
            "from build_ext as ivpm 2 did)\\n"
        )
    if platform.system() == "Darwin":
        for ext in kwargs.get("ext_modules") or ():
            if getattr(ext, "language", None) == "c++":
                ext.extra_compile_args = list(getattr(ext, "extra_compile_args", None) or [])
                ext.extra_compile_args.append("-std=c++17")
    if hooks.get(Phase_BuildPre) or hooks.get(Phase_BuildPost):
        from setuptools.command.build_ext import build_ext

        cmdclass = dict(kwargs.get("cmdclass") or {{}})
        cmdclass["build_ext"] = _with_build_hooks(cmdclass.get("build_ext", build_ext), hooks)
        kwargs["cmdclass"] = cmdclass
    for hook in hooks.get(Phase_SetupPre, ()):
        hook(None)
    result = setuptools.setup(*args, **kwargs)
    for hook in hooks.get(Phase_SetupPost, ()):
        hook(None)
    return result


def _with_build_hooks(base, hooks):
    class BuildExt(base):
        def copy_extensions_to_source(self):
            for hook in hooks.get(Phase_BuildPre, ()):
                hook(self)
            base.copy_extensions_to_source(self)
            for hook in hooks.get(Phase_BuildPost, ()):
                hook(self)

    return BuildExt
'''


@cache
def support_version() -> str:
    """The version of the support distribution: ivpm's, with ``support.<digest>`` as local
    label (appended to ivpm's own local label, if it has one)."""
    digest = hashlib.sha256(
        "\0".join((__version__, _INIT_TEMPLATE, _SETUP_TEMPLATE)).encode()
    ).hexdigest()[:8]
    base = Version(__version__)
    return str(Version(f"{base}{'.' if base.local else '+'}support.{digest}"))


def support_requirement() -> Requirement:
    """The setup-phase requirement that stands for the support distribution in the state
    record: ``ivpm==<support version>``."""
    return Requirement(name=NAME, line=f"{NAME}=={support_version()}", setup=True)


def is_support(requirement: Requirement) -> bool:
    """True for the support requirement of this ivpm (as made by :func:`support_requirement`)."""
    return requirement.name == NAME and requirement.line == support_requirement().line


def satisfies(line: str) -> bool:
    """Whether the support distribution satisfies the requirement ``line`` (e.g. ``ivpm>=2``).

    Pre-releases count, as they do for setuptools' check of ``setup_requires``; a line that
    does not parse is taken as satisfied.
    """
    try:
        specifier = Pep508Requirement(line).specifier
        return specifier.contains(Version(support_version()), prereleases=True)
    except (InvalidRequirement, InvalidVersion):
        return True


def wheel_filename() -> str:
    """``ivpm-<version>-py3-none-any.whl``."""
    return f"{NAME}-{support_version()}-py3-none-any.whl"


@cache
def wheel_bytes() -> bytes:
    """The support wheel: the same bytes for the same ivpm (fixed dates, fixed order)."""
    version = support_version()
    dist_info = f"{NAME}-{version}.dist-info"
    files: dict[str, bytes] = {
        f"{NAME}/__init__.py": _INIT_TEMPLATE.format(base=__version__, version=version).encode(),
        f"{NAME}/setup/__init__.py": _SETUP_TEMPLATE.format(base=__version__).encode(),
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: {NAME}\n"
            f"Version: {version}\n"
            f"Summary: Build-script support installed by ivpm {__version__} "
            "(get_pkg_version, ivpm.setup); not the ivpm command\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            f"Generator: ivpm {__version__}\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ).encode(),
    }
    return wheel_archive(files, dist_info)


def wheel_archive(files: Mapping[str, bytes], dist_info: str) -> bytes:
    """The wheel holding ``files`` (archive path -> content), with its ``RECORD`` added.

    ``dist_info`` is the wheel's ``.dist-info`` folder, where the files' ``RECORD`` (sha256
    digests and sizes, in the order given) goes last. The archive is deterministic: the entries
    in that order, fixed dates, mode 0644, deflated; the same files give the same bytes.
    """
    import io

    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    entries = {**files, f"{dist_info}/RECORD": ("\n".join(record) + "\n").encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def write_support_wheel(folder: Path) -> Path:
    """Write the support wheel into ``folder`` (unless it holds it already); return its path.

    Older support wheels in the folder are deleted. The file is replaced atomically, and an
    identical file is left alone, so its modification time (which uv's cache looks at) stays.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / wheel_filename()
    data = wheel_bytes()
    for old in folder.glob(f"{NAME}-*.whl"):
        if old.name != wheel.name:
            old.unlink(missing_ok=True)
    try:
        if wheel.read_bytes() == data:
            return wheel
    except OSError:
        pass
    tmp = wheel.with_name(f".{wheel.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, wheel)
    return wheel


def prepare_batch(
    batch: Sequence[Requirement], venv_dir: Path, constraints: Sequence[str] = ()
) -> tuple[list[Requirement], list[str]]:
    """``batch`` and ``constraints`` ready for the installer of the environment ``venv_dir``.

    When the batch holds the support requirement, its wheel is written into the environment and
    the requirement becomes a direct reference to that file (``ivpm @ file:///...``); a lock
    file's pin on ``ivpm`` is dropped, since the running ivpm decides the support's version.
    Any other batch is returned as it is.
    """
    if not any(is_support(requirement) for requirement in batch):
        return list(batch), list(constraints)
    from ivpm.pyenv.installer import pep508_name

    wheel = write_support_wheel(venv_dir / SUPPORT_DIR_NAME)
    line = f"{NAME} @ {wheel.absolute().as_uri()}"
    prepared = [replace(r, line=line) if is_support(r) else r for r in batch]
    kept = [c for c in constraints if pep508_name(c) != NAME]
    return prepared, kept


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

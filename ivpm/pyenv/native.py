"""Recognising source packages with native extensions, and explaining classic build failures."""

from __future__ import annotations

import re
from pathlib import Path

_SETUP_PY_NATIVE = re.compile(
    r"\b(Extension|ext_modules|cythonize|Pybind11Extension|CMakeExtension)\b"
)
_NATIVE_BACKENDS = ("scikit_build_core", "mesonpy", "maturin", "py_build_cmake", "enscons")


def native_build_kind(package_dir: Path) -> str | None:
    """``"setup.py"`` or ``"pyproject"`` for a package that compiles native code, else None."""
    setup_py = package_dir / "setup.py"
    if setup_py.is_file():
        try:
            text = setup_py.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        return "setup.py" if _SETUP_PY_NATIVE.search(text) else None
    pyproject = package_dir / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "ext-modules" in text or any(backend in text for backend in _NATIVE_BACKENDS):
        return "pyproject"
    return None


_HINTS = (
    (
        re.compile(r"Python\.h: No such file"),
        "the Python headers are missing: install them (Debian/Ubuntu: "
        "`sudo apt-get install python3-dev`)",
    ),
    (
        re.compile(
            r"(command '?[\w./+-]*(gcc|cc|g\+\+|clang)'? failed: No such file"
            r"|unable to execute '?[\w./+-]*(gcc|cc|clang)|error: command .*(gcc|cc).* not found)"
        ),
        "no C compiler was found: install one (Debian/Ubuntu: "
        "`sudo apt-get install build-essential`)",
    ),
    (
        re.compile(r"No module named '?(Cython|setuptools|numpy)"),
        "a build dependency is missing from the environment: list it under setup-deps "
        "in ivpm.yaml so it is installed first",
    ),
)


def build_failure_hint(output: str) -> str | None:
    """What to do about a failed native build, when its output shows a classic cause."""
    for pattern, hint in _HINTS:
        if pattern.search(output):
            return hint
    return None

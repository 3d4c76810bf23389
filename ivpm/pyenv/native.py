"""Recognising source packages with native extensions, and explaining classic build failures."""

from __future__ import annotations

import re
from pathlib import Path

from ivpm.pyenv.output import error_excerpt

_SETUP_PY_NATIVE = re.compile(
    r"\b(Extension|ext_modules|cythonize|Pybind11Extension|CMakeExtension)\b"
)
_NATIVE_BACKENDS = ("scikit_build_core", "mesonpy", "maturin", "py_build_cmake", "enscons")


def native_build_kind(package_dir: Path) -> str | None:
    """``"setup.py"`` or ``"pyproject"`` for a package that compiles native code, else None.

    A setup.py that declares extensions is built with ``setup.py build_ext``; extensions
    declared only in pyproject.toml (setuptools ``ext-modules`` or a native build backend) are
    built by reinstalling the package.
    """
    if _SETUP_PY_NATIVE.search(_read(package_dir / "setup.py")):
        return "setup.py"
    text = _read(package_dir / "pyproject.toml")
    if "ext-modules" in text or any(backend in text for backend in _NATIVE_BACKENDS):
        return "pyproject"
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# gcc and clang report errors as "file.c:LINE:COL: error: ..." (or "fatal error:").
_COMPILER_ERROR = re.compile(r"^\s*\S[^:]*:\d+(?::\d+)?: (?:fatal )?error: ")
# gcc quotes the source as "   7 |   code" and "     |   ^~~"; clang prints a caret line.
_QUOTED_SOURCE = re.compile(r"^\s*(?:\d+\s*)?\||^\s*[\^~]+\s*$")
_QUOTED_SOURCE_LINES = 2
MAX_COMPILER_LINES = 30


def compiler_excerpt(output: str, max_lines: int = MAX_COMPILER_LINES) -> str:
    """The compiler's own error lines (with the source lines it quotes) from a build's output.

    Falls back to the meaningful tail of the output when it holds no compiler error (a
    Cython or setup.py failure, say).
    """
    lines = output.splitlines()
    picked: list[str] = []
    for index, line in enumerate(lines):
        if not _COMPILER_ERROR.match(line):
            continue
        indent = len(line) - len(line.lstrip())
        picked.append(line[indent:])
        for quoted in lines[index + 1 : index + 1 + _QUOTED_SOURCE_LINES]:
            if not _QUOTED_SOURCE.match(quoted):
                break
            picked.append(quoted[indent:].rstrip() if quoted[:indent].isspace() else quoted)
    if not picked:
        return error_excerpt(output)
    if len(picked) > max_lines:
        picked = [*picked[:max_lines], f"... ({len(picked) - max_lines} more lines left out)"]
    return "\n".join(picked)


_HINTS = (
    (
        re.compile(r"Python\.h: No such file"),
        "the Python headers are missing: install them (Debian/Ubuntu: "
        "`sudo apt-get install python3-dev`)",
    ),
    (
        re.compile(
            r"(command '?[\w./+-]*(gcc|cc|g\+\+|clang)'? failed: No such file"
            r"|unable to execute '?[\w./+-]*(gcc|cc|clang)|error: command .*(gcc|cc).* not found"
            r"|No such file or directory: '[\w./+-]*(gcc|cc|g\+\+|clang)')"
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
    if any(_COMPILER_ERROR.match(line) for line in output.splitlines()):
        return "the compiler rejected the package's code: fix the errors shown above"
    return None

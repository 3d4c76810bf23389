"""The build requirements of source packages, installed up front since builds run unisolated.

A source package's build requirements are what an isolated build would have installed for it:
``[build-system] requires`` of its pyproject.toml (setuptools when it has none, as pip gives
it), then the ``setup_requires`` of its setup.py (literal values only) or setup.cfg, which
setuptools reports as build requirements too. A setup.py that imports ``ivpm`` (guarded or
not) needs ``ivpm`` at build time as well; ivpm serves that name itself with its build-script
support (:mod:`ivpm.pyenv.support_dist`).
"""

from __future__ import annotations

import ast
import configparser
import logging
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from ivpm.project.model import Resolution
from ivpm.project.names import canonical_name
from ivpm.pyenv import support_dist

log = logging.getLogger("ivpm")

LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0",)
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:$|[\[(<>=!~;@ ])")


def requirement_name(line: str) -> str | None:
    """The canonical distribution name a PEP 508 requirement line starts with, if it has one."""
    match = _NAME.match(line)
    return canonical_name(match.group(1)) if match else None


def build_requirements(resolution: Resolution) -> Iterator[tuple[str, str]]:
    """``(name, line)`` of the build requirements of every Python source package, in
    dependency order (see the module docstring for what counts).

    Source packages are installed with build isolation off (so they see the setup-deps),
    which means their build requirements must already be in the environment. A requirement
    named ``ivpm`` that the build-script support does not satisfy is logged as a warning.
    """
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if not resolved.dep.is_source or not resolved.is_python or resolved.path is None:
                continue
            for line in package_build_requirements(resolved.path):
                requirement = requirement_name(line)
                if requirement is None:
                    log.warning("%s: ignoring the build requirement %r", name, line)
                    continue
                if requirement == support_dist.NAME and not support_dist.satisfies(line):
                    log.warning(
                        "%s: the build requirement %r is served by ivpm's build-script support "
                        "%s, which does not satisfy it; list ivpm in setup-deps to build with "
                        "the published ivpm instead",
                        name,
                        line,
                        support_dist.support_version(),
                    )
                yield requirement, line


def package_build_requirements(package_dir: Path) -> list[str]:
    """The build requirement lines of the source package in ``package_dir``."""
    lines = pyproject_build_requires(package_dir)
    lines += setup_cfg_requires(package_dir / "setup.cfg")
    setup_py = package_dir / "setup.py"
    requires, imports_ivpm = setup_py_build_needs(setup_py)
    lines += requires
    if imports_ivpm and not any(requirement_name(line) == support_dist.NAME for line in lines):
        lines.append(support_dist.NAME)
    return lines


def pyproject_build_requires(package_dir: Path) -> list[str]:
    """``[build-system] requires`` of the package's pyproject.toml (setuptools without one)."""
    try:
        with (package_dir / "pyproject.toml").open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    build_system = data.get("build-system")
    requires = build_system.get("requires") if isinstance(build_system, dict) else None
    return [str(i) for i in requires] if isinstance(requires, list) else [*LEGACY_BUILD_REQUIRES]


def setup_cfg_requires(setup_cfg: Path) -> list[str]:
    """``[options] setup_requires`` of a setup.cfg: one per line, or ``;``-separated on one line
    (as setuptools reads it)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(setup_cfg, encoding="utf-8")
        value = parser.get("options", "setup_requires", fallback="")
    except (configparser.Error, UnicodeDecodeError) as exc:
        log.debug("%s: not read: %s", setup_cfg, exc)
        return []
    if "\n" not in value.strip():
        return _split_requirements(value.replace(";", "\n"))
    return _split_requirements(value)


def setup_py_build_needs(setup_py: Path) -> tuple[list[str], bool]:
    """What a setup.py needs at build time: its literal ``setup_requires`` lines, and whether it
    imports ``ivpm`` anywhere (``import ivpm``, ``from ivpm.setup import setup``, guarded or not).

    The file is parsed, never run. A ``setup_requires`` given as a list or string literal, or
    as a name bound once at module level to one, is read (also as a key of a dict literal); any
    other form is not. A file that does not parse needs nothing.
    """
    try:
        tree = ast.parse(setup_py.read_bytes(), filename=str(setup_py))
    except (OSError, SyntaxError, ValueError) as exc:
        if setup_py.exists():
            log.debug("%s: not parsed: %s", setup_py, exc)
        return [], False
    names: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = statement.value
    requires: list[str] = []
    imports_ivpm = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports_ivpm = imports_ivpm or any(_is_ivpm_module(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports_ivpm = imports_ivpm or (node.level == 0 and _is_ivpm_module(node.module))
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "setup_requires":
                    requires += _literal_requirements(keyword.value, names)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "setup_requires":
                    requires += _literal_requirements(value, names)
    return list(dict.fromkeys(requires)), imports_ivpm


def _is_ivpm_module(module: str | None) -> bool:
    return module is not None and (module == support_dist.NAME or module.startswith("ivpm."))


def _literal_requirements(node: ast.expr, names: dict[str, ast.expr]) -> list[str]:
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return []
    if isinstance(value, str):
        return _split_requirements(value)
    if isinstance(value, list | tuple):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def _split_requirements(value: str) -> list[str]:
    lines = (line.strip() for line in value.splitlines())
    return [line for line in lines if line and not line.startswith("#")]

"""The requirement lists of a pyproject.toml that a ``src: pyproject.toml`` dep names.

The dep picks lists with ``include``: ``dependencies`` (the default),
``optional-dependencies.<extra>``, ``dependency-groups.<group>`` (PEP 735, with
``{include-group = "..."}`` entries expanded) or ``all``. Each requirement whose environment
marker holds for this interpreter becomes a dep: a PyPI dep, or for a direct reference to a
wheel or an archive (``name @ https://...``) a wheel or archive dep. A requirement naming the
file's own project (``myproj[test]``) stands for those extras' lists. Every error names the
file and points at the dep in the ivpm.yaml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, cast
from urllib.parse import unquote, urlparse

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ivpm.errors import ConfigError, Location, did_you_mean, display_path
from ivpm.project.model import Dep, PackageType, Source
from ivpm.project.names import source_name_problem, url_ending

#: What ``include`` lists when the dep does not say.
DEFAULT_INCLUDE = ("dependencies",)
_FORMS = "dependencies, optional-dependencies.<extra>, dependency-groups.<group>, all"
_EXTRA = "optional-dependencies."
_GROUP = "dependency-groups."
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_WHEEL = ".whl"
_ARCHIVES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")


@dataclass(frozen=True)
class ListedRequirement:
    """One requirement of the file and the list it was found in (``dependency-groups.dev``)."""

    requirement: Requirement
    origin: str


def pyproject_file(dep: Dep) -> Path | None:
    """The local pyproject.toml ``dep`` names; None for a remote (http, https, ...) URL.

    ``path``, else ``url`` (a ``file://`` URL or a plain path), else ``pyproject.toml``; a
    relative one is taken from the folder of the ivpm.yaml that declared the dep. A folder
    stands for the pyproject.toml inside it.
    """
    base = dep.declared_in.parent if dep.declared_in is not None else Path.cwd()
    written = dep.path if dep.path is not None else dep.url
    if written is None:
        written = "pyproject.toml"
    elif dep.path is None and written.startswith("file://"):
        written = unquote(urlparse(written).path)
    elif dep.path is None and "://" in written:
        return None
    path = Path(written).expanduser()
    path = path if path.is_absolute() else base / path
    return path / "pyproject.toml" if path.is_dir() else path


def pyproject_deps(dep: Dep, *, environment: Mapping[str, str] | None = None) -> tuple[Dep, ...]:
    """The deps a local ``src: pyproject.toml`` dep brings: one per requirement that applies.

    They carry ``dep``'s location and declaring file. ``environment`` overrides marker values
    (tests); by default markers are evaluated for the running interpreter.
    """
    path = pyproject_file(dep)
    if path is None:
        raise ValueError(f"dep '{dep.name}' names a remote pyproject.toml")
    if not path.is_file():
        raise ConfigError(
            f"pyproject.toml dep '{dep.name}': {display_path(path)} does not exist",
            dep.location,
            hint="name the file with 'path:' (relative to this ivpm.yaml) or a file:// 'url:'",
        )
    listed = read_requirements(path, dep.include, dep.location, environment=environment)
    return tuple(_as_dep(item, dep, path) for item in listed)


def read_requirements(
    path: Path,
    include: Sequence[str],
    location: Location,
    *,
    environment: Mapping[str, str] | None = None,
) -> tuple[ListedRequirement, ...]:
    """The requirements of the lists ``include`` names in the pyproject.toml at ``path``.

    Requirements whose marker is false here are left out, and one written twice is kept once.
    A problem (bad TOML, a requirement that is not PEP 508, a list the file lacks, an
    ``include-group`` cycle) is a :class:`ConfigError` at ``location``.
    """
    reader = _Reader(path, _load(path, location), location, environment or {})
    for name in include or DEFAULT_INCLUDE:
        reader.take(name)
    return tuple(reader.found.values())


def _load(path: Path, location: Location) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {display_path(path)}: {exc}", location) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _toml_location(path, text, str(exc))
        message = _TOML_POSITION.sub("", str(exc)).replace("(at end of document)", "").strip()
        raise ConfigError(
            f"{display_path(path)} is not valid TOML: {message} "
            f"(line {where.line}, column {where.col})",
            location,
            related=[("the TOML error is here", where)],
        ) from None


def _toml_location(path: Path, text: str, message: str) -> Location:
    """Where tomllib's message says the error is (its last position for 'end of document')."""
    match = _TOML_POSITION.search(message)
    if match:
        return Location(path, int(match.group(1)), int(match.group(2)))
    lines = text.splitlines() or [""]
    return Location(path, len(lines), len(lines[-1]) + 1)


class _Reader:
    """Collects the requirements of one parsed file, list by list."""

    def __init__(
        self,
        path: Path,
        data: dict[str, Any],
        location: Location,
        environment: Mapping[str, str],
    ) -> None:
        self.path = path
        self.location = location
        self.environment = environment
        self.found: dict[str, ListedRequirement] = {}  # str(requirement) -> first found
        project = data.get("project")
        self.project = project if isinstance(project, dict) else None
        if project is not None and self.project is None:
            self.fail("[project] must be a table")
        name = self.project.get("name") if self.project else None
        self.own_name = canonicalize_name(name) if isinstance(name, str) else None
        extras = self.project.get("optional-dependencies", {}) if self.project else {}
        self.extras = self.named_tables(extras, "[project.optional-dependencies]")
        self.groups = self.named_tables(data.get("dependency-groups", {}), "[dependency-groups]")
        self.extras_taken: set[str] = set()

    def fail(self, problem: str, hint: str | None = None) -> NoReturn:
        """Raise a ConfigError about this file, at the dep's location."""
        raise ConfigError(f"{display_path(self.path)}: {problem}", self.location, hint=hint)

    def named_tables(self, table: object, what: str) -> dict[str, tuple[str, object]]:
        """``{normalised name: (name as written, value)}``; two names alike is an error."""
        if not isinstance(table, dict):
            self.fail(f"{what} must be a table")
        result: dict[str, tuple[str, object]] = {}
        for written, value in table.items():
            key = canonicalize_name(written)
            if key in result:
                self.fail(f"{what} names '{written}' and '{result[key][0]}', which are the same")
            result[key] = (written, value)
        return result

    def take(self, include: str) -> None:
        """Add the requirements of one ``include`` entry."""
        if include == "all":
            self.dependencies(required=False)
            for key in self.extras:
                self.extra(key)
            for key in self.groups:
                self.group(key, ())
        elif include == "dependencies":
            self.dependencies(required=True)
        elif include.startswith(_EXTRA) and include != _EXTRA:
            self.extra(self.lookup(include[len(_EXTRA) :], self.extras, "optional-dependencies"))
        elif include.startswith(_GROUP) and include != _GROUP:
            self.group(self.lookup(include[len(_GROUP) :], self.groups, "dependency-groups"), ())
        else:
            raise ConfigError(
                f"unknown include '{include}'"
                f"{did_you_mean(include, ('dependencies', 'all', _EXTRA, _GROUP))}",
                self.location,
                hint=f"include one or more of: {_FORMS}",
            )

    def lookup(self, name: str, table: dict[str, tuple[str, object]], what: str) -> str:
        """The normalised key of list ``name`` in ``table``; a missing list is an error."""
        key = canonicalize_name(name)
        if key in table:
            return key
        known = [written for written, _ in table.values()]
        listed = ", ".join(known) if known else "none"
        self.fail(
            f"there is no {what} list '{name}'{did_you_mean(name, known)}",
            hint=f"the file's {what}: {listed}",
        )

    def dependencies(self, *, required: bool) -> None:
        """``[project].dependencies``; absent means none, unless there is no [project] at all."""
        if self.project is None:
            if required:
                self.fail("there is no [project] table, so no 'dependencies' list")
            return
        if "dependencies" in self.project.get("dynamic", ()):
            self.fail(
                "'dependencies' is dynamic (computed by the build backend); ivpm cannot read it",
                hint="list the requirements in [project].dependencies or in a dependency group",
            )
        value = self.project.get("dependencies", [])
        self.add(self.strings(value, "[project].dependencies"), "dependencies", extra="")

    def extra(self, key: str) -> None:
        """``[project.optional-dependencies].<extra>`` (each extra read once)."""
        if key in self.extras_taken:
            return
        self.extras_taken.add(key)
        written, value = self.extras[key]
        origin = f"{_EXTRA}{written}"
        self.add(self.strings(value, f"'{origin}'"), origin, extra=key)

    def group(self, key: str, stack: tuple[str, ...]) -> None:
        """``[dependency-groups].<group>``, its ``include-group`` entries expanded."""
        if key in stack:
            names = [self.groups[k][0] for k in (*stack[stack.index(key) :], key)]
            self.fail("dependency-group cycle: " + " -> ".join(names))
        written, value = self.groups[key]
        origin = f"{_GROUP}{written}"
        if not isinstance(value, list):
            self.fail(f"'{origin}' must be a list")
        texts: list[str] = []
        for item in value:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict) and set(item) == {"include-group"}:
                self.add(texts, origin, extra="")
                texts = []
                included = item["include-group"]
                if not isinstance(included, str):
                    self.fail(f"'{origin}': include-group must name a group")
                target = self.lookup(included, self.groups, "dependency-groups")
                self.group(target, (*stack, key))
            else:
                self.fail(
                    f"'{origin}' holds {item!r}; entries are requirement strings "
                    'or {include-group = "..."}'
                )
        self.add(texts, origin, extra="")

    def strings(self, value: object, what: str) -> list[str]:
        """``value`` as a list of strings, else an error naming ``what``."""
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(f"{what} must be a list of requirement strings")
        return list(value)

    def add(self, texts: Sequence[str], origin: str, *, extra: str) -> None:
        """Parse ``texts``, keep those whose marker holds, and expand self-references."""
        here = cast("dict[str, str]", default_environment())
        environment = {**here, "extra": extra, **self.environment}
        for text in texts:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                self.fail(f"'{origin}': {text!r} is not a PEP 508 requirement: {exc}")
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            if self.own_name is not None and canonicalize_name(requirement.name) == self.own_name:
                for name in sorted(requirement.extras):
                    self.extra(self.lookup(name, self.extras, "optional-dependencies"))
                continue
            self.found.setdefault(str(requirement), ListedRequirement(requirement, origin))


def _as_dep(item: ListedRequirement, pyproject: Dep, path: Path) -> Dep:
    """The dep one requirement means, at the pyproject.toml dep's location."""
    requirement = item.requirement
    extras = tuple(sorted(requirement.extras))
    if requirement.url is None:
        return Dep(
            name=requirement.name,
            src=Source.PYPI,
            location=pyproject.location,
            version=str(requirement.specifier) or None,
            extras=extras,
            declared_in=pyproject.declared_in,
        )
    url = requirement.url
    scheme = urlparse(url).scheme.lower()
    ending = url_ending(url)
    wheel = ending.endswith(_WHEEL)
    if scheme not in ("http", "https", "file") or not (wheel or ending.endswith(_ARCHIVES)):
        raise ConfigError(
            f"{display_path(path)}: '{requirement}' (in '{item.origin}') is a direct reference "
            "ivpm cannot install from a pyproject.toml; only wheel and archive URLs are taken",
            pyproject.location,
            hint=f"declare '{requirement.name}' in ivpm.yaml instead (e.g. as a 'src: git' dep)",
        )
    problem = None if wheel else source_name_problem(requirement.name)
    if problem is not None:
        raise ConfigError(
            f"{display_path(path)}: '{requirement}' cannot be fetched: {problem}",
            pyproject.location,
        )
    return Dep(
        name=requirement.name,
        src=Source.FILE if scheme == "file" else Source.HTTP,
        location=pyproject.location,
        url=url,
        extras=extras,
        type=PackageType.PYTHON,
        editable=False,
        read_deps=False,
        declared_in=pyproject.declared_in,
    )

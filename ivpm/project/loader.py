"""Read an ivpm.yaml into the validated :class:`~ivpm.project.model.Project` model.

Each level of the file declares its keys in one table (:mod:`ivpm.project.keys`): ``package``
(:class:`PackageKeys`), a dep-set, an env-set, an env entry, ``with`` and ``with.python`` here,
a dep in :mod:`ivpm.project.depkeys`. The functions below give the keys their meaning and check
what spans several keys (references between dep-sets, duplicates, exclusive keys).
"""

from __future__ import annotations

from pathlib import Path

from ivpm.errors import ConfigError, Location, did_you_mean
from ivpm.project import fields as f
from ivpm.project import values as v
from ivpm.project.depkeys import read_deps
from ivpm.project.graph import find_cycle
from ivpm.project.keys import Entries, Key, Table
from ivpm.project.model import DepSet, EnvAction, EnvSet, Project, PythonSettings
from ivpm.project.yamlnodes import Map, Node, describe, read_yaml_file

_LEGACY_PACKAGE_KEYS = ("deps", "dev-deps")


class PackageKeys(Table):
    """The keys under ``package:``."""

    WHAT = "'package'"
    name: Key[str] = Key("name", v.package_name, "", required=True)
    version: Key[str] = Key("version", v.any_text, "")
    description: Key[str] = Key("description", v.any_text, "")
    default_dep_set: Key[str | None] = Key("default-dep-set", v.text, None)
    setup_deps: Key[v.SetupDeps] = Key("setup-deps", v.setup_deps, v.SetupDeps())
    dep_sets: Key[tuple[Node, ...]] = Key("dep-sets", f.get_list, ())
    env_sets: Key[tuple[Node, ...]] = Key("env-sets", f.get_list, ())
    with_: Key[Map | None] = Key("with", f.get_map, None)


class DepSetKeys(Table):
    """The keys of one dep-set; its ``deps`` are read by :mod:`ivpm.project.depkeys`."""

    WHAT = "a dep-set"
    KIND = "dep-set"
    name: Key[str] = Key("name", v.text, "", required=True)
    uses: Key[tuple[tuple[str, Location], ...]] = Key("uses", v.uses, ())
    deps: Key[tuple[Node, ...]] = Key("deps", f.get_list, ())
    description: Key[str] = Key("description", v.any_text, "")


class EnvSetKeys(Table):
    """The keys of one env-set."""

    WHAT = "an env-set"
    KIND = "env-set"
    name: Key[str] = Key("name", v.text, "", required=True)
    env: Key[tuple[Node, ...]] = Key("env", f.get_list, ())
    description: Key[str] = Key("description", v.any_text, "")


class EnvEntryKeys(Table):
    """The keys of one entry of an env-set's ``env``: a name and exactly one kind of value."""

    WHAT = "an env entry"
    KIND = "env entry"
    name: Key[str] = Key("name", v.env_name, "", required=True)
    value: Key[tuple[str, ...]] = Key("value", v.one_text, ())
    path: Key[tuple[str, ...]] = Key("path", v.text_list, ())
    path_append: Key[tuple[str, ...]] = Key("path-append", v.text_list, ())
    path_prepend: Key[tuple[str, ...]] = Key("path-prepend", v.text_list, ())


# The keys of an env entry that set its variable (all but ``name``), in table order.
_ENV_KINDS: dict[str, Key[tuple[str, ...]]] = {
    key.name: key for key in EnvEntryKeys.KEYS if key is not EnvEntryKeys.name
}


class WithKeys(Table):
    """The keys under ``package.with``."""

    WHAT = "'with'"
    python: Key[Map | None] = Key("python", f.get_map, None)


class PythonKeys(Table):
    """The keys under ``package.with.python``: package-index settings."""

    WHAT = "'with.python'"
    index_url: Key[str | None] = Key("index-url", v.index_url, None)
    extra_index_url: Key[tuple[str, ...]] = Key("extra-index-url", v.index_urls, ())
    find_links: Key[tuple[str, ...]] = Key("find-links", v.index_urls, ())
    no_index: Key[bool] = Key("no-index", f.get_bool, False)
    pre: Key[bool] = Key("pre", f.get_bool, False)


def load_project(path: Path) -> Project:
    """Load and validate the ivpm.yaml at ``path``; any problem is a located ConfigError."""
    return read_project(read_yaml_file(path), path)


def read_project(root: Node, path: Path) -> Project:
    """The project described by the parsed file ``root``; ``path`` is the file it came from."""
    pkg_pair = _package_pair(root)
    pkg = f.get_map(pkg_pair)
    for legacy in _LEGACY_PACKAGE_KEYS:
        pair = pkg.get(legacy)
        if pair is not None:
            raise ConfigError(
                f"'{legacy}' is not supported directly under 'package'",
                pair[0].loc,
                hint="put dependencies in a dep-set:  dep-sets: [{name: default, deps: [...]}]",
            )
    entries = PackageKeys.read(pkg)
    name = entries.get(PackageKeys.name)
    entries.get(PackageKeys.version)  # informational: checked, not kept
    entries.get(PackageKeys.description)
    dep_sets, uses_locs = _dep_sets(entries.get(PackageKeys.dep_sets))
    _check_uses(dep_sets, uses_locs)
    default = _default_dep_set(entries, dep_sets)
    setup = entries.get(PackageKeys.setup_deps)
    return Project(
        path=path,
        name=name,
        location=pkg_pair[0].loc,
        dep_sets=dep_sets,
        default_dep_set=default,
        setup_deps=setup.names,
        setup_deps_location=setup.location,
        env_sets=_env_sets(entries.get(PackageKeys.env_sets)),
        python=_python_settings(entries.get(PackageKeys.with_)),
        setup_deps_locations=setup.locations,
    )


def _package_pair(root: Node) -> f.Pair:
    """The top level's one entry, ``package``."""
    if not isinstance(root, Map):
        raise ConfigError(
            f"an ivpm.yaml must be a mapping with a 'package' key, got {describe(root)}",
            root.loc,
        )
    for key, (key_node, _) in root.entries.items():
        if key != "package":
            hint = "the top level holds only 'package:'"
            if key in PackageKeys.names() or key == "deps":
                hint = f"'{key}' belongs under 'package:' (indent it)"
            raise ConfigError(
                f"unknown top-level key '{key}'{did_you_mean(key, ['package'])}",
                key_node.loc,
                hint=hint,
            )
    pair = root.get("package")
    if pair is None:
        raise ConfigError("missing the top-level 'package' key", root.loc)
    return pair


# dep-sets ----------------------------------------------------------------------------------


def _dep_sets(
    nodes: tuple[Node, ...],
) -> tuple[dict[str, DepSet], dict[tuple[str, str], Location]]:
    """The dep-sets by name, and where each ``uses`` reference is written."""
    result: dict[str, DepSet] = {}
    uses_locs: dict[tuple[str, str], Location] = {}
    for item in nodes:
        entries = DepSetKeys.read(f.expect_map(item, "a dep-set"))
        name = entries.get(DepSetKeys.name)
        if name in result:
            raise ConfigError(
                f"duplicate dep-set '{name}'",
                entries.value_loc(DepSetKeys.name),
                related=[("first declared here", result[name].location)],
            )
        uses = entries.get(DepSetKeys.uses)
        for used, loc in uses:
            uses_locs[(name, used)] = loc
        entries.get(DepSetKeys.description)  # informational: checked, not kept
        deps = read_deps(entries.get(DepSetKeys.deps), name)
        result[name] = DepSet(name, entries.location, deps, tuple(used for used, _ in uses))
    return result, uses_locs


def _check_uses(dep_sets: dict[str, DepSet], uses_locs: dict[tuple[str, str], Location]) -> None:
    """Every ``uses`` names a dep-set of this file, and no dep-set uses itself through others."""
    for (name, used), loc in uses_locs.items():
        if used not in dep_sets:
            raise ConfigError(
                f"dep-set '{name}' uses an unknown dep-set '{used}'{did_you_mean(used, dep_sets)}",
                loc,
                hint="dep-sets here: " + ", ".join(dep_sets),
            )
    cycle = find_cycle(dep_sets, lambda name: dep_sets[name].uses)
    if cycle:
        raise ConfigError(
            "dep-set 'uses' cycle: " + " -> ".join(cycle), uses_locs[(cycle[-2], cycle[-1])]
        )


def _default_dep_set(entries: Entries, dep_sets: dict[str, DepSet]) -> str | None:
    """``default-dep-set``, which must name a dep-set of this file."""
    name = entries.get(PackageKeys.default_dep_set)
    if name is not None and name not in dep_sets:
        available = ", ".join(dep_sets) if dep_sets else "none"
        raise ConfigError(
            f"default-dep-set '{name}' is not defined{did_you_mean(name, dep_sets)}",
            entries.value_loc(PackageKeys.default_dep_set),
            hint=f"dep-sets here: {available}",
        )
    return name


# env-sets ----------------------------------------------------------------------------------


def _env_sets(nodes: tuple[Node, ...]) -> dict[str, EnvSet]:
    """The env-sets by name."""
    result: dict[str, EnvSet] = {}
    for item in nodes:
        entries = EnvSetKeys.read(f.expect_map(item, "an env-set"))
        name = entries.get(EnvSetKeys.name)
        if name in result:
            raise ConfigError(
                f"duplicate env-set '{name}'",
                entries.value_loc(EnvSetKeys.name),
                related=[("first declared here", result[name].location)],
            )
        entries.get(EnvSetKeys.description)  # informational: checked, not kept
        actions = tuple(_env_action(node) for node in entries.get(EnvSetKeys.env))
        result[name] = EnvSet(name, entries.location, actions)
    return result


def _env_action(node: Node) -> EnvAction:
    """One env entry: its variable and the one kind of value it sets."""
    entries = EnvEntryKeys.read(f.expect_map(node, "an env entry"))
    name = entries.get(EnvEntryKeys.name)
    kinds = [_ENV_KINDS[key] for key in entries.mapping.entries if key in _ENV_KINDS]
    if not kinds:
        raise ConfigError(
            f"env entry '{name}' needs one of: " + ", ".join(_ENV_KINDS), entries.location
        )
    if len(kinds) > 1:
        raise ConfigError(
            f"'{kinds[1].name}' cannot be combined with '{kinds[0].name}'",
            entries.key_loc(kinds[1]),
        )
    return EnvAction(name, kinds[0].name, entries.get(kinds[0]), entries.location)


# with.python -------------------------------------------------------------------------------


def _python_settings(with_map: Map | None) -> PythonSettings:
    """The index settings under ``with.python``; the installer's defaults when absent."""
    if with_map is None:
        return PythonSettings()
    python = WithKeys.read(with_map).get(WithKeys.python)
    if python is None:
        return PythonSettings()
    entries = PythonKeys.read(python)
    return PythonSettings(
        index_url=entries.get(PythonKeys.index_url),
        extra_index_urls=entries.get(PythonKeys.extra_index_url),
        find_links=entries.get(PythonKeys.find_links),
        no_index=entries.get(PythonKeys.no_index),
        pre=entries.get(PythonKeys.pre),
    )

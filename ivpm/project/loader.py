"""Read an ivpm.yaml into the validated :class:`~ivpm.project.model.Project` model.

Each level of the file declares its keys in one table (:mod:`ivpm.project.keys`): ``package``
(:class:`PackageKeys`), a dep-set, an env-set, an env entry, ``with`` and ``with.python`` here,
a dep in :mod:`ivpm.project.depkeys`. The functions below give the keys their meaning and check
what spans several keys (references between dep-sets, duplicates, exclusive keys).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ivpm.errors import ConfigError, Location, did_you_mean
from ivpm.project import fields as f
from ivpm.project import values as v
from ivpm.project.depkeys import read_deps
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.graph import find_cycle
from ivpm.project.includes import merge_includes
from ivpm.project.keys import Entries, Key, Table
from ivpm.project.model import DepSet, EnvAction, EnvSet, PathEntry, Project, PythonSettings
from ivpm.project.names import canonical_name
from ivpm.project.variables import substitute_map, variable_values
from ivpm.project.yamlnodes import Map, Node, describe, read_yaml_file

_SCHEMA_KEY = "$schema"  # editors add it; it says which schema to check the file against


class PackageKeys(Table):
    """The keys under ``package:``."""

    WHAT = "'package'"
    name: Key[str] = Key("name", v.package_name, "", required=True)
    version: Key[str] = Key("version", v.doc_text, "", checked_only=True)
    description: Key[str] = Key("description", v.doc_text, "", checked_only=True)
    doc: Key[str] = Key("doc", v.doc_text, "", checked_only=True)
    license: Key[str] = Key("license", v.doc_text, "", checked_only=True)
    homepage: Key[str] = Key("homepage", v.doc_text, "", checked_only=True)
    documentation: Key[str] = Key("documentation", v.doc_text, "", checked_only=True)
    maintainers: Key[tuple[str, ...]] = Key("maintainers", v.text_list, (), checked_only=True)
    type: Key[Node | None] = Key("type", v.node, None, checked_only=True)
    provides: Key[Node | None] = Key("provides", v.node, None, checked_only=True)
    default_dep_set: Key[str | None] = Key("default-dep-set", v.text, None)
    setup_deps: Key[v.SetupDeps] = Key("setup-deps", v.setup_deps, v.SetupDeps())
    dep_sets: Key[tuple[Node, ...]] = Key("dep-sets", f.get_list, ())
    deps: Key[tuple[Node, ...]] = Key("deps", f.get_list, ())
    dev_deps: Key[tuple[Node, ...]] = Key("dev-deps", f.get_list, ())
    env_sets: Key[tuple[Node, ...]] = Key("env-sets", f.get_list, ())
    env: Key[tuple[Node, ...]] = Key("env", f.get_list, ())
    with_: Key[Map | None] = Key("with", f.get_map, None)
    paths: Key[Map | None] = Key("paths", f.get_map, None)
    vars: Key[Map | None] = Key("vars", f.get_map, None)
    # merge_includes consumes `include` before this table reads the mapping; the row keeps it
    # in the allowed keys, the did-you-mean and the schema.
    include: Key[Node | None] = Key("include", v.node, None)
    deps_dir: Key[str] = Key("deps-dir", v.deps_dir, "packages")
    deps_mode: Key[str | None] = Key("deps-mode", v.deps_mode, None, checked_only=True)
    submodules: Key[bool | None] = Key("submodules", v.submodules, None, checked_only=True)
    dep_defaults: Key[Map | None] = Key("dep-defaults", f.get_map, None, checked_only=True)


class DepSetKeys(Table):
    """The keys of one dep-set; its ``deps`` are read by :mod:`ivpm.project.depkeys`."""

    WHAT = "a dep-set"
    KIND = "dep-set"
    name: Key[str] = Key("name", v.text, "", required=True)
    uses: Key[tuple[tuple[str, Location], ...]] = Key("uses", v.uses, ())
    deps: Key[tuple[Node, ...]] = Key("deps", f.get_list, ())
    default_dep_set: Key[str | None] = Key("default-dep-set", v.text, None)
    description: Key[str] = Key("description", v.doc_text, "", checked_only=True)
    doc: Key[str] = Key("doc", v.doc_text, "", checked_only=True)
    kind: Key[str] = Key("kind", v.doc_text, "", checked_only=True)
    deps_mode: Key[str | None] = Key("deps-mode", v.deps_mode, None, checked_only=True)
    with_: Key[Map | None] = Key("with", f.get_map, None, checked_only=True)


class EnvSetKeys(Table):
    """The keys of one env-set."""

    WHAT = "an env-set"
    KIND = "env-set"
    name: Key[str] = Key("name", v.text, "", required=True)
    env: Key[tuple[Node, ...]] = Key("env", f.get_list, ())
    description: Key[str] = Key("description", v.doc_text, "", checked_only=True)


class EnvEntryKeys(Table):
    """The keys of one entry of ``env``: a name and exactly one kind of value."""

    WHAT = "an env entry"
    KIND = "env entry"
    name: Key[str] = Key("name", v.env_name, "", required=True)
    value: Key[tuple[str, ...]] = Key("value", v.one_text, ())
    path: Key[tuple[str, ...]] = Key("path", v.text_list, ())
    path_append: Key[tuple[str, ...]] = Key("path-append", v.text_list, ())
    path_prepend: Key[tuple[str, ...]] = Key("path-prepend", v.text_list, ())
    description: Key[str] = Key("description", v.doc_text, "", checked_only=True)


# The keys of an env entry that set its variable, in table order.
_ENV_KINDS: dict[str, Key[tuple[str, ...]]] = {
    key.name: key
    for key in (
        EnvEntryKeys.value,
        EnvEntryKeys.path,
        EnvEntryKeys.path_append,
        EnvEntryKeys.path_prepend,
    )
}


class WithKeys(Table):
    """The keys under ``package.with`` this ivpm reads; other sections belong to other tools."""

    WHAT = "'with'"
    python: Key[Map | None] = Key("python", f.get_map, None)
    env: Key[tuple[Node, ...]] = Key("env", f.get_list, ())


class PythonKeys(Table):
    """The keys under ``package.with.python``: the environment and package-index settings."""

    WHAT = "'with.python'"
    venv: Key[str] = Key("venv", v.venv_mode, "true")
    system_site_packages: Key[bool] = Key("system-site-packages", f.get_bool, False)
    pre_release: Key[bool] = Key("pre-release", f.get_bool, False)
    index_url: Key[str | None] = Key("index-url", v.index_url, None)
    extra_index_url: Key[tuple[str, ...]] = Key("extra-index-url", v.index_urls, ())
    find_links: Key[tuple[str, ...]] = Key("find-links", v.index_urls, ())
    no_index: Key[bool] = Key("no-index", f.get_bool, False)
    pre: Key[bool] = Key("pre", f.get_bool, False)


def load_project(
    path: Path,
    *,
    strict: bool = True,
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    diagnostics: Diagnostics | None = None,
) -> Project:
    """Load and validate the ivpm.yaml at ``path``; any problem is a located ConfigError.

    ``strict`` (the user's own file): unknown keys are errors; otherwise (a fetched
    sub-project's file) they are warnings. ``variables`` are the ``-D`` definitions (root file
    only); ``environ`` supplies ``IVPM_VAR_<NAME>`` (default: the process environment).
    """
    diag = diagnostics if diagnostics is not None else Diagnostics(strict=strict)
    return read_project(
        read_yaml_file(path),
        path,
        diag=diag,
        variables=variables,
        environ=os.environ if environ is None else environ,
    )


def read_project(
    root: Node,
    path: Path,
    *,
    diag: Diagnostics,
    variables: Mapping[str, str] | None,
    environ: Mapping[str, str],
) -> Project:
    """The project described by the parsed file ``root``; ``path`` is the file it came from."""
    pkg_pair = _package_pair(root, diag)
    pkg, included = merge_includes(f.get_map(pkg_pair), path)
    values = variable_values(pkg, environ, variables, pkg.loc)
    pkg = substitute_map(pkg, values)
    entries = PackageKeys.read(pkg, diag)
    name = entries.get(PackageKeys.name)
    vars_map = entries.get(PackageKeys.vars)
    declared = set(vars_map.entries) if vars_map is not None else set()
    entries.check_only()
    dep_sets, uses_locs = _dep_sets(entries.get(PackageKeys.dep_sets), diag)
    _legacy_dep_sets(entries, dep_sets, diag)
    _check_uses(dep_sets, uses_locs)
    default = _default_dep_set(entries, dep_sets, diag)
    setup = entries.get(PackageKeys.setup_deps)
    with_map = entries.get(PackageKeys.with_)
    with_entries = WithKeys.read(_own_with(with_map, diag), diag) if with_map else None
    env_nodes = entries.get(PackageKeys.env)
    if with_entries is not None:
        env_nodes = (*env_nodes, *with_entries.get(WithKeys.env))
    return Project(
        path=path,
        name=name,
        location=pkg_pair[0].loc,
        dep_sets=dep_sets,
        default_dep_set=default,
        setup_deps=setup.names,
        setup_deps_location=setup.location,
        env_sets=_env_sets(entries.get(PackageKeys.env_sets), diag),
        python=_python_settings(with_entries, diag),
        setup_deps_locations=setup.locations,
        env=_env_actions(env_nodes, diag),
        paths=_paths(entries.get(PackageKeys.paths), path.parent),
        variables={key: value for key, value in values.items() if key in declared},
        deps_dir=entries.get(PackageKeys.deps_dir),
        includes=tuple(included),
    )


def _own_with(with_map: Map, diag: Diagnostics) -> Map:
    """``with`` without the sections of other tools (``with.node``, ``with.fusesoc``, ...).

    A section whose name is close to one of ours (``pyhton``) is a typo, not another tool's.
    """
    own = WithKeys.names()
    for key, (key_node, _) in with_map.entries.items():
        if key not in own and _close_to(key, own):
            diag.unknown_key(key, key_node.loc, own, WithKeys.WHAT)
    return Map({key: pair for key, pair in with_map.entries.items() if key in own}, with_map.loc)


def _close_to(key: str, names: tuple[str, ...]) -> bool:
    """True when ``key`` is a likely misspelling of one of ``names`` (``evn``, ``pyhton``)."""
    return any(did_you_mean(key, [name]) and abs(len(key) - len(name)) <= 1 for name in names)


def _package_pair(root: Node, diag: Diagnostics) -> f.Pair:
    """The top level's entry ``package`` (``$schema`` is allowed beside it)."""
    if not isinstance(root, Map):
        raise ConfigError(
            f"an ivpm.yaml must be a mapping with a 'package' key, got {describe(root)}",
            root.loc,
        )
    for key, (key_node, _) in root.entries.items():
        if key in ("package", _SCHEMA_KEY):
            continue
        if not diag.strict:
            diag.warn(f"unknown top-level key '{key}'; ignored", key_node.loc, once=key)
            continue
        hint = "the top level holds only 'package:'"
        if key in PackageKeys.names():
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


def _read_named(
    item: Node,
    table: type[DepSetKeys] | type[EnvSetKeys],
    seen: Mapping[str, DepSet] | Mapping[str, EnvSet],
    diag: Diagnostics,
) -> tuple[Entries, str]:
    """The entries and ``name`` of one dep-set or env-set; a name seen before is an error."""
    entries = table.read(f.expect_map(item, table.WHAT), diag)
    name = entries.get(table.name)
    if name in seen:
        raise ConfigError(
            f"duplicate {table.KIND} '{name}'",
            entries.value_loc(table.name),
            related=[("first declared here", seen[name].location)],
        )
    return entries, name


def _dep_sets(
    nodes: tuple[Node, ...], diag: Diagnostics
) -> tuple[dict[str, DepSet], dict[tuple[str, str], Location]]:
    """The dep-sets by name, and where each ``uses`` reference is written."""
    result: dict[str, DepSet] = {}
    uses_locs: dict[tuple[str, str], Location] = {}
    for item in nodes:
        with diag.entry():
            entries, name = _read_named(item, DepSetKeys, result, diag)
            uses = entries.get(DepSetKeys.uses)
            entries.check_only()
            deps = read_deps(entries.get(DepSetKeys.deps), name, diag)
            for used, loc in uses:
                uses_locs[(name, used)] = loc
            result[name] = DepSet(
                name,
                entries.location,
                deps,
                tuple(used for used, _ in uses),
                default_dep_set=entries.get(DepSetKeys.default_dep_set),
            )
    return result, uses_locs


def _legacy_dep_sets(entries: Entries, dep_sets: dict[str, DepSet], diag: Diagnostics) -> None:
    """Old-style ``deps``/``dev-deps`` under ``package``: dep-sets ``default`` and ``default-dev``.

    ``default`` holds ``deps``; ``default-dev`` holds ``deps`` and ``dev-deps``.
    """
    present = [key for key in (PackageKeys.deps, PackageKeys.dev_deps) if entries.has(key)]
    if not present:
        return
    first = entries.key_loc(present[0])
    if entries.has(PackageKeys.dep_sets):
        raise ConfigError(
            f"'{present[0].name}' cannot be combined with 'dep-sets'",
            first,
            hint="move these deps into a dep-set",
        )
    diag.warn(
        "old-style 'deps'/'dev-deps' under 'package': read as dep-sets 'default' and 'default-dev'",
        first,
        once="old-style deps",
    )
    deps = read_deps(entries.get(PackageKeys.deps), "default", diag)
    dev = read_deps(entries.get(PackageKeys.dev_deps), "default-dev", diag)
    names = {canonical_name(dep.name) for dep in dev}
    dep_sets["default"] = DepSet("default", first, deps)
    merged = (*(dep for dep in deps if canonical_name(dep.name) not in names), *dev)
    dep_sets["default-dev"] = DepSet("default-dev", first, merged)


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


def _default_dep_set(
    entries: Entries, dep_sets: dict[str, DepSet], diag: Diagnostics
) -> str | None:
    """``default-dep-set``, which must name a dep-set of this file."""
    name = entries.get(PackageKeys.default_dep_set)
    if name is not None and name not in dep_sets:
        available = ", ".join(dep_sets) if dep_sets else "none"
        message = f"default-dep-set '{name}' is not defined{did_you_mean(name, dep_sets)}"
        where = entries.value_loc(PackageKeys.default_dep_set)
        if not diag.strict:
            diag.warn(f"{message} (ignored; dep-sets here: {available})", where)
            return None
        raise ConfigError(message, where, hint=f"dep-sets here: {available}")
    return name


# env-sets and env --------------------------------------------------------------------------


def _env_sets(nodes: tuple[Node, ...], diag: Diagnostics) -> dict[str, EnvSet]:
    """The env-sets by name."""
    result: dict[str, EnvSet] = {}
    for item in nodes:
        with diag.entry():
            entries, name = _read_named(item, EnvSetKeys, result, diag)
            entries.check_only()
            actions = _env_actions(entries.get(EnvSetKeys.env), diag)
            result[name] = EnvSet(name, entries.location, actions)
    return result


def _env_actions(nodes: tuple[Node, ...], diag: Diagnostics) -> tuple[EnvAction, ...]:
    """The entries of an ``env`` list, in order."""
    actions: list[EnvAction] = []
    for node in nodes:
        with diag.entry():
            actions.append(_env_action(node, diag))
    return tuple(actions)


def _env_action(node: Node, diag: Diagnostics) -> EnvAction:
    """One env entry: its variable and the one kind of value it sets."""
    entries = EnvEntryKeys.read(f.expect_map(node, "an env entry"), diag)
    name = entries.get(EnvEntryKeys.name)
    entries.check_only()
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


# paths -------------------------------------------------------------------------------------


def _paths(block: Map | None, folder: Path) -> tuple[PathEntry, ...]:
    """``paths``: kind -> type -> relative paths, resolved against ``folder``.

    A ``description`` beside the types of a kind documents it and is not a path type.
    """
    if block is None:
        return ()
    result: list[PathEntry] = []
    for kind, (_, types_node) in block.entries.items():
        if f.is_null(types_node):
            continue
        types = f.expect_map(types_node, f"paths '{kind}'")
        for path_type, pair in types.entries.items():
            if path_type == "description":
                continue
            if f.is_null(pair[1]):
                continue
            for text, loc in f.get_str_list(pair):
                result.append(PathEntry(kind, path_type, folder / text.strip(), loc))
    return tuple(result)


# with.python -------------------------------------------------------------------------------


def _python_settings(with_entries: Entries | None, diag: Diagnostics) -> PythonSettings:
    """The settings under ``with.python``; the defaults when absent."""
    python = with_entries.get(WithKeys.python) if with_entries is not None else None
    if python is None:
        return PythonSettings()
    entries = PythonKeys.read(python, diag)
    venv = entries.get(PythonKeys.venv)
    return PythonSettings(
        index_url=entries.get(PythonKeys.index_url),
        extra_index_urls=entries.get(PythonKeys.extra_index_url),
        find_links=entries.get(PythonKeys.find_links),
        no_index=entries.get(PythonKeys.no_index),
        pre=entries.get(PythonKeys.pre) or entries.get(PythonKeys.pre_release),
        venv=venv != "false",
        installer=venv if venv in ("uv", "pip") else None,
        system_site_packages=entries.get(PythonKeys.system_site_packages),
    )

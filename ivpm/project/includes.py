"""``package.include``: other YAML files merged into the ``package`` mapping that names them.

Each included file is a complete ivpm.yaml (``package:`` at its top) without a ``name``; its own
includes are merged first. The includer wins: a scalar or mapping key it sets is kept;
``dep-sets`` are added (a name defined twice is an error); ``env``, ``setup-deps`` and
``with.env`` are appended; ``with``, ``vars`` and ``paths`` merge key by key (``paths`` lists
append). Every node keeps the location of the file it was written in.
"""

from __future__ import annotations

from pathlib import Path

from ivpm.errors import ConfigError, Location
from ivpm.project import fields as f
from ivpm.project.yamlnodes import Map, Node, Scalar, Seq, read_yaml_file

_IDENTITY = ("name", "version")
_APPENDED = ("env", "setup-deps")
_MERGED = ("with", "vars")


def merge_includes(
    package: Map, path: Path, chain: tuple[Path, ...] = ()
) -> tuple[Map, list[Path]]:
    """``package`` with its ``include`` files merged in (``include`` itself removed).

    ``path`` is the file ``package`` was read from; returns the merged mapping and the files
    read, in order. A missing file or an include cycle is an error at the ``include`` entry.
    """
    pair = package.get("include")
    if pair is None:
        return package, []
    chain = (*chain, path.resolve())
    entries = {key: value for key, value in package.entries.items() if key != "include"}
    merged = Map(entries, package.loc)
    read: list[Path] = []
    for name, loc in f.get_str_list(pair):
        target = Path(name).expanduser()
        if not target.is_absolute():
            target = path.parent / target
        if target.resolve() in chain:
            raise ConfigError(f"include cycle: '{name}' is already being read", loc)
        if not target.is_file():
            raise ConfigError(f"included file '{name}' does not exist ({target})", loc)
        included, nested = merge_includes(_package_of(target), target, chain)
        read.extend([target, *nested])
        merged = _merge(merged, included, target)
    return merged, read


def _package_of(path: Path) -> Map:
    root = read_yaml_file(path)
    if not isinstance(root, Map) or root.get("package") is None:
        raise ConfigError("an included file needs a top-level 'package' key", root.loc)
    return f.get_map(root.entries["package"])


def _merge(local: Map, incl: Map, incl_path: Path) -> Map:
    for key in _IDENTITY:
        pair = incl.get(key)
        if pair is not None:
            raise ConfigError(
                f"an included file may not set '{key}'",
                pair[0].loc,
                hint=f"'{key}' belongs to the file that includes {incl_path.name}",
            )
    entries = dict(local.entries)
    for key, (key_node, value) in incl.entries.items():
        mine = entries.get(key)
        if mine is None:
            entries[key] = (key_node, value)
        elif key == "dep-sets":
            entries[key] = (mine[0], _add_dep_sets(mine, value))
        elif key in _APPENDED and isinstance(mine[1], Seq) and isinstance(value, Seq):
            entries[key] = (mine[0], Seq((*mine[1].items, *value.items), mine[1].loc))
        elif key in _MERGED and isinstance(mine[1], Map) and isinstance(value, Map):
            entries[key] = (mine[0], _deep(mine[1], value, append=False, top=key == "with"))
        elif key == "paths" and isinstance(mine[1], Map) and isinstance(value, Map):
            entries[key] = (mine[0], _deep(mine[1], value, append=True, top=False))
    return Map(entries, local.loc)


def _add_dep_sets(mine: f.Pair, theirs: Node) -> Seq:
    local = f.get_list(mine)
    added = f.get_list((mine[0], theirs))
    names: dict[str, Location] = {}
    for item in local:
        name = _set_name(item)
        if name is not None:
            names[name[0]] = name[1]
    for item in added:
        name = _set_name(item)
        if name is not None and name[0] in names:
            raise ConfigError(
                f"duplicate dep-set '{name[0]}'",
                name[1],
                related=[("first declared here", names[name[0]])],
            )
    loc = mine[1].loc
    return Seq((*local, *added), loc)


def _set_name(item: Node) -> tuple[str, Location] | None:
    if isinstance(item, Map):
        pair = item.get("name")
        if pair is not None and isinstance(pair[1], Scalar):
            return pair[1].text, pair[1].loc
    return None


def _deep(local: Map, incl: Map, *, append: bool, top: bool) -> Map:
    entries = dict(local.entries)
    for key, (key_node, value) in incl.entries.items():
        mine = entries.get(key)
        if mine is None:
            entries[key] = (key_node, value)
        elif isinstance(mine[1], Map) and isinstance(value, Map):
            entries[key] = (mine[0], _deep(mine[1], value, append=append, top=False))
        elif (
            (append or (top and key == "env"))
            and isinstance(mine[1], Seq)
            and isinstance(value, Seq)
        ):
            entries[key] = (mine[0], Seq((*mine[1].items, *value.items), mine[1].loc))
    return Map(entries, local.loc)

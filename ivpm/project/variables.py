"""``vars`` and ``${{name}}`` references, expanded in the YAML nodes before anything reads them.

A value comes, from strongest to weakest, from ``-D NAME=VALUE`` (the root file only), the
``IVPM_VAR_<NAME>`` environment variable, or the ``vars`` block. The built-ins ``ivpm_os``,
``ivpm_arch`` and ``ivpm_platform`` describe this machine and may be overridden the same way.
``$${{`` stands for a literal ``${{``. A reference to an undefined name, or a ``-D`` for a name
the file does not declare, is an error with its location.
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Mapping

import yaml

from ivpm.errors import ConfigError, Location, did_you_mean
from ivpm.project import fields as f
from ivpm.project.yamlnodes import Map, Node, Scalar, Seq

ENV_PREFIX = "IVPM_VAR_"
_REFERENCE = re.compile(r"\$\$\{\{|\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_WHOLE = re.compile(r"^\$\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESOLVER = yaml.resolver.Resolver()
_KINDS = {
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:null": "null",
}


def builtins() -> dict[str, str]:
    """The variables every file has: this machine's OS, architecture and both joined."""
    system = sys.platform
    os_name = "linux" if system.startswith("linux") else "macos" if system == "darwin" else system
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return {"ivpm_os": os_name, "ivpm_arch": arch, "ivpm_platform": f"{os_name}-{arch}"}


def declared_vars(package: Map) -> tuple[dict[str, str], Location | None]:
    """The ``vars`` block as name -> text, and where it is written (None when absent)."""
    pair = package.get("vars")
    if pair is None:
        return {}, None
    block = f.get_map(pair)
    result: dict[str, str] = {}
    for name, (key_node, value) in block.entries.items():
        if not _NAME.match(name):
            raise ConfigError(
                f"invalid variable name '{name}'",
                key_node.loc,
                hint="a variable name is letters, digits and '_', not starting with a digit",
            )
        if not isinstance(value, Scalar):
            raise ConfigError(
                f"variable '{name}' must be a string, number or boolean",
                value.loc,
                hint="computed values ('match') are not supported by this ivpm",
            )
        result[name] = "" if value.kind == "null" else value.text
    return result, pair[0].loc


def variable_values(
    package: Map,
    environ: Mapping[str, str],
    overrides: Mapping[str, str] | None,
    where: Location,
) -> dict[str, str]:
    """The value of every variable of ``package``: built-ins and ``vars``, then overrides.

    ``overrides`` are the ``-D`` definitions (None for a sub-project's file); one naming a
    variable the file does not declare is an error at the ``vars`` block (else ``where``).
    """
    declared, vars_loc = declared_vars(package)
    values = {**builtins(), **declared}
    for name in values:
        env_value = environ.get(ENV_PREFIX + name)
        if env_value is not None:
            values[name] = env_value
    for name, value in (overrides or {}).items():
        if name not in values:
            raise ConfigError(
                f"-D {name}: the file declares no variable '{name}'{did_you_mean(name, values)}",
                vars_loc or where,
                hint="declare it under 'vars:' to make it settable",
            )
        values[name] = value
    return values


def substitute_map(mapping: Map, values: Mapping[str, str]) -> Map:
    """``mapping`` with every ``${{name}}`` in its strings replaced (``vars`` itself untouched)."""
    entries = {
        key: (key_node, value if key == "vars" else _substitute(value, values))
        for key, (key_node, value) in mapping.entries.items()
    }
    return Map(entries, mapping.loc)


def _substitute(node: Node, values: Mapping[str, str]) -> Node:
    if isinstance(node, Scalar):
        return _scalar(node, values)
    if isinstance(node, Seq):
        return Seq(tuple(_substitute(item, values) for item in node.items), node.loc)
    return substitute_map(node, values)


def _scalar(node: Scalar, values: Mapping[str, str]) -> Scalar:
    if node.kind != "str" or "${{" not in node.text:
        return node

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "${{"
        value = values.get(name)
        if value is None:
            raise ConfigError(
                f"undefined variable '{name}'{did_you_mean(name, values)}",
                node.loc,
                hint="declare it under 'package: vars:' or pass -D " + f"{name}=VALUE",
            )
        return value

    text = _REFERENCE.sub(replace, node.text)
    kind = "str"
    if _WHOLE.match(node.text):
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        kind = _KINDS.get(tag, "str")
    return Scalar(text, kind, node.loc)

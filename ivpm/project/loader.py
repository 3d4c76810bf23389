"""Read an ivpm.yaml into the validated :class:`~ivpm.project.model.Project` model."""

from __future__ import annotations

import re
from pathlib import Path

from ivpm.errors import ConfigError, Location, did_you_mean
from ivpm.project import fields as f
from ivpm.project.graph import find_cycle
from ivpm.project.model import (
    Dep,
    DepSet,
    EnvAction,
    EnvSet,
    PackageType,
    Project,
    PythonSettings,
    Source,
)
from ivpm.project.names import (
    canonical_name,
    dep_name_problem,
    has_control_chars,
    is_distribution_name,
    is_env_name,
    quoted,
)
from ivpm.project.yamlnodes import Map, Node, Scalar, describe, read_yaml_file

PROJECT_FILE = "ivpm.yaml"
# Entries of packages/ that belong to ivpm, so no source dep may be named after them.
_OWN_ENTRIES = frozenset({"python", "package-lock.json"})

PACKAGE_KEYS = (
    "name",
    "version",
    "description",
    "default-dep-set",
    "setup-deps",
    "dep-sets",
    "env-sets",
    "with",
)
DEP_SET_KEYS = ("name", "uses", "deps", "description")
DEP_KEYS = (
    "name",
    "src",
    "url",
    "version",
    "extras",
    "branch",
    "tag",
    "commit",
    "depth",
    "type",
    "link",
    "dep-set",
)
ENV_SET_KEYS = ("name", "env", "description")
ENV_KINDS = ("value", "path", "path-append", "path-prepend")
ENV_KEYS = ("name", *ENV_KINDS)
WITH_KEYS = ("python",)
PYTHON_KEYS = ("index-url", "extra-index-url", "find-links", "no-index", "pre")

# The keys each kind of dep accepts; anything else in DEP_KEYS is an error for that kind.
_DEP_KEYS_BY_SRC = {
    Source.PYPI: frozenset({"name", "src", "version", "extras"}),
    Source.GIT: frozenset(
        {"name", "src", "url", "extras", "branch", "tag", "commit", "depth", "type", "dep-set"}
    ),
    Source.DIR: frozenset({"name", "src", "url", "extras", "type", "link", "dep-set"}),
}
_NOT_FOR_PYPI_HINT = "a dep without 'url' is installed from the package index; add 'url' for git"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:")
_LOCAL_PATH = re.compile(r"^(/|\./|\.\./|~|\.$|\.\.$|[A-Za-z]:[\\/])")
_REMOTE_HELPER = re.compile(r"^(ext|fd)::", re.IGNORECASE)
_COMMIT = re.compile(r"^[0-9a-fA-F]{4,40}$")
_SPECIFIER_CHARS = re.compile(r"[<>=!~\[\];@ ,]")


def find_project_file(start: Path) -> Path | None:
    """The nearest ``ivpm.yaml`` in ``start`` or one of its parents (like git finds ``.git``)."""
    current = start.absolute()
    if not current.is_dir():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_project(path: Path) -> Project:
    """Load and validate the ivpm.yaml at ``path``; any problem is a located ConfigError."""
    return _Reader(path).project(read_yaml_file(path))


def infer_src(url: str) -> Source | None:
    """The source kind a ``url`` implies when ``src`` is not given; None if it cannot tell.

    ``.git`` endings, ``git://``, ``ssh://``, ``git+...://`` and ``user@host:path`` mean git;
    ``file://`` and local paths (``/``, ``./``, ``../``, ``~``) mean a directory; any other
    ``http(s)://`` URL is taken to be a git repository too.
    """
    stripped = url.rstrip("/")
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match.group(1).lower() if scheme_match else None
    if stripped.endswith(".git") or _SCP_LIKE.match(url):
        return Source.GIT
    if scheme is None:
        return Source.DIR if _LOCAL_PATH.match(url) else None
    if scheme in ("git", "ssh", "http", "https") or scheme.startswith("git+"):
        return Source.GIT
    if scheme == "file":
        return Source.DIR
    return None


class _Reader:
    """Validates one file's node tree; ``path`` is used for locations and messages."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def project(self, root: Node) -> Project:
        if not isinstance(root, Map):
            raise ConfigError(
                f"an ivpm.yaml must be a mapping with a 'package' key, got {describe(root)}",
                root.loc,
            )
        for key, (key_node, _) in root.entries.items():
            if key != "package":
                hint = "the top level holds only 'package:'"
                if key in PACKAGE_KEYS or key == "deps":
                    hint = f"'{key}' belongs under 'package:' (indent it)"
                raise ConfigError(
                    f"unknown top-level key '{key}'{did_you_mean(key, ['package'])}",
                    key_node.loc,
                    hint=hint,
                )
        pkg_pair = root.get("package")
        if pkg_pair is None:
            raise ConfigError("missing the top-level 'package' key", root.loc)
        pkg = f.get_map(pkg_pair)
        for legacy in ("deps", "dev-deps"):
            pair = pkg.get(legacy)
            if pair is not None:
                raise ConfigError(
                    f"'{legacy}' is not supported directly under 'package'",
                    pair[0].loc,
                    hint="put dependencies in a dep-set:  dep-sets: [{name: default, deps: [...]}]",
                )
        f.check_keys(pkg, PACKAGE_KEYS, "'package'")
        name_pair = f.require(pkg, "name", "'package'")
        name = f.get_str(name_pair)
        if has_control_chars(name):
            raise ConfigError(
                "the package name must not contain control characters", name_pair[1].loc
            )
        for key in ("version", "description"):
            pair = pkg.get(key)
            if pair is not None:
                f.get_str(pair, allow_empty=True)

        dep_sets, uses_locs = self.dep_sets(pkg.get("dep-sets"))
        self.check_uses(dep_sets, uses_locs)
        default = self.default_dep_set(pkg.get("default-dep-set"), dep_sets)
        setup_deps, setup_locs, setup_loc = self.setup_deps(pkg.get("setup-deps"))
        env_pair = pkg.get("env-sets")
        with_pair = pkg.get("with")
        return Project(
            path=self.path,
            name=name,
            location=pkg_pair[0].loc,
            dep_sets=dep_sets,
            default_dep_set=default,
            setup_deps=setup_deps,
            setup_deps_location=setup_loc,
            env_sets=self.env_sets(env_pair) if env_pair else {},
            python=self.with_settings(with_pair) if with_pair else PythonSettings(),
            setup_deps_locations=setup_locs,
        )

    # dep-sets ------------------------------------------------------------------------------

    def dep_sets(
        self, pair: f.Pair | None
    ) -> tuple[dict[str, DepSet], dict[tuple[str, str], Location]]:
        result: dict[str, DepSet] = {}
        uses_locs: dict[tuple[str, str], Location] = {}
        for item in f.get_list(pair) if pair else ():
            mapping = f.expect_map(item, "a dep-set")
            f.check_keys(mapping, DEP_SET_KEYS, _label(mapping, "dep-set"))
            name = f.get_str(f.require(mapping, "name", "a dep-set"))
            if name in result:
                raise ConfigError(
                    f"duplicate dep-set '{name}'",
                    mapping.entries["name"][1].loc,
                    related=[("first declared here", result[name].location)],
                )
            uses: list[str] = []
            uses_pair = mapping.get("uses")
            for used, loc in f.get_str_list(uses_pair) if uses_pair else ():
                if used in uses:
                    raise ConfigError(f"dep-set '{used}' is listed twice in 'uses'", loc)
                uses.append(used)
                uses_locs[(name, used)] = loc
            description = mapping.get("description")
            if description is not None:
                f.get_str(description, allow_empty=True)
            deps_pair = mapping.get("deps")
            deps = self.deps(deps_pair, name) if deps_pair else ()
            result[name] = DepSet(name, mapping.loc, deps, tuple(uses))
        return result, uses_locs

    def check_uses(
        self, dep_sets: dict[str, DepSet], uses_locs: dict[tuple[str, str], Location]
    ) -> None:
        for (name, used), loc in uses_locs.items():
            if used not in dep_sets:
                raise ConfigError(
                    f"dep-set '{name}' uses an unknown dep-set '{used}'"
                    f"{did_you_mean(used, dep_sets)}",
                    loc,
                    hint="dep-sets here: " + ", ".join(dep_sets),
                )
        cycle = find_cycle(dep_sets, lambda name: dep_sets[name].uses)
        if cycle:
            raise ConfigError(
                "dep-set 'uses' cycle: " + " -> ".join(cycle), uses_locs[(cycle[-2], cycle[-1])]
            )

    def default_dep_set(self, pair: f.Pair | None, dep_sets: dict[str, DepSet]) -> str | None:
        if pair is None:
            return None
        name = f.get_str(pair)
        if name not in dep_sets:
            available = ", ".join(dep_sets) if dep_sets else "none"
            raise ConfigError(
                f"default-dep-set '{name}' is not defined{did_you_mean(name, dep_sets)}",
                pair[1].loc,
                hint=f"dep-sets here: {available}",
            )
        return name

    def deps(self, pair: f.Pair, set_name: str) -> tuple[Dep, ...]:
        result: dict[str, Dep] = {}
        for item in f.get_list(pair):
            dep = self.dep(item)
            key = canonical_name(dep.name)
            first = result.get(key)
            if first is not None:
                same = "" if first.name == dep.name else f" (same as '{first.name}')"
                raise ConfigError(
                    f"dep '{dep.name}' is listed twice in dep-set '{set_name}'{same}",
                    dep.location,
                    related=[("first listed here", first.location)],
                )
            result[key] = dep
        return tuple(result.values())

    # one dep -------------------------------------------------------------------------------

    def dep(self, node: Node) -> Dep:
        if isinstance(node, Scalar) and node.kind != "null":
            raise ConfigError(
                f"a dep must be a mapping, got {describe(node)}",
                node.loc,
                hint=f"write '- name: {node.text}'",
            )
        mapping = f.expect_map(node, "a dep")
        f.check_keys(mapping, DEP_KEYS, _label(mapping, "dep"))
        name_pair = f.require(mapping, "name", "a dep")
        name = f.get_str(name_pair)
        problem = dep_name_problem(name)
        if problem:
            raise ConfigError(f"invalid dep name {quoted(name)}: {problem}", name_pair[1].loc)

        url_pair = mapping.get("url")
        url = self.url(url_pair) if url_pair else None
        src = self.src(mapping, url_pair, url)
        if src is not Source.PYPI and (name in _OWN_ENTRIES or name.startswith(".")):
            raise ConfigError(
                f"invalid dep name {quoted(name)}: ivpm keeps packages/{name} for itself",
                name_pair[1].loc,
                hint="a source dep lives in packages/<name>; choose another name",
            )
        allowed = _DEP_KEYS_BY_SRC[src]
        for key, (key_node, _) in mapping.entries.items():
            if key not in allowed:
                raise ConfigError(
                    f"'{key}' does not apply to a {src.value} dep",
                    key_node.loc,
                    hint=_not_applicable_hint(key, src, explicit="src" in mapping.entries),
                )
        if src is Source.PYPI and not is_distribution_name(name):
            raise ConfigError(f"'{name}' is not a valid PyPI package name", name_pair[1].loc)
        if src is not Source.PYPI and url is None:
            raise ConfigError(f"{src.value} dep '{name}' needs a 'url'", mapping.loc)
        if src is Source.DIR and url is not None:
            scheme = _SCHEME.match(url)
            if scheme and scheme.group(1).lower() != "file":
                assert url_pair is not None
                raise ConfigError(
                    "a dir dep needs a local path or a file:// URL",
                    url_pair[1].loc,
                    hint="use 'src: git' to clone a repository",
                )
        for first, second in (("branch", "tag"), ("tag", "commit")):
            if first in mapping.entries and second in mapping.entries:
                raise ConfigError(
                    f"'{second}' cannot be combined with '{first}'",
                    mapping.entries[second][0].loc,
                )

        dep_type = self.choice(mapping.get("type"), [t.value for t in PackageType])
        extras = self.extras(mapping.get("extras"))
        if dep_type == "raw" and extras:
            raise ConfigError(
                "'extras' do not apply to a raw dep", mapping.entries["extras"][0].loc
            )
        return Dep(
            name=name,
            src=src,
            location=mapping.loc,
            url=url,
            version=self.version(mapping.get("version")),
            extras=extras,
            branch=self.ref(mapping.get("branch")),
            tag=self.ref(mapping.get("tag")),
            commit=self.commit(mapping.get("commit")),
            depth=self.depth(mapping.get("depth")),
            type=PackageType(dep_type) if dep_type else None,
            link=f.get_bool(mapping.entries["link"]) if "link" in mapping.entries else False,
            dep_set=self.plain(mapping.get("dep-set")),
        )

    def src(self, mapping: Map, url_pair: f.Pair | None, url: str | None) -> Source:
        value = self.choice(mapping.get("src"), [s.value for s in Source])
        if value is not None:
            return Source(value)
        if url is None:
            return Source.PYPI
        inferred = infer_src(url)
        if inferred is None:
            assert url_pair is not None
            raise ConfigError(
                f"cannot tell whether '{url}' is a git repository or a local directory",
                url_pair[1].loc,
                hint="add 'src: git' or 'src: dir'",
            )
        return inferred

    def choice(self, pair: f.Pair | None, options: list[str]) -> str | None:
        if pair is None:
            return None
        value = f.get_str(pair)
        if value not in options:
            raise ConfigError(
                f"unknown {pair[0].text} '{value}'{did_you_mean(value, options)}",
                pair[1].loc,
                hint=f"'{pair[0].text}' is one of: " + ", ".join(options),
            )
        return value

    def url(self, pair: f.Pair) -> str:
        value = f.get_str(pair)
        _check_url_text(value, pair[1].loc)
        if _REMOTE_HELPER.match(value):
            raise ConfigError(
                f"the '{value.split('::')[0]}::' git transport is not allowed", pair[1].loc
            )
        return value

    def version(self, pair: f.Pair | None) -> str | None:
        if pair is None:
            return None
        text = f.get_str(pair, allow_empty=True).strip()
        if not text:
            return None
        from packaging.specifiers import InvalidSpecifier, SpecifierSet  # only when needed

        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            hint = None
            try:
                SpecifierSet("==" + text)
                hint = f"did you mean '=={text}'?"
            except InvalidSpecifier:
                hint = "use a PEP 440 specifier such as '>=1.2', '==1.2.3' or '~=1.2'"
            raise ConfigError(
                f"invalid version specifier '{text}'", pair[1].loc, hint=hint
            ) from None
        return text

    def extras(self, pair: f.Pair | None) -> tuple[str, ...]:
        if pair is None:
            return ()
        result = []
        for extra, loc in f.get_str_list(pair):
            if not is_distribution_name(extra):
                raise ConfigError(f"invalid extra name '{extra}'", loc)
            result.append(extra)
        return tuple(result)

    def ref(self, pair: f.Pair | None) -> str | None:
        if pair is None:
            return None
        value = f.get_str(pair)
        if value.startswith("-") or has_control_chars(value) or " " in value:
            raise ConfigError(f"invalid git {pair[0].text} name {quoted(value)}", pair[1].loc)
        return value

    def commit(self, pair: f.Pair | None) -> str | None:
        if pair is None:
            return None
        value = f.get_str(pair)
        if not _COMMIT.match(value):
            raise ConfigError(
                f"'commit' must be 4 to 40 hexadecimal digits, got '{value}'", pair[1].loc
            )
        return value

    def depth(self, pair: f.Pair | None) -> int | None:
        if pair is None:
            return None
        value = f.get_int(pair)
        if value < 1:
            raise ConfigError(f"'depth' must be a positive integer, got {value}", pair[1].loc)
        return value

    def plain(self, pair: f.Pair | None) -> str | None:
        return f.get_str(pair) if pair else None

    # setup-deps ----------------------------------------------------------------------------

    def setup_deps(
        self, pair: f.Pair | None
    ) -> tuple[tuple[str, ...], tuple[Location, ...], Location | None]:
        if pair is None:
            return (), (), None
        names: list[str] = []
        locs: list[Location] = []
        seen: dict[str, int] = {}
        for node in f.get_list(pair):
            item, loc = f.get_str((pair[0], node)), node.loc
            if _SPECIFIER_CHARS.search(item):
                raise ConfigError(
                    f"setup-dep '{item}' is not a plain name",
                    loc,
                    hint="setup-deps lists names only; put the version on the dep in a dep-set",
                )
            problem = dep_name_problem(item)
            if problem:
                raise ConfigError(f"invalid setup-dep name {quoted(item)}: {problem}", loc)
            key = canonical_name(item)
            if key in seen:
                raise ConfigError(
                    f"setup-dep '{item}' is listed twice",
                    loc,
                    related=[("first listed here", locs[seen[key]])],
                )
            seen[key] = len(names)
            names.append(item)
            locs.append(loc)
        return tuple(names), tuple(locs), pair[1].loc

    # env-sets ------------------------------------------------------------------------------

    def env_sets(self, pair: f.Pair) -> dict[str, EnvSet]:
        result: dict[str, EnvSet] = {}
        for item in f.get_list(pair):
            mapping = f.expect_map(item, "an env-set")
            f.check_keys(mapping, ENV_SET_KEYS, _label(mapping, "env-set"))
            name_pair = f.require(mapping, "name", "an env-set")
            name = f.get_str(name_pair)
            if name in result:
                raise ConfigError(
                    f"duplicate env-set '{name}'",
                    name_pair[1].loc,
                    related=[("first declared here", result[name].location)],
                )
            if "description" in mapping.entries:
                f.get_str(mapping.entries["description"], allow_empty=True)
            env_pair = mapping.get("env")
            actions = tuple(self.env_action(n) for n in f.get_list(env_pair)) if env_pair else ()
            result[name] = EnvSet(name, mapping.loc, actions)
        return result

    def env_action(self, node: Node) -> EnvAction:
        mapping = f.expect_map(node, "an env entry")
        f.check_keys(mapping, ENV_KEYS, _label(mapping, "env entry"))
        name_pair = f.require(mapping, "name", "an env entry")
        name = f.get_str(name_pair)
        if not is_env_name(name):
            raise ConfigError(f"invalid environment variable name '{name}'", name_pair[1].loc)
        kinds = [key for key in mapping.entries if key in ENV_KINDS]
        if not kinds:
            raise ConfigError(
                f"env entry '{name}' needs one of: " + ", ".join(ENV_KINDS), mapping.loc
            )
        if len(kinds) > 1:
            raise ConfigError(
                f"'{kinds[1]}' cannot be combined with '{kinds[0]}'",
                mapping.entries[kinds[1]][0].loc,
            )
        kind = kinds[0]
        pair = mapping.entries[kind]
        if kind == "value":
            values: tuple[str, ...] = (f.get_str(pair, allow_empty=True),)
        else:
            values = tuple(value for value, _ in f.get_str_list(pair))
            if not values:
                raise ConfigError(f"'{kind}' must not be an empty list", pair[1].loc)
        return EnvAction(name, kind, values, mapping.loc)

    # with.python ---------------------------------------------------------------------------

    def with_settings(self, pair: f.Pair) -> PythonSettings:
        mapping = f.get_map(pair)
        f.check_keys(mapping, WITH_KEYS, "'with'")
        py_pair = mapping.get("python")
        if py_pair is None:
            return PythonSettings()
        python = f.get_map(py_pair)
        f.check_keys(python, PYTHON_KEYS, "'with.python'")

        def urls(key: str) -> tuple[str, ...]:
            entry = python.get(key)
            if entry is None:
                return ()
            values = f.get_str_list(entry)
            for value, loc in values:
                _check_url_text(value, loc)
            return tuple(value for value, _ in values)

        index = python.get("index-url")
        if index is not None:
            _check_url_text(f.get_str(index), index[1].loc)
        no_index = python.get("no-index")
        pre = python.get("pre")
        return PythonSettings(
            index_url=f.get_str(index) if index else None,
            extra_index_urls=urls("extra-index-url"),
            find_links=urls("find-links"),
            no_index=f.get_bool(no_index) if no_index else False,
            pre=f.get_bool(pre) if pre else False,
        )


def _label(mapping: Map, kind: str) -> str:
    pair = mapping.get("name")
    if pair is not None and isinstance(pair[1], Scalar) and pair[1].kind != "null":
        return f"{kind} '{pair[1].text}'"
    return f"a {kind}" if kind[0] not in "aeiou" else f"an {kind}"


def _check_url_text(value: str, loc: Location) -> None:
    if value.startswith("-"):
        raise ConfigError(f"a URL must not start with '-': {quoted(value)}", loc)
    if has_control_chars(value):
        raise ConfigError("a URL must not contain control characters or line breaks", loc)


def _not_applicable_hint(key: str, src: Source, *, explicit: bool) -> str:
    if src is Source.PYPI and not explicit and key != "url":
        return _NOT_FOR_PYPI_HINT
    if key == "version":
        return "'version' applies to pypi deps; pin a git dep with 'tag' or 'commit'"
    if key == "link":
        return "'link' applies to 'src: dir' deps"
    if key == "url":
        return "a pypi dep is installed by name; use 'src: git' or 'src: dir' for a URL"
    if key in ("type", "dep-set"):
        return f"'{key}' applies to git and dir deps"
    return f"'{key}' applies to git deps"

"""Malformed ivpm.yaml files: each is a ConfigError at an exact line:col with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ivpm.errors import EXIT_USAGE, ConfigError
from ivpm.project.loader import load_project
from ivpm.project.schema import schema_text

from .conftest import WriteProject

HEAD = "package:\n  name: p\n"
SET = HEAD + "  dep-sets:\n    - name: a\n      deps:\n"  # deps start on line 6, column 9


def dep(*lines: str) -> str:
    """A file whose only dep has ``lines`` (the first is written after '- ')."""
    body = "        - " + lines[0] + "\n" + "".join(f"          {line}\n" for line in lines[1:])
    return SET + body


# (id, file text, line, col, message fragment)
CASES = [
    ("empty-file", "", 1, 1, "the file is empty"),
    ("only-comments", "# nothing\n", 1, 1, "the file is empty"),
    ("yaml-syntax", "package:\n  name: [p\n", 3, 1, "invalid YAML"),
    ("tab-indent", "package:\n\tname: p\n", 2, 1, "invalid YAML"),
    ("top-level-list", "- package\n", 1, 1, "must be a mapping with a 'package' key"),
    ("unknown-top-key", HEAD + "pakage: x\n", 3, 1, "unknown top-level key 'pakage'"),
    ("package-keys-at-top", "name: p\n", 1, 1, "unknown top-level key 'name'"),
    ("package-not-map", "package: p\n", 1, 10, "'package' must be a mapping, got a string"),
    ("missing-name", "package:\n  version: 1\n", 2, 3, "missing the required key 'name'"),
    ("name-list", "package:\n  name: [1]\n", 2, 9, "'name' must be a string, got a list"),
    ("name-null", "package:\n  name:\n", 2, 3, "'name' must be a string, got nothing"),
    ("unknown-package-key", HEAD + "  dep-set: []\n", 3, 3, "(did you mean 'dep-sets'?)"),
    ("legacy-with-dep-sets", HEAD + "  deps: []\n  dep-sets: []\n", 3, 3, "cannot be combined"),
    ("dep-sets-not-list", HEAD + "  dep-sets: x\n", 3, 13, "'dep-sets' must be a list"),
    ("deps-not-list", SET.replace("deps:\n", "deps: foo\n"), 5, 13, "'deps' must be a list"),
    ("dep-set-no-name", HEAD + "  dep-sets:\n    - deps: []\n", 4, 7, "missing the required key"),
    ("dep-set-empty-name", HEAD + "  dep-sets:\n    - name: ''\n", 4, 13, "must not be empty"),
    (
        "dep-set-unknown-key",
        HEAD + "  dep-sets:\n    - name: a\n      use: b\n",
        5,
        7,
        "unknown key 'use' in dep-set 'a' (did you mean 'uses'?)",
    ),
    ("dep-scalar", SET + "        - requests\n", 6, 11, "a dep must be a mapping"),
    ("dep-no-name", dep("src: pypi"), 6, 11, "a dep is missing the required key 'name'"),
    ("dep-unknown-key", dep("name: x", 'verison: ">=1"'), 7, 11, "(did you mean 'version'?)"),
    ("dep-name-slash", dep("name: ../evil"), 6, 17, "single path component"),
    ("dep-name-dotdot", dep("name: '..'"), 6, 17, "'..' is not a directory name"),
    ("dep-name-dash", dep("name: -rf"), 6, 17, "must not start with '-'"),
    ("dep-name-nul", dep('name: "a\\0b"'), 6, 17, "NUL character"),
    ("pypi-name-invalid", dep("name: foo bar"), 6, 17, "not a valid PyPI package name"),
    ("src-unknown", dep("name: x", "src: gti"), 7, 16, "unknown src 'gti' (did you mean 'git'?)"),
    ("version-garbage", dep("name: x", "version: '>=>=1'"), 7, 20, "invalid version specifier"),
    ("extras-invalid", dep("name: x", "extras: [ok, 'a b']"), 7, 24, "invalid extra name 'a b'"),
    ("extras-map", dep("name: x", "extras: {a: 1}"), 7, 19, "a string or a list of strings"),
    ("pypi-branch", dep("name: x", "branch: main"), 7, 11, "'branch' does not apply to a pypi"),
    ("pypi-link", dep("name: x", "src: pypi", "link: true"), 8, 11, "'link' does not apply"),
    ("pypi-url", dep("name: x", "src: pypi", "url: https://x/y"), 8, 11, "'url' does not apply"),
    ("git-no-url", dep("name: x", "src: git"), 6, 11, "git dep 'x' needs a 'url'"),
    (
        "git-link",
        dep("name: x", "url: a.git", "link: true"),
        8,
        11,
        "'link' does not apply to a git",
    ),
    ("git-version", dep("name: x", "url: a.git", "version: '>=1'"), 8, 11, "'version' does not"),
    (
        "dir-branch",
        dep("name: x", "url: ./x", "branch: b"),
        8,
        11,
        "'branch' does not apply to a dir",
    ),
    ("dir-https", dep("name: x", "src: dir", "url: https://h/x"), 8, 16, "a dir dep needs a local"),
    (
        "url-unclear",
        dep("name: x", "url: ftp://h/x"),
        7,
        16,
        "cannot tell what kind of source 'ftp://h/x'",
    ),
    ("url-dash", dep("name: x", "url: --upload-pack=touch"), 7, 16, "must not start with '-'"),
    ("url-ext", dep("name: x", "src: git", "url: 'ext::sh -c x'"), 8, 16, "'ext::' git transport"),
    ("url-fd", dep("name: x", "src: git", "url: 'fd::7'"), 8, 16, "'fd::' git transport"),
    ("branch-tag", dep("name: x", "url: a.git", "branch: b", "tag: t"), 9, 11, "'tag' cannot be"),
    (
        "tag-commit",
        dep("name: x", "url: a.git", "tag: t", "commit: abcd"),
        9,
        11,
        "'commit' cannot",
    ),
    ("commit-not-hex", dep("name: x", "url: a.git", "commit: xyz"), 8, 19, "hexadecimal digits"),
    ("branch-dash", dep("name: x", "url: a.git", "branch: -x"), 8, 19, "invalid git branch name"),
    ("depth-zero", dep("name: x", "url: a.git", "depth: 0"), 8, 18, "positive integer"),
    ("depth-string", dep("name: x", "url: a.git", "depth: '3'"), 8, 18, "must be an integer"),
    (
        "type-unknown",
        dep("name: x", "url: a.git", "type: pyton"),
        8,
        17,
        "(did you mean 'python'?)",
    ),
    ("link-string", dep("name: x", "url: ./x", 'link: "yes"'), 8, 17, "'link' must be a boolean"),
    ("raw-extras", dep("name: x", "url: a.git", "type: raw", "extras: e"), 9, 11, "raw dep"),
    (
        "dup-dep-set",
        HEAD + "  dep-sets:\n    - name: a\n    - name: a\n",
        5,
        13,
        "duplicate dep-set 'a'",
    ),
    (
        "dup-dep",
        dep("name: My_Lib") + "        - name: my-lib\n",
        7,
        11,
        "dep 'my-lib' is listed twice in dep-set 'a' (same as 'My_Lib')",
    ),
    (
        "default-missing",
        HEAD + "  default-dep-set: devel\n  dep-sets:\n    - name: dev\n",
        3,
        20,
        "default-dep-set 'devel' is not defined (did you mean 'dev'?)",
    ),
    (
        "uses-missing",
        HEAD + "  dep-sets:\n    - name: base\n    - name: dev\n      uses: bsae\n",
        6,
        13,
        "uses an unknown dep-set 'bsae' (did you mean 'base'?)",
    ),
    (
        "uses-cycle",
        HEAD + "  dep-sets:\n    - name: a\n      uses: b\n    - name: b\n      uses: [c, a]\n"
        "    - name: c\n",
        7,
        17,
        "dep-set 'uses' cycle: a -> b -> a",
    ),
    (
        "uses-self",
        HEAD + "  dep-sets:\n    - name: a\n      uses: a\n",
        5,
        13,
        "cycle: a -> a",
    ),
    (
        "setup-dup",
        HEAD + "  setup-deps: [wheel, Wheel]\n",
        3,
        23,
        "setup-dep 'Wheel' is listed twice",
    ),
    ("setup-version", HEAD + "  setup-deps: ['cython>=3']\n", 3, 16, "is not a plain name"),
    ("setup-not-list", HEAD + "  setup-deps: {a: 1}\n", 3, 15, "'setup-deps' must be a list"),
    (
        "dup-env-set",
        HEAD + "  env-sets:\n    - name: e\n    - name: e\n",
        5,
        13,
        "duplicate env-set 'e'",
    ),
    (
        "env-two-kinds",
        HEAD + "  env-sets:\n    - name: e\n      env:\n        - name: A\n          value: x\n"
        "          path: y\n",
        8,
        11,
        "'path' cannot be combined with 'value'",
    ),
    (
        "env-no-kind",
        HEAD + "  env-sets:\n    - name: e\n      env:\n        - name: A\n",
        6,
        11,
        "env entry 'A' needs one of",
    ),
    (
        "env-bad-name",
        HEAD + "  env-sets:\n    - name: e\n      env:\n        - {name: 1BAD, value: x}\n",
        6,
        18,
        "invalid environment variable name '1BAD'",
    ),
    ("with-unknown", HEAD + "  with:\n    pyhton: {}\n", 4, 5, "(did you mean 'python'?)"),
    (
        "with-no-index-string",
        HEAD + "  with:\n    python:\n      no-index: 'no'\n",
        5,
        17,
        "'no-index' must be a boolean",
    ),
    (
        "with-index-dash",
        HEAD + "  with:\n    python:\n      index-url: -i\n",
        5,
        18,
        "must not start with '-'",
    ),
    (
        "python-tag",
        HEAD + "  version: !!python/object/apply:os.system [ls]\n",
        3,
        12,
        "unsupported",
    ),
    ("custom-tag", HEAD + "  version: !mine 1\n", 3, 12, "unsupported YAML tag '!mine'"),
    ("set-tag", HEAD + "  version: !!set {a: null}\n", 3, 12, "unsupported YAML tag '!!set'"),
    ("alias", HEAD + "  version: &v 1\n  description: *v\n", 4, 16, "aliases"),
    ("duplicate-key", HEAD + "  name: q\n", 3, 3, "duplicate key 'name'"),
    ("complex-key", HEAD + "  ? [a]\n  : b\n", 3, 5, "a mapping key must be a plain string"),
    ("two-documents", HEAD + "---\npackage: {name: q}\n", 3, 1, "a single YAML document"),
    ("control-char", HEAD + "  version: a\x07\n", 3, 13, "control characters"),
    ("too-deep", "package: " + "[" * 150 + "]" * 150 + "\n", 1, 109, "nested deeper than 100"),
]


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed(
    write_project: WriteProject, text: str, line: int, col: int, fragment: str
) -> None:
    path = write_project(text)
    with pytest.raises(ConfigError) as caught:
        load_project(path)
    error = caught.value
    assert fragment in error.message
    assert error.location is not None
    assert error.location.path == path
    assert (error.location.line, error.location.col) == (line, col), error.render()
    assert error.exit_code == EXIT_USAGE
    rendered = error.render()
    assert f"ivpm.yaml:{line}:{col}: error: " in rendered


def test_there_are_many_cases() -> None:
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


def test_render_shows_source_line_and_caret(write_project: WriteProject) -> None:
    path = write_project(dep("name: x", "src: gti"))
    with pytest.raises(ConfigError) as caught:
        load_project(path)
    lines = caught.value.render().splitlines()
    assert lines[0].endswith("ivpm.yaml:7:16: error: unknown src 'gti' (did you mean 'git'?)")
    assert lines[1] == "            src: gti"
    assert lines[2] == "  " + " " * 15 + "^"
    assert "hint: 'src' is one of: pypi, git, dir" in lines[-1]


def test_bare_version_means_exactly_that_version(write_project: WriteProject) -> None:
    path = write_project(dep("name: x", "version: 1.2.3"))
    (x,) = load_project(path).dep_sets["a"].deps
    assert x.version == "==1.2.3"


def test_duplicates_point_at_first(write_project: WriteProject) -> None:
    path = write_project(HEAD + "  dep-sets:\n    - name: a\n    - name: b\n    - name: a\n")
    with pytest.raises(ConfigError) as caught:
        load_project(path)
    (note, location), *_ = caught.value.related
    assert note == "first declared here"
    assert (location.line, location.col) == (4, 7)
    assert "ivpm.yaml:4:7: note: first declared here" in caught.value.render()


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "ivpm.yaml"
    path.write_bytes(b"package:\n  name: p\xff\n")
    with pytest.raises(ConfigError) as caught:
        load_project(path)
    assert "not valid UTF-8" in caught.value.message
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) == (2, 10)


def test_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "ivpm.yaml"
    path.write_bytes(b"package:\n  name: p\n" + b"#" * (5 * 1024 * 1024))
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        load_project(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_project(tmp_path / "ivpm.yaml")


def test_alias_bomb_is_refused_quickly(write_project: WriteProject) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    path = write_project("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="aliases"):
        load_project(path)


# Malformed files the JSON Schema cannot see: YAML-level problems and cross-references.
NOT_SCHEMA_CHECKABLE = {
    "empty-file",
    "only-comments",
    "yaml-syntax",
    "tab-indent",
    "two-documents",
    "control-char",
    "alias",
    "duplicate-key",
    "dup-dep-set",
    "dup-dep",
    "dup-env-set",
    "setup-dup",
    "default-missing",
    "uses-missing",
    "uses-cycle",
    "uses-self",
}


@pytest.mark.parametrize(
    "text",
    [case[1] for case in CASES if case[0] not in NOT_SCHEMA_CHECKABLE],
    ids=[case[0] for case in CASES if case[0] not in NOT_SCHEMA_CHECKABLE],
)
def test_schema_rejects_malformed(text: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:  # tags the safe loader refuses, too-deep documents, ...
        return
    assert list(validator.iter_errors(document))

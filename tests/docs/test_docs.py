"""The user guide cannot drift: its commands parse, its ivpm.yaml examples load, its reference
covers the schema, and mkdocs.yml lists every page."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ivpm.cli import build_parser, main
from ivpm.project.loader import load_project
from ivpm.sessions import load_builtin_sessions

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
SCHEMA = ROOT / "ivpm" / "project" / "ivpm.schema.json"
SHELL_LANGS = {"sh", "bash", "shell", "console", "shell-session"}
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_OPERATORS = {"&&", "||", ";", "|"}


def code_blocks(path: Path) -> Iterator[tuple[str, str]]:
    """``(language, text)`` of every fenced code block in a Markdown file."""
    for match in _FENCE.finditer(path.read_text(encoding="utf-8")):
        yield match.group(1).lower(), match.group(2)


def ivpm_commands(path: Path) -> Iterator[list[str]]:
    """The argument lists of every ``ivpm ...`` command in the file's shell code blocks."""
    for lang, text in code_blocks(path):
        if lang not in SHELL_LANGS:
            continue
        for raw in text.splitlines():
            line = raw.strip().removeprefix("$ ")
            if not line or line.startswith("#"):
                continue
            words = shlex.split(line, comments=True)
            segment: list[str] = []
            for word in [*words, ";"]:
                if word in _OPERATORS:
                    yield from _ivpm_args(segment)
                    segment = []
                else:
                    segment.append(word)


def _ivpm_args(segment: list[str]) -> Iterator[list[str]]:
    while segment and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", segment[0]):
        segment = segment[1:]  # VAR=value prefixes
    if segment and (segment[0] == "ivpm" or segment[0].endswith("/ivpm")):
        redirect = next((i for i, w in enumerate(segment) if re.match(r"^\d?[<>]", w)), None)
        yield segment[1:redirect]


def all_commands() -> list[tuple[str, list[str]]]:
    pages = [*PAGES, ROOT / "README.md"]
    return [(page.name, args) for page in pages for args in ivpm_commands(page)]


def test_the_docs_show_commands() -> None:
    shown = {" ".join(args) for _, args in all_commands()}
    for expected in ("status", "status --json", "update", "build --debug", "-s update build"):
        assert expected in shown


@pytest.mark.parametrize(
    ("page", "args"), all_commands(), ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_every_command_shown_parses(
    page: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = args[: args.index("--")] if "--" in args else args
    registry = load_builtin_sessions()
    namespace = build_parser(registry).parse_intermixed_args(before)
    assert main([*before, "--help"]) == 0, f"{page}: ivpm {' '.join(args)}"
    capsys.readouterr()
    if namespace.list or namespace.version:
        return
    selected = namespace.sessions or namespace.words[:1] or registry.defaults()
    plan = registry.plan(selected)  # an unknown session raises
    if namespace.words[1:]:
        assert any(spec.takes_args for spec in plan), f"{page}: ivpm {' '.join(args)}"


def yaml_examples() -> list[tuple[str, str]]:
    return [
        (page.name, text)
        for page in PAGES
        for lang, text in code_blocks(page)
        if lang == "yaml" and text.startswith("package:")
    ]


@pytest.mark.parametrize(("page", "text"), yaml_examples())
def test_every_ivpm_yaml_example_is_valid(page: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "ivpm.yaml").write_text(text, encoding="utf-8")
    load_project(tmp_path / "ivpm.yaml")
    jsonschema.validate(yaml.safe_load(text), json.loads(SCHEMA.read_text(encoding="utf-8")))


def schema_properties(node: Any) -> Iterator[str]:
    """Every property name declared anywhere in the schema."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in node.values():
            yield from schema_properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_properties(value)


def test_reference_documents_every_schema_property() -> None:
    reference = (DOCS / "ivpm-yaml.md").read_text(encoding="utf-8")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    names = set(schema_properties(schema))
    assert {"package", "dep-sets", "setup-deps", "path-prepend", "no-index"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in reference)
    assert missing == [], f"ivpm-yaml.md does not document: {missing}"


def test_mkdocs_nav_lists_every_page() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = {page for entry in config["nav"] for page in entry.values()}
    assert nav == {page.name for page in PAGES} | {"nox.md", "performance.md", "reliability.md"}
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert all(f"]({page})" in index for page in nav - {"index.md"})

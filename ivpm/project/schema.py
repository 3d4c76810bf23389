"""The JSON Schema of ivpm.yaml, shipped with the package for editors and ``ivpm schema``."""

from __future__ import annotations

from importlib import resources

SCHEMA_FILE = "ivpm.schema.json"


def schema_text() -> str:
    """The JSON Schema (draft 2020-12) describing the ivpm.yaml format, as JSON text."""
    return resources.files("ivpm.project").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")

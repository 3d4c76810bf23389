"""``schema``: print the JSON Schema of ivpm.yaml, for editors and CI validation."""

from __future__ import annotations

import sys

from ivpm.context import Session
from ivpm.sessions import session


@session(name="schema", needs_project=False, writes=False)
def schema(s: Session) -> None:
    """Print the JSON Schema (draft 2020-12) that ivpm.yaml files follow."""
    from ivpm.project.schema import schema_text

    sys.stdout.write(schema_text())

"""ivpm: a project-local package manager for mixed git and PyPI Python projects."""

from __future__ import annotations

__version__ = "3.0.0.dev0"

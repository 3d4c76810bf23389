"""A tiny co-developed package of the example project."""

from __future__ import annotations


def greet(name: str) -> str:
    """Say hello to ``name``."""
    return f"hello, {name}"

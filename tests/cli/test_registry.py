"""Pure ordering logic of the session registry (nox ``requires=`` semantics)."""

from __future__ import annotations

import pytest

from ivpm.context import Session
from ivpm.errors import SelectionError
from ivpm.registry import Registry


def make_registry(graph: dict[str, list[str]]) -> Registry:
    registry = Registry()
    for name, requires in graph.items():

        def func(s: Session) -> None:
            """Help line."""

        registry.session(name=name, requires=requires)(func)
    return registry


def names(registry: Registry, selected: list[str]) -> list[str]:
    return [spec.name for spec in registry.plan(selected)]


def test_prerequisites_run_just_before_first_dependent() -> None:
    registry = make_registry({"a": [], "b": ["a"], "c": [], "d": ["c", "b"]})
    assert names(registry, ["c", "d"]) == ["c", "a", "b", "d"]
    assert names(registry, ["d", "a"]) == ["c", "a", "b", "d"]


def test_each_session_once() -> None:
    registry = make_registry({"a": [], "b": ["a"], "c": ["a", "b"]})
    assert names(registry, ["c", "b", "a", "c"]) == ["a", "b", "c"]


def test_unknown_required_name_is_selection_error() -> None:
    registry = make_registry({"a": ["missing"]})
    with pytest.raises(SelectionError, match="unknown session 'missing'"):
        registry.plan(["a"])


def test_cycle_names_the_chain() -> None:
    registry = make_registry({"a": ["b"], "b": ["c"], "c": ["a"]})
    with pytest.raises(SelectionError, match="a -> b -> c -> a"):
        registry.plan(["a"])


def test_help_is_first_docstring_line() -> None:
    registry = make_registry({"a": []})
    assert registry.get("a").help == "Help line."


def test_duplicate_registration_is_refused() -> None:
    registry = make_registry({"a": []})
    with pytest.raises(ValueError, match="registered twice"):
        registry.session(name="a")(lambda s: None)

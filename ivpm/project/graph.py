"""Small graph algorithms over named nodes: cycle finding and level-wise topological order."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

_GRAY, _BLACK = 1, 2


def find_cycle(nodes: Iterable[T], edges: Callable[[T], Iterable[T]]) -> list[T] | None:
    """The first cycle found by a depth-first walk in ``nodes`` order, as ``[a, b, ..., a]``."""
    color: dict[T, int] = {}
    for start in nodes:
        if start in color:
            continue
        color[start] = _GRAY
        path = [start]
        stack: list[Iterator[T]] = [iter(edges(start))]
        while stack:
            for nxt in stack[-1]:
                state = color.get(nxt)
                if state == _GRAY:
                    return [*path[path.index(nxt) :], nxt]
                if state is None:
                    color[nxt] = _GRAY
                    path.append(nxt)
                    stack.append(iter(edges(nxt)))
                    break
            else:
                color[path.pop()] = _BLACK
                stack.pop()
    return None


def topo_levels(nodes: Sequence[T], edges: Callable[[T], Iterable[T]]) -> list[list[T]]:
    """Group ``nodes`` into levels: each node comes after everything it points to.

    Edges to nodes outside ``nodes`` (and self-edges) are ignored; within a level the order of
    ``nodes`` is kept. A cycle raises ValueError.
    """
    index = {node: position for position, node in enumerate(nodes)}
    dependents: dict[T, list[T]] = {node: [] for node in nodes}
    pending: dict[T, int] = {}
    for node in nodes:
        targets = {target for target in edges(node) if target in index and target != node}
        pending[node] = len(targets)
        for target in targets:
            dependents[target].append(node)
    levels: list[list[T]] = []
    current = [node for node in nodes if pending[node] == 0]
    placed = 0
    while current:
        levels.append(current)
        placed += len(current)
        ready = []
        for node in current:
            for dependent in dependents[node]:
                pending[dependent] -= 1
                if pending[dependent] == 0:
                    ready.append(dependent)
        current = sorted(ready, key=index.__getitem__)
    if placed != len(nodes):
        raise ValueError("the graph has a cycle")
    return levels

"""The commitment framework as the coverage figures read it: which sub-items each item
stands for, and which items each sub-item counts for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from crm.services.reference import framework_items


@dataclass
class Tree:
    items: dict[int, tuple[int | None, str, str]]  # id -> (parent id, code, text)
    children: dict[int | None, list[int]] = field(default_factory=dict)
    _leaves: dict[int, frozenset[int]] = field(default_factory=dict)
    _up: dict[int, tuple[int, ...]] = field(default_factory=dict)
    memo: dict[object, object] = field(default_factory=dict)  # callers' caches, per tree

    def leaves_below(self, item_id: int) -> frozenset[int]:
        """The sub-items at or below an item (a sub-item: itself)."""
        if item_id not in self._leaves:
            below = self.children.get(item_id, [])
            if not below:
                self._leaves[item_id] = (
                    frozenset({item_id}) if item_id in self.items else frozenset()
                )
            else:
                self._leaves[item_id] = frozenset().union(*(self.leaves_below(c) for c in below))
        return self._leaves[item_id]

    def up(self, leaf_id: int) -> tuple[int, ...]:
        """A sub-item and every item above it."""
        if leaf_id not in self._up:
            chain: list[int] = []
            node: int | None = leaf_id
            while node is not None and node in self.items and node not in chain:
                chain.append(node)
                node = self.items[node][0]
            self._up[leaf_id] = tuple(chain)
        return self._up[leaf_id]

    def preorder(self) -> list[tuple[int, int]]:
        """(item id, depth) in the framework's order: each item before the items below it."""
        found: list[tuple[int, int]] = []

        def walk(parent: int | None, depth: int) -> None:
            for child in self.children.get(parent, []):
                found.append((child, depth))
                walk(child, depth + 1)

        walk(None, 0)
        return found


_last: list[object] = [None, None]  # the rows read last, and their tree
_given: ContextVar[Tree | None] = ContextVar("coverage_tree", default=None)


def build(rows: Iterable[tuple[int, int | None, str, str]]) -> Tree:
    """The tree of (id, parent id, code, text) rows in the framework's order."""
    rows = list(rows)
    built = Tree({item_id: (parent_id, code, text) for item_id, parent_id, code, text in rows})
    for item_id, parent_id, _code, _text in rows:
        built.children.setdefault(parent_id, []).append(item_id)
    return built


@contextmanager
def using(given: Tree) -> Iterator[None]:
    """Use this tree meanwhile (a migration reads the framework on its own connection)."""
    token = _given.set(given)
    try:
        yield
    finally:
        _given.reset(token)


def tree() -> Tree:
    """The tree of ``reference.framework_items()`` (cached per database there), built once
    for each reading of them."""
    given = _given.get()
    if given is not None:
        return given
    rows = framework_items()
    if _last[0] is not rows or not isinstance(_last[1], Tree):
        _last[:] = [rows, build(rows)]
    return _last[1]  # type: ignore[return-value]

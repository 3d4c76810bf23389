"""Key tables: each level of an ivpm.yaml declares its keys once, with their types and checks.

A level (``package``, a dep-set, a dep, ...) is a :class:`Table` subclass whose class attributes
are :class:`Key` rows, written in the order the "allowed keys" hint lists them::

    class EnvSetKeys(Table):
        WHAT = "an env-set"
        KIND = "env-set"
        name = Key("name", values.text, "", required=True)
        env = Key("env", fields.get_list, ())

A row names the key, the function that reads its value (type check, conversion and the key's
own checks, each failure a located ConfigError) and the value when the key is absent. Adding a
key is one row plus the code of its meaning. :meth:`Table.read` reports keys the table does not
declare (an error with a did-you-mean in the user's file, a warning in a sub-project's, see
:mod:`ivpm.project.diagnostics`) and returns the :class:`Entries` of the mapping, from which
the loader takes each value, read on demand, in the order its meaning needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from ivpm.errors import Location
from ivpm.project import fields as f
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.yamlnodes import Map, Scalar

T = TypeVar("T")


@dataclass(frozen=True)
class Key(Generic[T]):
    """One key of a level: its name, how its value is read, and its value when absent.

    ``read`` checks and converts the value; ``default`` is what an absent key means (unused for
    a ``required`` key, whose absence is an error at the mapping). A ``checked_only`` key is
    validated by :meth:`Entries.check_only` and its value is never kept (documentation, and
    settings this ivpm accepts without acting on them).
    """

    name: str
    read: Callable[[f.Pair], T]
    default: T
    required: bool = False
    checked_only: bool = False


class Table:
    """The keys of one level, declared as class attributes of a subclass (see the module doc).

    ``WHAT`` names an entry of the level in messages ("a dep", "'package'"); ``KIND``, when
    set, lets unknown-key errors name the entry by its ``name`` ("dep 'x'").
    """

    WHAT: ClassVar[str] = ""
    KIND: ClassVar[str | None] = None
    KEYS: ClassVar[tuple[Key[Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.KEYS = tuple(value for value in vars(cls).values() if isinstance(value, Key))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The key names of this level, in declaration order."""
        return tuple(key.name for key in cls.KEYS)

    @classmethod
    def read(
        cls, mapping: Map, diagnostics: Diagnostics, suggest: Sequence[str] | None = None
    ) -> Entries:
        """The entries of ``mapping``; a key this level does not declare is reported to
        ``diagnostics`` (an error when strict) and left out of the entries.

        ``suggest`` narrows the keys the message offers (default: all of the level's).
        """
        allowed = cls.names()
        known = {key: pair for key, pair in mapping.entries.items() if key in allowed}
        for key, (key_node, _) in mapping.entries.items():
            if key not in known:
                offered = allowed if suggest is None else suggest
                diagnostics.unknown_key(key, key_node.loc, offered, cls.label(mapping))
        return Entries(Map(known, mapping.loc), cls)

    @classmethod
    def label(cls, mapping: Map) -> str:
        """How unknown-key errors name ``mapping``: by its ``name`` when the level has a KIND."""
        pair = mapping.get("name")
        if cls.KIND and pair is not None and isinstance(pair[1], Scalar) and pair[1].kind != "null":
            return f"{cls.KIND} '{pair[1].text}'"
        return cls.WHAT


class Entries:
    """The entries of one mapping whose keys passed its table's check."""

    def __init__(self, mapping: Map, table: type[Table]) -> None:
        self.mapping = mapping
        self.table = table

    @property
    def location(self) -> Location:
        """Where the mapping starts."""
        return self.mapping.loc

    def get(self, key: Key[T]) -> T:
        """The value of ``key``, read and checked now; its default when the key is absent."""
        self._declared(key)
        if key.required:
            return key.read(f.require(self.mapping, key.name, self.table.WHAT))
        pair = self.mapping.get(key.name)
        return key.default if pair is None else key.read(pair)

    def check_only(self) -> None:
        """Read (and so check) every ``checked_only`` key present, in table order."""
        for key in self.table.KEYS:
            if key.checked_only and key.name in self.mapping.entries:
                key.read(self.mapping.entries[key.name])

    def has(self, key: Key[Any]) -> bool:
        """True when the mapping holds ``key``."""
        self._declared(key)
        return key.name in self.mapping.entries

    def key_loc(self, key: Key[Any]) -> Location:
        """Where ``key`` itself is written (it must be present)."""
        self._declared(key)
        return self.mapping.entries[key.name][0].loc

    def value_loc(self, key: Key[Any]) -> Location:
        """Where the value of ``key`` is written (it must be present)."""
        self._declared(key)
        return self.mapping.entries[key.name][1].loc

    def _declared(self, key: Key[Any]) -> None:
        if not any(key is row for row in self.table.KEYS):
            raise LookupError(f"'{key.name}' is not a key of {self.table.__name__}")

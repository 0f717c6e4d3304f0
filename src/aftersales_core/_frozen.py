"""Immutable containers for case data (internal).

``FrozenDict`` is a ``dict`` that refuses mutation: it compares equal to a plain
dict with the same items, serialises as one, and can be hashed when its values can.
``freeze`` turns nested dicts/lists from validated input into FrozenDicts/tuples,
so a stored ``Case`` can never be changed behind the store's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["EMPTY", "FrozenDict", "freeze"]


class FrozenDict(dict[K, V]):
    """A read-only dict."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("case data is immutable; fire a trigger to change a case")

    __setitem__ = _refuse
    __delitem__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse
    __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: Any) -> FrozenDict[K, V]:
        return self

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def merged(self, changes: Mapping[K, V]) -> FrozenDict[K, V]:
        """A new FrozenDict with ``changes`` applied (``None`` values are kept as values)."""
        if not changes:
            return self
        new: dict[K, V] = dict(self)
        new.update(changes)
        return FrozenDict(new)


EMPTY: FrozenDict[Any, Any] = FrozenDict()


def freeze(value: Any) -> Any:
    """Recursively turn dicts into FrozenDicts and lists/sets into tuples."""
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(freeze(v) for v in value))
    return value

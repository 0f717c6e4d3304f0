"""Immutable containers for case data (internal).

``FrozenDict`` is a ``dict`` that refuses mutation: it compares equal to a plain
dict with the same items, serialises as one, and can be hashed when its values can.
``freeze`` turns nested dicts/lists from validated input into FrozenDicts/tuples,
so a stored ``Case`` can never be changed behind the store's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, NoReturn, TypeVar, Union, get_args, get_origin

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["EMPTY", "SCALARS", "FrozenDict", "declares_atomic_fields", "freeze", "is_atomic_type"]


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
        new: FrozenDict[K, V] = FrozenDict(self)
        dict.update(new, changes)  # still private to this call: safe to fill
        return new


EMPTY: FrozenDict[Any, Any] = FrozenDict()


_IMMUTABLE, _DICT, _SEQ, _SET, _FROZEN, _MODEL = 0, 1, 2, 3, 4, 5
_KINDS: dict[type, int] = {
    str: _IMMUTABLE,
    int: _IMMUTABLE,
    bool: _IMMUTABLE,
    float: _IMMUTABLE,
    type(None): _IMMUTABLE,
    bytes: _IMMUTABLE,
    Decimal: _IMMUTABLE,
    date: _IMMUTABLE,
    datetime: _IMMUTABLE,
    time: _IMMUTABLE,
    timedelta: _IMMUTABLE,
    dict: _DICT,
    list: _SEQ,
    tuple: _SEQ,
    set: _SET,
    frozenset: _SET,
}


def _kind(tp: type) -> int:
    """How ``freeze`` treats values of type ``tp`` (classified once per type)."""
    kind = _KINDS.get(tp)
    if kind is None:
        if issubclass(tp, FrozenDict):
            kind = _FROZEN
        elif issubclass(tp, dict):
            kind = _DICT
        elif issubclass(tp, list | tuple):
            kind = _SEQ
        elif issubclass(tp, set | frozenset):
            kind = _SET
        elif hasattr(tp, "__pydantic_fields__"):  # a pydantic model (no import needed to know)
            kind = _MODEL
        else:
            # enums, Money, attrs value objects and other values are kept as they are
            kind = _IMMUTABLE
        _KINDS[tp] = kind
    return kind


def freeze(value: Any) -> Any:
    """Recursively turn dicts into FrozenDicts and lists/sets into tuples.

    What is frozen already comes back as it is (the same object), so freezing the
    usual input — scalars, tuples of scalars, FrozenDicts — copies one dict at most.
    """
    kind = _KINDS.get(type(value)) if type(value) is not FrozenDict else _FROZEN
    if kind is None:
        kind = _kind(type(value))
    if kind in (_IMMUTABLE, _FROZEN):
        return value
    if kind == _DICT:
        return _freeze_items(value)
    if kind == _SEQ:
        for v in value:
            if _KINDS.get(type(v)) != _IMMUTABLE:
                return tuple([freeze(v) for v in value])
        return value if type(value) is tuple else tuple(value)
    if kind == _MODEL:  # validated input: its fields, frozen (what model_dump() would give)
        atomic = _ATOMIC_MODELS.get(type(value))
        if atomic is None:
            atomic = declares_atomic_fields(type(value))
        return FrozenDict(value.__dict__) if atomic else _freeze_items(value.__dict__)
    return tuple(sorted(freeze(v) for v in value))


def _freeze_items(items: dict[Any, Any]) -> FrozenDict[Any, Any]:
    kinds = _KINDS
    changed: dict[Any, Any] | None = None
    for k, v in items.items():
        if kinds.get(type(v)) != _IMMUTABLE:
            frozen = freeze(v)
            if frozen is not v:
                if changed is None:
                    changed = {}
                changed[k] = frozen
    out: FrozenDict[Any, Any] = FrozenDict(items)
    if changed:
        dict.update(out, changed)  # still private to this call: safe to fill
    return out


#: pydantic model class (with the fields left out, if any) -> whether its fields hold immutable values only
_ATOMIC_MODELS: dict[type | tuple[type, frozenset[str]], bool] = {}
_ATOMIC_TYPES = (str, int, bool, float, bytes, Decimal, date, datetime, time, timedelta, type(None))
_NONE_LEFT_OUT: frozenset[str] = frozenset()
#: the types whose values ``Context.set`` and ``Decision`` keep without a look inside
SCALARS: frozenset[type] = frozenset({str, int, bool, type(None)})


def declares_atomic_fields(model: type, leave_out: frozenset[str] = _NONE_LEFT_OUT) -> bool:
    """Whether a validated ``model`` can only hold immutable values in its fields
    (those in ``leave_out`` aside); then its fields are frozen by one copy, without
    looking at each value. Answered once per model class."""
    key: type | tuple[type, frozenset[str]] = (model, leave_out) if leave_out else model
    found = _ATOMIC_MODELS.get(key)
    if found is None:
        fields = getattr(model, "model_fields", None)
        found = isinstance(fields, dict) and all(
            is_atomic_type(f.annotation) for name, f in fields.items() if name not in leave_out
        )
        _ATOMIC_MODELS[key] = found
    return found


def is_atomic_type(tp: Any) -> bool:
    if tp in _ATOMIC_TYPES:
        return True
    if isinstance(tp, type):
        return issubclass(tp, Enum)
    origin = get_origin(tp)
    if origin is Literal:
        return all(type(a) in _ATOMIC_TYPES or isinstance(a, Enum) for a in get_args(tp))
    if origin is Annotated or origin is Union or origin is UnionType or origin is tuple:
        args = get_args(tp)
        if origin is Annotated:
            args = args[:1]
        return bool(args) and all(a is Ellipsis or is_atomic_type(a) for a in args)
    return False

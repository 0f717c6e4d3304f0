"""JSON codec for events and case snapshots: what the SQL store writes (DESIGN §5, G-2).

``decode(encode(x)) == x`` for every :class:`~aftersales_core.events.Event` and
:class:`~aftersales_core.model.Case`, and replaying decoded events gives the
decoded snapshot. Plain JSON carries ``str``, ``int``, ``bool``, ``None``, lists
and string-keyed objects; every other value a case may hold is written as a tagged
object ``{"$t": TAG, ...}``:

==============================  ==========================================================
value                           JSON
==============================  ==========================================================
``Money("12.30")``              ``{"$t": "Money", "v": "12.30"}`` (exact text, never a float; FIN-1)
``Decimal("0.125")``            ``{"$t": "Decimal", "v": "0.125"}``
``date(2026, 3, 2)``            ``{"$t": "date", "v": "2026-03-02"}``
aware ``datetime``              ``{"$t": "datetime", "v": "2026-03-02T09:00:00+08:00"}`` (offset kept)
``frozenset``/``set``           ``{"$t": "set", "v": [...]}`` (sorted where the items allow)
attrs value objects             ``{"$t": "Actor", "id": ..., "role": ...}`` (one key per field)
==============================  ==========================================================

The attrs value objects known from the start are ``Actor``, ``Customer``,
``Product``, ``Component``, ``Deadline``, ``Decision``, ``Event`` and ``Case``;
:func:`register` adds another frozen attrs class. Decoding turns JSON arrays into
tuples and objects into :class:`~aftersales_core._frozen.FrozenDict`, the shapes a
case holds. ``StrEnum`` members are written as their string (a ``StrEnum`` equals
its value; attrs converters such as ``Actor.role`` restore the member). Dict keys
must be strings and ``"$t"`` is reserved.

>>> from aftersales_core.money import Money
>>> dumps({"fee": Money("12.3")})
'{"fee":{"$t":"Money","v":"12.30"}}'
>>> loads(dumps({"fee": Money("12.3"), "parts": ["belt", "roller"]}))
FrozenDict({'fee': Money('12.30'), 'parts': ('belt', 'roller')})
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from aftersales_core._frozen import EMPTY, FrozenDict
from aftersales_core.clock import CHINA_TZ
from aftersales_core.events import Decision, Event
from aftersales_core.model import Actor, Case, Component, Customer, Deadline, Product
from aftersales_core.money import Money

__all__ = ["TAG", "dumps", "dumps_case", "dumps_event", "loads", "loads_case", "loads_event", "register"]

#: The key that marks a tagged (non-JSON) value.
TAG = "$t"

T = TypeVar("T")

_Encoder = Callable[[Any], dict[str, Any]]
_Decoder = Callable[[dict[str, Any]], Any]

_ENCODERS: dict[type, _Encoder] = {}
_DECODERS: dict[str, _Decoder] = {}
_TAGS: dict[str, type] = {}


# --------------------------------------------------------------------------- scalars


def _enc_money(m: Money) -> dict[str, Any]:
    return {TAG: "Money", "v": str(m.amount)}


def _enc_decimal(d: Decimal) -> dict[str, Any]:
    return {TAG: "Decimal", "v": str(d)}


def _enc_date(d: date) -> dict[str, Any]:
    return {TAG: "date", "v": d.isoformat()}


def _enc_datetime(d: datetime) -> dict[str, Any]:
    return {TAG: "datetime", "v": d.isoformat()}


def _enc_set(s: frozenset[Any] | set[Any]) -> dict[str, Any]:
    try:
        items = sorted(s)
    except TypeError:  # mixed item types: any order decodes to the same set
        items = list(s)
    return {TAG: "set", "v": items}


_CHINA_SUFFIX = "+08:00"
_DATETIMES: dict[str, datetime] = {}  # decoded instants; a case repeats the same few many times


def _dec_datetime(text: str) -> datetime:
    value = _DATETIMES.get(text)
    if value is None:
        value = datetime.fromisoformat(text)
        if text.endswith(_CHINA_SUFFIX):  # the library's own zone: give back the named CHINA_TZ
            value = value.replace(tzinfo=CHINA_TZ)
        if len(_DATETIMES) >= 4096:
            _DATETIMES.clear()
        _DATETIMES[text] = value
    return value


def _dec_set(items: list[Any]) -> frozenset[Any]:
    return frozenset(_tuples(items))


_ENCODERS.update(
    {
        Money: _enc_money,
        Decimal: _enc_decimal,
        date: _enc_date,
        datetime: _enc_datetime,
        frozenset: _enc_set,
        set: _enc_set,
    }
)
#: decoders of the tagged scalars, called with the "v" value
_SCALARS: dict[str, Callable[[Any], Any]] = {
    "Money": Money,
    "Decimal": Decimal,
    "date": date.fromisoformat,
    "datetime": _dec_datetime,
    "set": _dec_set,
}
_TAGS.update({"Money": Money, "Decimal": Decimal, "date": date, "datetime": datetime, "set": frozenset})


# --------------------------------------------------------------------------- attrs value objects


def register(cls: type[T], tag: str | None = None) -> type[T]:
    """Let the codec store instances of the attrs class ``cls`` (tagged ``tag``,
    default the class name). Returns ``cls``, so it also works as a decorator.

    The class is rebuilt from its ``__init__`` arguments by keyword; fields added
    later need a default so that stored values still decode.
    """
    name = tag or cls.__name__
    definition: Any = cls
    if not attrs.has(definition):
        raise TypeError(f"{name} is not an attrs class; only attrs value objects can be registered")
    owner = _TAGS.get(name)
    if owner is not None and owner is not cls:
        raise ValueError(f"codec tag {name!r} is already used by {owner.__name__}")
    missing = [f.name for f in attrs.fields(definition) if not f.init]
    if missing:
        raise TypeError(f"{name}: fields {missing} are not __init__ arguments; the codec cannot rebuild it")
    fields = [(f.name, f.alias or f.name) for f in attrs.fields(definition)]
    if not all(field.isidentifier() for field, _key in fields):  # pragma: no cover - attrs guarantees it
        raise TypeError(f"{name}: field names must be identifiers")
    # a generated dict display is three times faster than a getattr loop (hot path of every append)
    body = ", ".join(f"{key!r}: obj.{field}" for field, key in fields)
    namespace: dict[str, Any] = {}
    exec(f"def encode(obj):\n    return {{{TAG!r}: {name!r}, {body}}}\n", namespace)
    encode: _Encoder = namespace["encode"]

    _TAGS[name] = definition
    _ENCODERS[definition] = encode
    _DECODERS[name] = lambda d: definition(**d)
    return cls


for _cls in (Actor, Customer, Component, Product, Deadline, Decision, Event, Case):
    register(_cls)


# --------------------------------------------------------------------------- json hooks


def _default(obj: Any) -> Any:
    enc = _ENCODERS.get(type(obj))
    if enc is None:
        for cls, candidate in _ENCODERS.items():  # subclasses (rare): first registered base wins
            if isinstance(obj, cls) and not (cls is date and isinstance(obj, datetime)):
                enc = candidate
                break
        else:
            raise TypeError(
                f"cannot store a value of type {type(obj).__name__} in a case: facts hold str, int, bool, "
                "None, Decimal, Money, date, datetime, tuples, dicts and the library's value objects"
            )
    return enc(obj)


def _tuples(items: list[Any]) -> tuple[Any, ...]:
    return tuple(_tuples(x) if x.__class__ is list else x for x in items)


def _hook(obj: dict[str, Any]) -> Any:
    tag = obj.pop(TAG, None)
    if tag is not None:
        scalar = _SCALARS.get(tag)
        if scalar is not None:
            return scalar(obj["v"])
    elif not obj:
        return EMPTY
    for key, value in obj.items():
        if value.__class__ is list:
            obj[key] = _tuples(value)
    if tag is None:
        return FrozenDict(obj)
    try:
        decode = _DECODERS[tag]
    except KeyError:
        raise ValueError(f"unknown codec tag {tag!r}; was it written by a newer aftersales_core?") from None
    return decode(obj)


_ENCODER = json.JSONEncoder(
    default=_default, ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False
)
_DECODER = json.JSONDecoder(object_hook=_hook)


# --------------------------------------------------------------------------- public functions


def dumps(value: Any) -> str:
    """Encode any value a case can hold as compact JSON text."""
    return _ENCODER.encode(value)


def loads(text: str | bytes) -> Any:
    """Decode text written by :func:`dumps` (arrays as tuples, objects as FrozenDicts)."""
    value = _DECODER.decode(text if isinstance(text, str) else text.decode("utf-8"))
    return _tuples(value) if value.__class__ is list else value


def dumps_event(event: Event) -> str:
    """Encode an event (the same text as :func:`dumps`, made faster as :func:`dumps_case` is)."""
    return _dumps_event(event)


def loads_event(text: str | bytes) -> Event:
    """Decode an event written by :func:`dumps_event`."""
    return _expect(loads(text), Event)


def dumps_case(case: Case) -> str:
    """Encode a case snapshot (the same text as :func:`dumps`, made faster by reusing
    the text of the parts a snapshot shares with the previous one)."""
    return _dumps_case(case)


def loads_case(text: str | bytes) -> Case:
    """Decode a case snapshot written by :func:`dumps_case`."""
    return _expect(loads(text), Case)


def _expect(value: Any, cls: type[T]) -> T:
    if not isinstance(value, cls):
        raise ValueError(f"expected an encoded {cls.__name__}, got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- the fast path
#
# Every append writes the event and the whole snapshot, and from one event to the next
# most of a snapshot is the very same objects: ``apply_event`` carries the customer,
# product, intake, earlier decisions and unchanged deadlines over, and the event's
# decisions become the snapshot's. Their JSON text is kept by identity (the cache holds
# the object, so its id cannot be reused while the text is cached); scalars are written
# directly; everything else goes through the encoder. The text is byte-identical to
# ``dumps(value)`` (the tests hold the two against each other).

_FRAGMENT_TYPES: frozenset[type] = frozenset({Actor, Customer, Product, Component, Deadline, Decision})
_FRAGMENTS: dict[int, tuple[Any, str]] = {}
_FRAGMENTS_MAX = 16384
_encode_str: Callable[[str], str] = (
    json.encoder.encode_basestring
)  # what the encoder uses (ensure_ascii=False)


def _fragment(value: Any, encode: Callable[[Any], str] = _ENCODER.encode) -> str:
    """The text of ``value``, kept by identity (the entry holds the value, so its id
    cannot be reused while the text is kept)."""
    hit = _FRAGMENTS.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    text = encode(value)
    if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
        _FRAGMENTS.clear()
    _FRAGMENTS[id(value)] = (value, text)
    return text


#: FrozenDicts and tuples at least this long have their text kept by identity too: a
#: snapshot carries its intake, its decisions and its deadlines over unchanged
_SHARED_MIN = 3


def _container(value: Any) -> str:
    if type(value) is tuple:
        return "[" + ",".join([_piece(item) for item in value]) + "]"
    try:
        return "{" + ",".join([_encode_str(k) + ":" + _piece(v) for k, v in value.items()]) + "}"
    except TypeError:  # a key that is not a str: the encoder says what JSON does with it
        return _ENCODER.encode(value)


def _piece(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind in _FRAGMENT_TYPES:
        return _fragment(value)
    if kind is FrozenDict or kind is tuple:
        return _fragment(value, _container) if len(value) >= _SHARED_MIN else _container(value)
    if kind is datetime:
        stamp: str = value.isoformat()
        return '{"$t":"datetime","v":"' + stamp + '"}'
    if kind is bool:
        return "true" if value else "false"
    return _ENCODER.encode(value)


def _make_encoder(cls: type[T]) -> Callable[[T], str]:
    definition: Any = cls
    fields = [(f.name, f",{_ENCODER.encode(f.alias or f.name)}:") for f in attrs.fields(definition)]
    head = f"{{{_ENCODER.encode(TAG)}:{_ENCODER.encode(cls.__name__)}"

    def encode(obj: T) -> str:
        parts = [head]
        for name, key in fields:
            parts.append(key)
            parts.append(_piece(getattr(obj, name)))
        parts.append("}")
        return "".join(parts)

    return encode


_dumps_case = _make_encoder(Case)
_dumps_event = _make_encoder(Event)

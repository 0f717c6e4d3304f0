"""Personal data (customer name, phone, address) and how it is masked (G-3, G-8).

The customer's ``name``, ``phone`` and ``address`` are personal
(:attr:`Customer.PERSONAL_FIELDS <aftersales_core.model.Customer.PERSONAL_FIELDS>`).
Performance figures never read them (:mod:`aftersales_core.reporting`), and a
redacted history masks them everywhere an event can carry them:

* every :class:`~aftersales_core.model.Customer` (the opening event's intake) is
  masked field by field;
* every mapping under a ``"customer"`` key, at any depth (the intake of a linked
  case in ``Event.spawns``, a customer copied into a fact) has its personal keys
  masked;
* every value under a key of :data:`PERSONAL_KEYS` (``signed_by``: the person who
  signed for the customer, REP-7/REP-10), at any depth, is masked;
* every string anywhere in the event — trigger data, facts, decisions, linked
  intakes — has each personal value found in the event (or given by the caller)
  replaced by :data:`MASK`, so a customer's phone typed into a free-text field
  does not survive either.

:func:`redact_event` knows the personal values of the event it is given (and
those passed in); :func:`redact_history` collects them from the whole history
first, so that a name repeated in a later event's free text is masked too.

>>> from aftersales_core.model import Customer
>>> redact_customer(Customer("C-1", "华纺织造", "0575-8888-0001", city="绍兴"))
Customer(id='C-1', name='***', phone='***', address='', city='绍兴', partner='')
>>> mask_text("call 0575-8888-0001 after 5", {"0575-8888-0001"})
'call *** after 5'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs

from aftersales_core._frozen import FrozenDict
from aftersales_core.events import Event
from aftersales_core.model import Case, Customer

__all__ = [
    "MASK",
    "PERSONAL_FIELDS",
    "PERSONAL_KEYS",
    "mask_text",
    "personal_values",
    "redact_case",
    "redact_customer",
    "redact_event",
    "redact_history",
]

MASK = "***"
PERSONAL_FIELDS: tuple[str, ...] = Customer.PERSONAL_FIELDS
#: Keys of trigger data and facts that hold a person on the customer's side.
PERSONAL_KEYS: frozenset[str] = frozenset({"signed_by"})


def redact_customer(customer: Customer) -> Customer:
    """The customer with every non-empty personal field replaced by :data:`MASK`."""
    masked = {f: MASK for f in PERSONAL_FIELDS if getattr(customer, f)}
    return attrs.evolve(customer, **masked) if masked else customer


def _customer_values(customer: Customer | Mapping[str, Any]) -> set[str]:
    found = set()
    for f in PERSONAL_FIELDS:
        value = getattr(customer, f, "") if isinstance(customer, Customer) else customer.get(f, "")
        if isinstance(value, str) and value.strip() and value != MASK:
            found.add(value.strip())
    return found


def personal_values(value: Any) -> frozenset[str]:
    """The personal strings (customer name, phone, address) found anywhere in
    ``value``: an event, a case, a customer, or nested data holding them."""
    found: set[str] = set()
    _collect(value, found)
    return frozenset(found)


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str | int | float | bool) or value is None:
        return
    if isinstance(value, Customer):
        found |= _customer_values(value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if k == "customer" and isinstance(v, Mapping):
                found |= _customer_values(v)
            elif k in PERSONAL_KEYS and isinstance(v, str) and v.strip() and v != MASK:
                found.add(v.strip())
            _collect(v, found)
    elif isinstance(value, tuple | list | set | frozenset):
        for v in value:
            _collect(v, found)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _collect(getattr(value, field.name), found)


def mask_text(text: str, values: Collection[str]) -> str:
    """``text`` with every occurrence of each of ``values`` replaced by :data:`MASK`
    (longest first, so a name inside an address is not left half masked)."""
    hits = [v for v in values if v and v in text]
    if not hits:
        return text
    out = str(text)
    for v in sorted(hits, key=len, reverse=True):
        out = out.replace(v, MASK)
    return out


def _scrub(value: Any, values: tuple[str, ...]) -> Any:
    """``value`` with personal data masked; the very same object when nothing changed."""
    if isinstance(value, str):
        return mask_text(value, values)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, Customer):
        customer = redact_customer(value)
        changes = {
            f.name: new
            for f in attrs.fields(Customer)
            if (new := _scrub(getattr(customer, f.name), values)) is not getattr(customer, f.name)
        }
        return attrs.evolve(customer, **changes) if changes else customer
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        changed = False
        for k, v in value.items():
            if k == "customer" and isinstance(v, Mapping):
                new = {**v, **{f: MASK for f in PERSONAL_FIELDS if v.get(f)}}
                new = _scrub(new, values)
                changed = changed or new != v
            elif k in PERSONAL_KEYS and isinstance(v, str) and v and v != MASK:
                new = MASK
                changed = True
            else:
                new = _scrub(v, values)
                changed = changed or new is not v
            out[k] = new
        return FrozenDict(out) if changed else value
    if isinstance(value, tuple | list):
        items = [_scrub(v, values) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return tuple(items)
    if isinstance(value, frozenset | set):
        new_set = frozenset(_scrub(v, values) for v in value)
        return value if new_set == value else new_set
    if attrs.has(type(value)):
        changes = {
            f.name: new
            for f in attrs.fields(type(value))
            if f.init and (new := _scrub(getattr(value, f.name), values)) is not getattr(value, f.name)
        }
        return attrs.evolve(value, **changes) if changes else value
    return value


def _ordered(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values), key=lambda v: (-len(v), v)))


def redact_event(event: Event, personal: Iterable[str] = ()) -> Event:
    """The event with every personal field masked, at any depth, and each personal
    value (those in the event and those in ``personal``) masked in all its text."""
    values = _ordered((*personal, *personal_values(event)))
    changes = {}
    for name in ("data", "changes", "decisions", "spawns", "actor"):
        old = getattr(event, name)
        new = _scrub(old, values)
        if new is not old:
            changes[name] = new
    return attrs.evolve(event, **changes) if changes else event


def redact_history(events: Iterable[Event]) -> tuple[Event, ...]:
    """A case's history with personal data masked, values collected from every
    event first (a name typed into a later event's free text is masked as well)."""
    history = tuple(events)
    values = _ordered(v for e in history for v in personal_values(e))
    return tuple(redact_event(e, values) for e in history)


def redact_case(case: Case) -> Case:
    """The case snapshot with its customer's personal fields masked, and their
    values masked in its intake and facts."""
    values = _ordered(personal_values(case.customer))
    return attrs.evolve(
        case,
        customer=redact_customer(case.customer),
        intake=_scrub(case.intake, values),
        facts=_scrub(case.facts, values),
        decisions=_scrub(case.decisions, values),
    )

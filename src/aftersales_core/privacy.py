"""Personal data (customer name, phone, address) and how it is masked."""

from __future__ import annotations

from typing import Any

import attrs

from aftersales_core.events import Event
from aftersales_core.model import Customer

__all__ = ["MASK", "PERSONAL_FIELDS", "redact_customer", "redact_event"]

MASK = "***"
PERSONAL_FIELDS: tuple[str, ...] = Customer.PERSONAL_FIELDS


def redact_customer(customer: Customer) -> Customer:
    return attrs.evolve(customer, **{f: MASK for f in PERSONAL_FIELDS if getattr(customer, f)})


def _redact(value: Any) -> Any:
    if isinstance(value, Customer):
        return redact_customer(value)
    return value


def redact_event(event: Event) -> Event:
    """The event with every personal field masked."""
    if not any(isinstance(v, Customer) for v in event.data.values()):
        return event
    return attrs.evolve(event, data={k: _redact(v) for k, v in event.data.items()})

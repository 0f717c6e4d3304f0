"""aftersales_core: after-sales service cases as explicit state machines with pluggable policies.

Everyday names live here; extension points in ``aftersales_core.policies``,
``aftersales_core.store`` and ``aftersales_core.testing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aftersales_core.clock import CHINA_TZ, Clock, FixedClock, SystemClock
from aftersales_core.errors import (
    AfterSalesError,
    CalendarNotCovered,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    InvalidTrigger,
    PermissionDenied,
    PolicyConfigError,
    RuleViolation,
    StoreError,
)
from aftersales_core.events import Decision, Event
from aftersales_core.model import (
    Actor,
    Case,
    Channel,
    Component,
    Customer,
    Deadline,
    Department,
    Priority,
    Product,
    ProductLine,
    Role,
)
from aftersales_core.money import Money

if TYPE_CHECKING:
    from aftersales_core.desk import Desk
    from aftersales_core.engine import replay

# The desk and the engine bring pydantic's model machinery with them: they load on
# first use (PEP 562), so that importing the package for its value types is cheap.
_LAZY = {"Desk": "aftersales_core.desk", "replay": "aftersales_core.engine"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aftersales_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "CHINA_TZ",
    "Actor",
    "AfterSalesError",
    "CalendarNotCovered",
    "Case",
    "CaseNotFound",
    "Channel",
    "Clock",
    "Component",
    "ConcurrencyConflict",
    "Customer",
    "Deadline",
    "Decision",
    "Department",
    "Desk",
    "Event",
    "FixedClock",
    "InvalidInput",
    "InvalidTrigger",
    "Money",
    "PermissionDenied",
    "PolicyConfigError",
    "Priority",
    "Product",
    "ProductLine",
    "Role",
    "RuleViolation",
    "StoreError",
    "SystemClock",
    "__version__",
    "replay",
]

"""Every error the library raises, under one root.

Each subclass also inherits the builtin that fits it, so generic handlers keep
working, and keeps its data as attributes so an ERP can act on it::

    AfterSalesError
     ├── InvalidTrigger      (ValueError)      trigger not allowed from this state
     ├── RuleViolation       (ValueError)      a business rule refused it (names the rule id)
     ├── PermissionDenied    (PermissionError) the actor's role may not do this (G-7)
     ├── InvalidInput        (ValueError)      bad data (names the field)
     ├── ConcurrencyConflict (RuntimeError)    the case changed since it was read
     ├── CaseNotFound        (LookupError)     no case with this id
     ├── CalendarNotCovered  (LookupError)     the calendar has no official data for a day
     ├── PolicyConfigError   (ValueError)      a policy configuration is invalid (names the key)
     └── StoreError          (RuntimeError)    the store cannot be used (schema, connection)

A failed call raises one of these and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

__all__ = [
    "AfterSalesError",
    "CalendarNotCovered",
    "CaseNotFound",
    "ConcurrencyConflict",
    "InvalidInput",
    "InvalidTrigger",
    "PermissionDenied",
    "PolicyConfigError",
    "RuleViolation",
    "StoreError",
]


class AfterSalesError(Exception):
    """Root of every error raised by aftersales_core."""


class InvalidTrigger(AfterSalesError, ValueError):
    """The trigger does not exist, or is not allowed from the case's current state."""

    def __init__(self, trigger: str, state: str, allowed: Iterable[str], *, kind: str = "") -> None:
        self.trigger = trigger
        self.state = state
        self.kind = kind
        self.allowed: tuple[str, ...] = tuple(sorted(allowed))
        where = f"a {kind} case in state {state!r}" if kind else f"state {state!r}"
        allowed_txt = ", ".join(self.allowed) if self.allowed else "none (the case is final)"
        super().__init__(f"trigger {trigger!r} is not allowed for {where}; allowed: {allowed_txt}")


class RuleViolation(AfterSalesError, ValueError):
    """A business rule (SPEC id in ``rule``) refused the change."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.reason = message
        super().__init__(f"{rule}: {message}")


class PermissionDenied(AfterSalesError, PermissionError):
    """The actor's role may not fire this trigger (or not for this amount)."""

    def __init__(self, actor: str, role: str, action: str, *, rule: str = "G-7", detail: str = "") -> None:
        self.actor = actor
        self.role = role
        self.action = action
        self.rule = rule
        msg = f"{rule}: actor {actor!r} with role {role!r} may not {action}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class InvalidInput(AfterSalesError, ValueError):
    """Input data failed validation; ``field`` names the first offending field."""

    def __init__(self, field: str, message: str, *, errors: Sequence[str] = ()) -> None:
        self.field = field
        self.reason = message
        self.errors: tuple[str, ...] = tuple(errors) or (f"{field}: {message}",)
        super().__init__("; ".join(self.errors))


class ConcurrencyConflict(AfterSalesError, RuntimeError):
    """The stored case has moved on since the caller read it (optimistic concurrency)."""

    def __init__(self, case_id: str, expected: int, actual: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"case {case_id!r} was changed concurrently: expected version {expected}, "
            f"found {actual}; re-read the case and try again"
        )


class CaseNotFound(AfterSalesError, LookupError):
    """No case with this id exists in the store."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"no case with id {case_id!r}")

    def __str__(self) -> str:  # LookupError would otherwise repr() the argument
        return str(self.args[0])


class CalendarNotCovered(AfterSalesError, LookupError):
    """The calendar has no official working-day data for ``day``."""

    def __init__(self, day: date, calendar: str, covered: str = "") -> None:
        self.day = day
        self.calendar = calendar
        self.covered = covered
        msg = f"calendar {calendar!r} has no official data for {day.isoformat()}"
        if covered:
            msg += f" (covers {covered})"
        msg += "; update the calendar or opt in to provisional deadlines"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


class PolicyConfigError(AfterSalesError, ValueError):
    """A policy configuration is invalid; ``path`` is the key path, ``source`` the file."""

    def __init__(self, path: str, message: str, *, source: str = "") -> None:
        self.path = path
        self.reason = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{path}: {message}" if path else f"{where}{message}")


class StoreError(AfterSalesError, RuntimeError):
    """The store cannot be used as asked (unknown schema version, closed connection...)."""

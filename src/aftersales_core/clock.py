"""The clock port: the only place the library reads the time.

A host passes any object with ``now() -> datetime`` (timezone-aware). Tests use
:class:`FixedClock`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

__all__ = ["CHINA_TZ", "Clock", "FixedClock", "SystemClock"]

#: Mainland China time (UTC+8, no daylight saving); needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


@runtime_checkable
class Clock(Protocol):
    """Tells the current time as a timezone-aware ``datetime``."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in mainland-China time by default."""

    __slots__ = ("tz",)

    def __init__(self, tz: timezone = CHINA_TZ) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def __repr__(self) -> str:
        return f"SystemClock(tz={self.tz!r})"


class FixedClock:
    """A clock that stands still until told to move; for tests and simulations.

    >>> c = FixedClock(datetime(2026, 2, 13, 9, 0, tzinfo=CHINA_TZ))
    >>> c.advance(hours=2).hour
    11
    """

    __slots__ = ("_now",)

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = at
        return at

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self._now = self._now + timedelta(**delta)
        return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()!r})"

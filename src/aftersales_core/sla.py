"""Deadlines: SLA policy + calendar -> a recorded :class:`~aftersales_core.model.Deadline` (SLA-1..3).

A deadline is computed once, when the event that starts it is handled, and stored
in that event with the calendar's name and whether any day it relied on was
provisional. A later calendar or policy change never moves it. While a case waits
for the customer (a state with ``pauses_sla``) its deadlines stand still; on
resume they move by exactly the working time spent paused (SLA-3).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

import attrs

from aftersales_core.calendar import (
    BusinessCalendar,
    ChinaCalendar,
    TableCalendar,
    WorkingHours,
    add_workdays,
    add_working_seconds,
    end_of_workday,
    working_seconds_between,
)
from aftersales_core.events import Decision
from aftersales_core.model import Deadline
from aftersales_core.policies.sla import SlaPolicy, SlaRequest, SlaTable

if TYPE_CHECKING:
    from aftersales_core.engine import Context

__all__ = ["compute_deadline", "deadline_for", "pause_deadline", "resume_deadline"]


def deadline_for(
    sla: SlaPolicy, calendar: BusinessCalendar, request: SlaRequest, name: str, start: datetime
) -> tuple[Deadline, Decision]:
    """The deadline ``name`` for ``request``'s stage, counted in working days from ``start``.

    The due instant is the end of the working day (``sla.hours.end``, or 23:59:59)
    that lies the target's number of working days after ``start``'s date.
    """
    return _deadline(sla, calendar, sla(request), name, start)


def _deadline(
    sla: SlaPolicy, calendar: BusinessCalendar, decision: Decision, name: str, start: datetime
) -> tuple[Deadline, Decision]:
    tz = start.tzinfo
    if tz is None:
        raise ValueError("deadlines need a timezone-aware start")
    workdays = int(decision.result)
    due, provisional = _due(calendar, start.date(), workdays, sla.hours, tz)
    return Deadline(name, due, decision.rule, start, workdays, calendar.name, provisional), decision


_IMMUTABLE_CALENDARS = (ChinaCalendar, TableCalendar)
_DUE: dict[tuple[int, date, int, WorkingHours | None, tzinfo], tuple[BusinessCalendar, datetime, bool]] = {}


def _due(
    calendar: BusinessCalendar, day: date, workdays: int, hours: WorkingHours | None, tz: tzinfo
) -> tuple[datetime, bool]:
    """The due instant ``workdays`` working days after ``day`` and whether it is
    provisional. For the library's own calendars (immutable) the answer is kept, with
    the calendar so that its id stays its own: many cases open on the same day. A
    host's calendar may change its answers, so it is asked every time."""
    if type(calendar) not in _IMMUTABLE_CALENDARS:
        due_day = add_workdays(calendar, day, workdays)
        return end_of_workday(due_day, hours, tz), calendar.is_provisional(day) or calendar.is_provisional(
            due_day
        )
    key = (id(calendar), day, workdays, hours, tz)
    hit = _DUE.get(key)
    if hit is not None and hit[0] is calendar:
        return hit[1], hit[2]
    due_day = add_workdays(calendar, day, workdays)
    due = end_of_workday(due_day, hours, tz)
    provisional = calendar.is_provisional(day) or calendar.is_provisional(due_day)
    if len(_DUE) > 4096:
        _DUE.clear()
    _DUE[key] = (calendar, due, provisional)
    return due, provisional


def compute_deadline(ctx: Context, name: str, stage: str, start: datetime) -> tuple[Deadline, Decision]:
    """:func:`deadline_for` with the context's policies, calendar and case priority."""
    priority = ctx.fact("priority", "normal")
    if type(priority) is not str:
        priority = str(priority)
    sla = ctx.policies.sla
    if type(sla) is SlaTable:  # the built-in table answers without a request object
        decision = sla.target(ctx.kind, stage, priority)
    else:
        decision = sla(SlaRequest(ctx.kind, stage, priority, ctx.case))
    return _deadline(sla, ctx.calendar, decision, name, start)


def pause_deadline(deadline: Deadline, now: datetime) -> Deadline:
    """Stop the deadline's clock (idempotent)."""
    return deadline if deadline.paused_since is not None else attrs.evolve(deadline, paused_since=now)


def resume_deadline(ctx: Context, deadline: Deadline, now: datetime) -> Deadline:
    """Restart the clock, moving ``due`` by exactly the working time spent paused."""
    return resume(ctx.calendar, ctx.policies.sla, deadline, now)


def resume(calendar: BusinessCalendar, sla: SlaPolicy, deadline: Deadline, now: datetime) -> Deadline:
    if deadline.paused_since is None:
        return deadline
    paused = working_seconds_between(calendar, deadline.paused_since, now, sla.hours)
    due = add_working_seconds(calendar, deadline.due, paused, sla.hours)
    return attrs.evolve(deadline, due=due, paused_since=None)

"""Deadline computation: SLA policy + calendar -> a recorded :class:`Deadline` (SLA-1..3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aftersales_core.calendar import (
    add_workdays,
    add_working_seconds,
    end_of_workday,
    working_seconds_between,
)
from aftersales_core.events import Decision
from aftersales_core.model import Deadline
from aftersales_core.policies.sla import SlaRequest

if TYPE_CHECKING:
    from aftersales_core.engine import Context

__all__ = ["compute_deadline", "pause_deadline", "resume_deadline"]


def compute_deadline(ctx: Context, name: str, stage: str, start: datetime) -> tuple[Deadline, Decision]:
    """Ask the SLA policy for ``stage`` and count its working days from ``start``."""
    policies = ctx.policies
    decision = policies.sla(SlaRequest(ctx.kind, stage, str(ctx.fact("priority", "normal")), ctx.case))
    if policies.version and not decision.version:
        from attrs import evolve

        decision = evolve(decision, version=policies.version)
    workdays = int(decision.result)
    cal = ctx.calendar
    day = start.date()
    due_day = add_workdays(cal, day, workdays)
    due = end_of_workday(due_day, policies.sla.hours, start.tzinfo or ctx.now.tzinfo)  # type: ignore[arg-type]
    provisional = cal.is_provisional(day) or cal.is_provisional(due_day)
    deadline = Deadline(
        name=name,
        due=due,
        rule=decision.rule,
        started=start,
        workdays=workdays,
        calendar=cal.name,
        provisional=provisional,
    )
    return deadline, decision


def pause_deadline(deadline: Deadline, now: datetime) -> Deadline:
    from attrs import evolve

    return deadline if deadline.paused_since is not None else evolve(deadline, paused_since=now)


def resume_deadline(ctx: Context, deadline: Deadline, now: datetime) -> Deadline:
    """Move ``due`` by exactly the working time spent paused (SLA-3)."""
    from attrs import evolve

    if deadline.paused_since is None:
        return deadline
    hours = ctx.policies.sla.hours
    paused = working_seconds_between(ctx.calendar, deadline.paused_since, now, hours)
    return evolve(
        deadline, due=add_working_seconds(ctx.calendar, deadline.due, paused, hours), paused_since=None
    )

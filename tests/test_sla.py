"""SLA engine: deadlines per stage, pauses, due, tick, provisional calendars (SLA-1..3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import (
    CHINA_TZ,
    Actor,
    CalendarNotCovered,
    Desk,
    FixedClock,
    PolicyConfigError,
    Role,
    replay,
)
from aftersales_core.calendar import ChinaCalendar, TableCalendar, WorkingHours, working_seconds_between
from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow
from aftersales_core.intake import Input, IntakeBase
from aftersales_core.policies import PolicySet, SlaRequest, SlaTable, Target
from aftersales_core.sla import deadline_for, pause_deadline, resume
from aftersales_core.store import MemoryStore
from aftersales_core.workflows.common import breach_row

CN = ChinaCalendar()
AGENT = Actor("a", Role.AGENT)
INTAKE: dict[str, Any] = {"customer": {"id": "C1"}, "channel": "phone", "question": "q"}


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ)


# ------------------------------------------------------------------ a toy workflow with a pause


class Note(Input):
    note: str = ""


def start_work(ctx: Context) -> None:
    ctx.start_deadline("work", stage="work")


TOY = Workflow(
    "toy",
    zh="测试",
    en="toy",
    states=(
        StateDef("open", "处理中", "open"),
        StateDef("waiting", "等待客户", "waiting for the customer", pauses_sla=True),
        StateDef("done", "完成", "done", final=True),
    ),
    transitions=(
        TransitionDef("wait", "open", "waiting", "SLA-3", "等待", "wait", input=Note),
        TransitionDef("resume", "waiting", "open", "SLA-3", "继续", "resume", input=Note),
        TransitionDef("finish", "open", "done", "G-1", "完成", "finish"),
        breach_row(),
    ),
    intake=IntakeBase,
    on_open=start_work,
)
TOY_POLICIES = PolicySet(sla=SlaTable(targets={"toy.work": Target(3, "SLA-2")}))


def toy_desk(clock: FixedClock, calendar: Any = None) -> Desk:
    return Desk(clock=clock, policies=TOY_POLICIES, workflows={"toy": TOY}, calendar=calendar or CN)


# ------------------------------------------------------------------ holidays


def test_spring_festival_three_working_days() -> None:
    clock = FixedClock(at(2026, 2, 12))
    case = toy_desk(clock).open("toy", actor=AGENT, customer={"id": "C"}, channel="phone")
    # Thu 02-12 +3 working days: Fri 02-13, Sat 02-14 (make-up day), Tue 02-24
    assert case.deadlines["work"].due.date() == date(2026, 2, 24)


def test_national_day_and_make_up_saturday() -> None:
    clock = FixedClock(at(2026, 9, 30))
    case = toy_desk(clock).open("toy", actor=AGENT, customer={"id": "C"}, channel="phone")
    # Wed 09-30 +3: Thu 10-08, Fri 10-09, Sat 10-10 (make-up working Saturday)
    assert case.deadlines["work"].due.date() == date(2026, 10, 10)
    assert date(2026, 10, 10).weekday() == 5


def test_pause_across_a_holiday_moves_due_by_the_paused_working_time() -> None:
    clock = FixedClock(at(2026, 2, 11, 10))
    desk = toy_desk(clock)
    case = desk.open("toy", actor=AGENT, customer={"id": "C"}, channel="phone")
    due_before = case.deadlines["work"].due
    clock.set(at(2026, 2, 13, 12))  # Fri before the festival
    case = desk.fire(case.id, "wait", actor=AGENT)
    assert case.deadlines["work"].paused_since == at(2026, 2, 13, 12)
    assert desk.due(at(2030, 1, 1)) == []  # paused deadlines are not due
    clock.set(at(2026, 2, 24, 12))  # first working day after the festival
    case = desk.fire(case.id, "resume", actor=AGENT)
    dl = case.deadlines["work"]
    assert dl.paused_since is None
    paused = working_seconds_between(CN, at(2026, 2, 13, 12), at(2026, 2, 24, 12))
    # Fri 12:00-24:00, Sat 02-14 all day, Tue 00:00-12:00 = 2 working days; the holiday is free
    assert paused == 2 * 86400
    assert working_seconds_between(CN, due_before, dl.due) == paused
    assert dl.due > due_before
    assert replay(desk.history(case.id)) == case


def test_working_hours_put_due_at_closing_time() -> None:
    hours = WorkingHours(time(8, 30), time(17, 30))
    sla = SlaTable(targets={"toy.work": Target(1, "SLA-2")}, hours=hours)
    dl, decision = deadline_for(sla, CN, SlaRequest("toy", "work", "normal"), "work", at(2026, 3, 2))
    assert dl.due == at(2026, 3, 3, 17, 30)
    assert decision.rule == "SLA-2"


def test_priority_tightens_the_target() -> None:
    sla = SlaTable(targets={"c.fix": Target(5, "CPL-1"), "c.fix@urgent": Target(1, "CPL-4")})
    normal, _ = deadline_for(sla, CN, SlaRequest("c", "fix", "normal"), "fix", at(2026, 3, 2))
    urgent, d = deadline_for(sla, CN, SlaRequest("c", "fix", "urgent"), "fix", at(2026, 3, 2))
    assert urgent.due < normal.due
    assert d.rule == "CPL-4"


# ------------------------------------------------------------------ recorded, never recomputed


def test_calendar_change_never_moves_a_recorded_deadline() -> None:
    clock = FixedClock(at(2026, 3, 2))
    table = TableCalendar("erp", date(2026, 1, 1), date(2026, 12, 31))
    store = MemoryStore()
    desk = Desk(clock=clock, store=store, calendar=table)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    due = case.deadlines["response"].due
    # the ERP declares 2026-03-03 a holiday afterwards: a new desk, same store
    changed = TableCalendar(
        "erp", date(2026, 1, 1), date(2026, 12, 31), holidays=frozenset({date(2026, 3, 3)})
    )
    desk2 = Desk(clock=clock, store=store, calendar=changed)
    assert desk2.get(case.id).deadlines["response"].due == due
    assert replay(desk2.history(case.id)).deadlines["response"].due == due
    fresh = desk2.open("consultation", actor=AGENT, **INTAKE)
    assert fresh.deadlines["response"].due.date() == date(2026, 3, 4)


def test_uncovered_year_refuses_and_changes_nothing() -> None:
    clock = FixedClock(at(2035, 3, 1))
    desk = Desk(clock=clock)
    with pytest.raises(CalendarNotCovered, match="2035"):
        desk.open("consultation", actor=AGENT, **INTAKE)
    assert list(desk.store.case_ids()) == []


def test_provisional_mode_marks_deadlines_end_to_end() -> None:
    clock = FixedClock(at(2035, 3, 1))
    desk = Desk(clock=clock, calendar=ChinaCalendar(provisional=True))
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    assert case.deadlines["response"].provisional
    assert case.deadlines["response"].calendar == "CN (provisional)"
    official = Desk(clock=FixedClock(at(2026, 3, 2))).open("consultation", actor=AGENT, **INTAKE)
    assert not official.deadlines["response"].provisional


def test_calendar_check_in_december() -> None:
    cal = TableCalendar("erp", date(2026, 1, 1), date(2026, 12, 31))
    Desk(clock=FixedClock(at(2026, 11, 30)), calendar=cal).check_calendar()
    with pytest.raises(CalendarNotCovered, match="2027-01-01"):
        Desk(clock=FixedClock(at(2026, 12, 1)), calendar=cal).check_calendar()


# ------------------------------------------------------------------ properties

starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 10, 15)).map(
    lambda d: d.replace(tzinfo=CHINA_TZ)
)
SLA = SlaTable(targets={"toy.work": Target(3, "SLA-2")})
REQ = SlaRequest("toy", "work", "normal")


@settings(max_examples=200, deadline=None)
@given(a=starts, b=starts)
def test_deadlines_are_monotone_in_the_start(a: datetime, b: datetime) -> None:
    a, b = min(a, b), max(a, b)
    da, _ = deadline_for(SLA, CN, REQ, "w", a)
    db, _ = deadline_for(SLA, CN, REQ, "w", b)
    assert da.due <= db.due
    assert CN.is_workday(da.due.date())


@settings(max_examples=200, deadline=None)
@given(start=starts, pause_at=st.integers(0, 20 * 24), length=st.integers(0, 30 * 24))
def test_pausing_never_makes_a_deadline_earlier(start: datetime, pause_at: int, length: int) -> None:
    dl, _ = deadline_for(SLA, CN, REQ, "w", start)
    paused_at = start + timedelta(hours=pause_at)
    resumed = resume(CN, SLA, pause_deadline(dl, paused_at), paused_at + timedelta(hours=length))
    assert resumed.due >= dl.due
    assert resumed.paused_since is None


@settings(max_examples=30, deadline=None)
@given(
    opens=st.lists(st.integers(0, 15 * 24), min_size=1, max_size=12),
    checks=st.lists(st.integers(0, 40 * 24), min_size=1, max_size=5),
)
def test_due_agrees_with_a_scan_and_tick_is_idempotent(opens: list[int], checks: list[int]) -> None:
    clock = FixedClock(at(2026, 4, 1))
    desk = toy_desk(clock)
    base = clock.now()
    for hours in sorted(opens):
        clock.set(base + timedelta(hours=hours))
        desk.open("toy", actor=AGENT, customer={"id": "C"}, channel="phone")
    for hours in sorted(checks):
        now = base + timedelta(hours=hours)
        scan = sorted(
            (d.due, cid, d.name)
            for cid in desk.store.case_ids()
            for d in desk.get(cid).deadlines.values()
            if d.paused_since is None and d.due < now
        )
        assert [(i.due, i.case_id, i.deadline.name) for i in desk.due(now)] == scan
        first = desk.tick(now)
        assert {e.case_id for e in first} <= {cid for _, cid, _ in scan}
        assert desk.tick(now) == []  # a second tick records nothing new
        for _, cid, name in scan:
            assert name in desk.get(cid).fact("breached", ())


def test_pausing_is_a_policy_choice() -> None:
    """SLA-3: a policy may make any state stop the clock, or keep a marked one running."""
    clock = FixedClock(at(2026, 3, 2, 10))
    no_pause = SlaTable(targets={"toy.work": Target(3, "SLA-2")}, pause_states={"toy.waiting": False})
    desk = Desk(clock=clock, policies=PolicySet(sla=no_pause), workflows={"toy": TOY}, calendar=CN)
    case = desk.open("toy", actor=AGENT, customer={"id": "C"}, channel="phone")
    case = desk.fire(case.id, "wait", actor=AGENT)
    assert case.deadlines["work"].paused_since is None
    with pytest.raises(PolicyConfigError, match="pause_states"):
        SlaTable(targets={}, pause_states={"nodot": True})


def test_a_negative_target_names_the_field() -> None:
    with pytest.raises(PolicyConfigError, match="workdays"):
        Target(-1)

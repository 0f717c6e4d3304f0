"""Consultations end to end (CON-1..3, G-1, SLA-1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import (
    CHINA_TZ,
    Actor,
    AfterSalesError,
    Desk,
    FixedClock,
    InvalidInput,
    InvalidTrigger,
    PermissionDenied,
    Role,
    replay,
)
from aftersales_core.calendar import ChinaCalendar

INTAKE: dict[str, Any] = {"customer": {"id": "C1", "name": "华纺"}, "channel": "phone", "question": "How?"}


def test_response_deadline_across_spring_festival(desk: Desk, agent: Actor) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    # Friday 2026-02-13: the next working day is the make-up Saturday 02-14 (CON-1)
    assert case.deadlines["response"].due.date() == date(2026, 2, 14)
    assert case.deadlines["response"].rule == "CON-1"
    assert case.decision("sla") is not None


def test_referral_answer_deadline_counts_from_receipt(desk: Desk, agent: Actor, clock: FixedClock) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    clock.advance(hours=1)
    case = desk.fire(case.id, "refer", actor=agent, to="eng-7")
    assert "response" not in case.deadlines
    # two working days after Fri 02-13: Sat 02-14, then Tue 02-24 after the holiday (CON-2)
    assert case.deadlines["answer"].due.date() == date(2026, 2, 24)
    assert case.state == "referred"


def test_national_day_deadline() -> None:
    clock = FixedClock(datetime(2026, 9, 30, 16, 0, tzinfo=CHINA_TZ))
    desk = Desk(clock=clock)
    case = desk.open("consultation", actor=Actor("a", Role.AGENT), **INTAKE)
    due = case.deadlines["response"].due.date()
    cal = ChinaCalendar()
    assert due > date(2026, 10, 7)
    assert cal.is_workday(due)
    assert all(not cal.is_workday(date(2026, 10, d)) for d in range(1, 8))


def test_full_loop_and_feedback_required(desk: Desk, agent: Actor, supervisor: Actor) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    with pytest.raises(InvalidTrigger) as err:
        desk.fire(case.id, "close", actor=agent, satisfaction=5)
    assert err.value.allowed == ("answer", "refer")
    case = desk.fire(case.id, "answer", actor=agent, answer="Do X.", faq_candidate=True)
    assert "faq_candidate" in case.flags
    assert case.deadlines == {}
    with pytest.raises(InvalidInput) as bad:
        desk.fire(case.id, "close", actor=agent)  # G-1: no closing without feedback
    assert bad.value.field == "satisfaction"
    case = desk.fire(case.id, "close", actor=agent, satisfaction=4, comment="ok")
    assert case.state == "closed"
    assert case.fact("satisfaction") == 4
    with pytest.raises(PermissionDenied):
        desk.fire(case.id, "review", actor=agent, notes="n")
    case = desk.fire(case.id, "review", actor=supervisor, notes="add to FAQ handbook", faq=True)
    assert case.state == "reviewed"
    assert desk.allowed(case.id, actor=supervisor) == ()


def test_channel_is_recorded_and_validated(desk: Desk, agent: Actor) -> None:
    case = desk.open("consultation", actor=agent, **{**INTAKE, "channel": "email"})
    assert case.intake["channel"] == "email"
    with pytest.raises(InvalidInput) as err:
        desk.open("consultation", actor=agent, **{**INTAKE, "channel": "pigeon"})
    assert err.value.field == "channel"


# ------------------------------------------------------------------ properties

ACTORS = [Actor("agent", Role.AGENT), Actor("sup", Role.CS_SUPERVISOR), Actor("eng", Role.ENGINEER)]

INPUTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "answer": st.fixed_dictionaries({"answer": st.sampled_from(["a", "b"]), "faq_candidate": st.booleans()}),
    "refer": st.fixed_dictionaries({"to": st.sampled_from(["eng-1", "rnd"])}),
    "close": st.fixed_dictionaries({"satisfaction": st.integers(min_value=0, max_value=6)}),
    "review": st.fixed_dictionaries({"notes": st.sampled_from(["", "ok"])}),
    "breach": st.fixed_dictionaries({"deadline": st.sampled_from(["response", "answer"])}),
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(INPUTS)), st.sampled_from(ACTORS), st.integers(0, 50)),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1)),
    script=steps,
    data=st.data(),
)
def test_random_histories_keep_the_invariants(
    start: datetime, script: list[Any], data: st.DataObject
) -> None:
    clock = FixedClock(start.replace(tzinfo=CHINA_TZ))
    desk = Desk(clock=clock)
    cal = desk.calendar
    case = desk.open("consultation", actor=ACTORS[0], **INTAKE)
    for trigger, actor, hours in script:
        clock.advance(hours=hours)
        before = desk.get(case.id)
        history_before = desk.history(case.id)
        try:
            after = desk.fire(case.id, trigger, actor=actor, **data.draw(INPUTS[trigger]))
        except AfterSalesError:
            # a refused fire changes nothing
            assert desk.get(case.id) == before
            assert desk.history(case.id) == history_before
            continue
        assert after.version == before.version + 1
        assert len(desk.history(case.id)) == len(history_before) + 1
        for d in after.deadlines.values():
            assert cal.is_workday(d.due.date())
    assert replay(desk.history(case.id)) == desk.get(case.id)


def test_allowed_is_what_succeeds(desk: Desk, agent: Actor, supervisor: Actor) -> None:
    samples = {
        "answer": {"answer": "x"},
        "refer": {"to": "eng"},
        "close": {"satisfaction": 3},
        "review": {"notes": "n"},
        "breach": {"deadline": "response"},
    }
    case = desk.open("consultation", actor=agent, **INTAKE)
    for step in ["refer", "answer", "close", "review"]:
        for actor in (agent, supervisor):
            allowed = set(desk.allowed(case.id, actor=actor))
            for trigger, payload in samples.items():
                probe = Desk(clock=desk.clock, store=_clone(desk, case.id))
                try:
                    probe.fire(case.id, trigger, actor=actor, **payload)
                    ok = True
                except AfterSalesError:
                    ok = False
                assert ok == (trigger in allowed), (case.state, trigger, actor.role)
        case = desk.fire(case.id, step, actor=supervisor, **samples[step])


def _clone(desk: Desk, case_id: str) -> Any:
    from aftersales_core.store import MemoryStore

    store = MemoryStore()
    events = desk.history(case_id)
    store.append(replay(events), events, expected_version=0)
    return store


def test_clock_advances_do_not_move_recorded_deadlines(desk: Desk, agent: Actor, clock: FixedClock) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    due = case.deadlines["response"].due
    clock.advance(days=30)
    assert desk.get(case.id).deadlines["response"].due == due
    assert due - case.opened_at < timedelta(days=2)

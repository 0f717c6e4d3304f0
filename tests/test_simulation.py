"""The simulated month behind ``aftersales demo``: realistic paths, reproducible, and its
KPI table recomputed by brute force from the stored events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest

from aftersales_core import CHINA_TZ, Desk, FixedClock, SystemClock, replay
from aftersales_core.calendar import BusinessCalendar, ChinaCalendar
from aftersales_core.events import Event
from aftersales_core.money import Money
from aftersales_core.reporting import kpis
from aftersales_core.simulation import SimulationResult, simulate
from aftersales_core.store import Store
from aftersales_core.store.sql import SqlStore

START = datetime(2026, 3, 2, 8, 30, tzinfo=CHINA_TZ)
CAL = ChinaCalendar()


@pytest.fixture(scope="module")
def month() -> tuple[Desk, SimulationResult]:
    """The demo's default: 20 working days, seed 1 (in memory, to keep the test fast)."""
    desk = Desk(clock=FixedClock(START))
    return desk, simulate(desk, 20, seed=1)


@pytest.fixture(scope="module")
def sql_week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqlStore, SimulationResult]]:
    path = tmp_path_factory.mktemp("sim") / "week.sqlite"
    store = SqlStore(f"sqlite:///{path}")
    result = simulate(Desk(store=store, clock=FixedClock(START)), 4, seed=11)
    yield store, result
    store.close()


# ------------------------------------------------------------------ the month


def test_month_takes_every_realistic_path(month: tuple[Desk, SimulationResult]) -> None:
    desk, result = month
    assert result.errors == ()
    assert (result.first_day, result.last_day) == (date(2026, 3, 2), date(2026, 3, 27))
    assert set(result.opened) == {"consultation", "complaint", "repair", "return"}
    assert 25 * 20 <= result.cases <= 60 * 20  # realistic volume: ~30-60 arrivals per working day
    expected = {
        "consultation.referred", "consultation.late",
        "complaint.rejected", "complaint.decided", "complaint.escalated", "complaint.special",
        "complaint.rerouted", "complaint.cancelled", "complaint.late_response", "complaint.reviewed",
        "repair.remote", "repair.visit", "repair.take_back", "repair.loaner", "repair.quote_accepted",
        "repair.quote_declined", "repair.valuable_part", "repair.linked", "repair.cancelled",
        "repair.settled", "repair.late_visit", "repair.reviewed",
        "return.refund", "return.exchange", "return.repair", "return.compensation", "return.rejected",
        "return.nothing_owed", "return.cancelled", "return.late_review",
    }  # fmt: skip
    assert expected <= set(result.paths)
    assert result.breaches > 0
    store = desk.store
    flags = set().union(*(store.load(cid).flags for cid in store.case_ids()))
    assert {"special", "individual", "breached", "faq_candidate", "production_feedback"} <= flags
    events = sum(len(store.events(cid)) for cid in store.case_ids())
    assert events == result.events


def test_every_history_replays_and_steps_run_in_working_hours(month: tuple[Desk, SimulationResult]) -> None:
    desk, _ = month
    for cid in desk.store.case_ids():
        history = desk.history(cid)
        assert replay(history) == desk.get(cid)
        times = [e.at for e in history]
        assert times == sorted(times)
        for e in history:
            assert CAL.is_workday(e.at.date())
            assert (8, 30) <= (e.at.hour, e.at.minute) <= (18, 0)


def test_same_seed_same_month_other_seed_another() -> None:
    def run(seed: int) -> tuple[list[Sequence[Event]], str]:
        desk = Desk(clock=FixedClock(START))
        simulate(desk, 3, seed=seed)
        store = desk.store
        return [store.events(c) for c in store.case_ids()], kpis(store, CAL).to_json()

    assert run(5) == run(5)
    assert run(5)[1] != run(6)[1]


def test_memory_and_sql_store_record_the_same_month(sql_week: tuple[SqlStore, SimulationResult]) -> None:
    store, result = sql_week
    desk = Desk(clock=FixedClock(START))
    assert simulate(desk, 4, seed=11) == result
    assert kpis(desk.store, CAL) == kpis(store, CAL)
    assert kpis(desk.store, CAL, by="person") == kpis(store, CAL, by="person")


def test_simulation_needs_a_fixed_clock_and_whole_days() -> None:
    with pytest.raises(TypeError, match="FixedClock"):
        simulate(Desk(clock=SystemClock()), 1)
    for bad in (0, -3, True):
        with pytest.raises(ValueError, match="days"):
            simulate(Desk(clock=FixedClock(START)), bad)
    weekend = Desk(clock=FixedClock(datetime(2026, 3, 7, 10, 0, tzinfo=CHINA_TZ)))  # a Saturday
    result = simulate(weekend, 1, seed=2)
    assert result.first_day == result.last_day == date(2026, 3, 9)
    progress: list[tuple[int, int, date]] = []
    simulate(Desk(clock=FixedClock(START)), 2, seed=2, progress=lambda *a: progress.append(a))
    assert progress == [(1, 2, date(2026, 3, 2)), (2, 2, date(2026, 3, 3))]


# ------------------------------------------------------------------ brute force (G-8)
#
# The figures are recomputed here from the raw events, independently of
# aftersales_core.reporting: facts merged by hand, working time counted day by day,
# means as exact fractions. The definitions are those of the reporting module doc.

FIRST = {
    "consultation": {"answer", "refer"},
    "complaint": {"route"},
    "repair": {"plan_remote", "schedule_visit"},
    "return": {"approve", "reject"},
}
RESOLVED = {
    "consultation": {"answered"},
    "complaint": {"resolved"},
    "repair": {"awaiting_signoff"},
    "return": {"refunded", "exchanged", "repaired", "compensated", "closed", "rejected"},
}
FINAL = {
    "consultation": {"closed", "reviewed"},
    "complaint": {"closed", "reviewed", "cancelled"},
    "repair": {"closed", "cancelled"},
    "return": {"rejected", "closed", "reviewed", "cancelled"},
}


def working_seconds(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    total = 0
    day = a.date()
    while day <= b.date():
        if calendar.is_workday(day):
            lo = max(a, datetime(day.year, day.month, day.day, tzinfo=a.tzinfo))
            hi = min(b, datetime(day.year, day.month, day.day, tzinfo=a.tzinfo) + timedelta(days=1))
            total += max(0, int((hi.replace(microsecond=0) - lo.replace(microsecond=0)).total_seconds()))
        day += timedelta(days=1)
    return total


def rounded(value: Fraction | None, places: str) -> str | None:
    if value is None:
        return None
    return str(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places), ROUND_HALF_UP)
    )


def mean(values: list[int], unit: int = 1) -> str | None:
    return rounded(Fraction(sum(values), len(values) * unit), "0.01") if values else None


def ratio(part: int, whole: int) -> str | None:
    return rounded(Fraction(part, whole), "0.0001") if whole else None


def brute_case(events: Sequence[Event], end: datetime | None, by: str) -> dict[str, Any] | None:
    kind = events[0].kind
    facts: dict[str, Any] = {}
    running: set[str] = set()
    state = ""
    first = resolved = None
    breached = False
    seen = 0
    for e in events:
        if end is not None and e.at >= end:
            break
        seen += 1
        facts.update(e.changes)
        for name, d in e.deadlines.items():
            (running.discard if d is None else running.add)(name)
        state = e.dest
        if e.seq > 1:
            if first is None and e.trigger in FIRST[kind]:
                first = e.at
            if resolved is None and e.dest in RESOLVED[kind]:
                resolved = e.at
            breached = breached or e.trigger == "breach"
    if not seen:
        return None
    opened = events[0].at
    attribution = facts.get("attribution") or {}
    if by == "department":
        group = {
            "consultation": "consultation_group",
            "repair": "repair_group",
            "complaint": facts.get("responsible_department") or facts.get("department") or "complaint_group",
            "return": attribution.get("department") or "aftersales",
        }[kind]
    else:
        group = {
            "consultation": facts.get("answered_by") or facts.get("owner"),
            "repair": facts.get("technician") or facts.get("engineer") or facts.get("owner"),
            "complaint": facts.get("owner"),
            "return": attribution.get("person") or facts.get("owner"),
        }[kind] or "(unassigned)"
    cancelled = state == "cancelled"
    zero = Money(0)
    return {
        "group": group,
        "kind": kind,
        "final": state in FINAL[kind],
        "cancelled": cancelled,
        "resolved": resolved is not None and not cancelled,
        "response": working_seconds(CAL, opened, first) if first else None,
        "resolution": working_seconds(CAL, opened, resolved) if resolved and not cancelled else None,
        "breached": breached,
        "met": not breached and not running,
        "satisfaction": facts.get("satisfaction"),
        "escalated": kind == "complaint" and facts.get("level", 0) > 0,
        "ratings": (facts["time_rating"], facts["quality_rating"])
        if kind == "repair" and "time_rating" in facts
        else None,
        "cost": (facts.get("cost") or zero) + (facts.get("compensation") or zero),
        "charge": facts.get("charge") or zero,
        "refund": facts.get("refund") or zero,
    }


def brute_row(group: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(cases)
    cancelled = sum(c["cancelled"] for c in cases)
    resolved = sum(c["resolved"] for c in cases)
    met = sum(c["met"] for c in cases)
    breached = sum(c["breached"] for c in cases)
    rated = [c["satisfaction"] for c in cases if c["satisfaction"] is not None]
    complaints = [c for c in cases if c["kind"] == "complaint"]
    escalated = sum(c["escalated"] for c in complaints)
    ratings = [c["ratings"] for c in cases if c["ratings"]]
    return {
        "group": group,
        "cases": n,
        "open": sum(not c["final"] for c in cases),
        "cancelled": cancelled,
        "resolved": resolved,
        "resolution_rate": ratio(resolved, n - cancelled),
        "responded": sum(c["response"] is not None for c in cases),
        "first_response_days": mean([c["response"] for c in cases if c["response"] is not None], 86400),
        "resolution_days": mean([c["resolution"] for c in cases if c["resolution"] is not None], 86400),
        "sla_met": met,
        "sla_breached": breached,
        "sla_compliance": ratio(met, met + breached),
        "rated": len(rated),
        "satisfaction": mean(rated),
        "complaints": len(complaints),
        "escalated": escalated,
        "escalation_rate": ratio(escalated, len(complaints)),
        "returns": sum(c["kind"] == "return" for c in cases),
        "repairs_reviewed": len(ratings),
        "repair_time_score": mean([t for t, _ in ratings]),
        "repair_quality_score": mean([q for _, q in ratings]),
        "cost": str(sum((c["cost"] for c in cases), Money(0)).amount),
        "charge": str(sum((c["charge"] for c in cases), Money(0)).amount),
        "refunds": str(sum((c["refund"] for c in cases), Money(0)).amount),
    }


def brute_table(store: Store, by: str, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    everything = []
    for cid in store.case_ids():
        events = store.events(cid)
        if (start and events[0].at < start) or (end and events[0].at >= end):
            continue
        case = brute_case(events, end, by)
        if case is not None:
            groups.setdefault(case["group"], []).append(case)
            everything.append(case)
    return [brute_row(g, groups[g]) for g in sorted(groups)] + [brute_row("total", everything)]


@pytest.mark.parametrize("by", ["department", "person"])
@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), (date(2026, 3, 3), date(2026, 3, 5)), (None, date(2026, 3, 4))],
)
def test_kpi_table_equals_brute_force_over_the_stored_events(
    sql_week: tuple[SqlStore, SimulationResult], by: str, start: date | None, end: date | None
) -> None:
    store, result = sql_week
    assert result.errors == ()
    lo = datetime(start.year, start.month, start.day, tzinfo=CHINA_TZ) if start else None
    hi = datetime(end.year, end.month, end.day, tzinfo=CHINA_TZ) if end else None
    table = kpis(store, CAL, start=start, end=end, by=by)  # type: ignore[arg-type]
    expected = brute_table(store, by, lo, hi)
    assert table.to_rows() == expected
    assert len(expected) > 3  # several groups: the comparison means something
    if start is None and end is None:  # the whole week has breaches, escalations and money
        total = expected[-1]
        assert total["sla_breached"] > 0
        assert total["escalated"] > 0
        assert total["cost"] != "0.00"


def test_demo_kpis_agree_with_brute_force(month: tuple[Desk, SimulationResult]) -> None:
    desk, _ = month
    assert kpis(desk.store, CAL).to_rows() == brute_table(desk.store, "department", None, None)


def test_repair_charges_only_after_consent(month: tuple[Desk, SimulationResult]) -> None:
    """Every charged repair line is covered by an accepted quote (REP-7), in the simulation too."""
    store = month[0].store
    charged = 0
    for cid in store.case_ids("repair"):
        case = store.load(cid)
        for line in case.fact("lines", ()):
            if line["charge"]:
                charged += 1
                (quote,) = [q for q in case.fact("quotes") if q["no"] == line["quote"]]
                assert quote["status"] == "accepted"
    assert charged > 0


def test_the_module_example_runs() -> None:
    import doctest

    import aftersales_core.simulation

    result = doctest.testmod(aftersales_core.simulation)
    assert (result.failed, result.attempted > 0) == (0, True)

"""KPIs folded from events (G-8) and FAQ candidates (G-9): hand-built cases with known figures."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Money, Role
from aftersales_core.calendar import ChinaCalendar
from aftersales_core.events import Event
from aftersales_core.reporting import KpiTable, case_figures, faq_candidates, histories, kpis

MON = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)  # a Monday; no holiday in March 2026
CAL = ChinaCalendar()

AGENT = Actor("agent-1", Role.AGENT, "王丽")
ENG = Actor("eng-1", Role.ENGINEER, "赵刚")
SUP = Actor("sup-1", Role.CS_SUPERVISOR, "陈杰")
WAREHOUSE = Actor("wh-1", Role.WAREHOUSE, "周敏")
FINANCE = Actor("fin-1", Role.FINANCE, "孙红")
FABRIC = {"model": "FF-220 阻燃面料", "line": "functional_fabric"}


def at(days: int = 0, hour: int = 9) -> datetime:
    return (MON + timedelta(days=days)).replace(hour=hour)


def consult(desk: Desk, question: str = "How do I reset the sensor?", **extra: Any) -> str:
    intake = {"customer": {"id": "C1"}, "channel": "phone", "question": question, **extra}
    return desk.open("consultation", actor=AGENT, **intake).id


def complaint(desk: Desk, category: str = "quality") -> str:
    return desk.open(
        "complaint",
        actor=AGENT,
        customer={"id": "C2"},
        channel="phone",
        product=FABRIC,
        category=category,
        description="Coating peels after two washes.",
    ).id


def a_return(desk: Desk) -> str:
    today = desk.clock.now().date()
    return desk.open(
        "return",
        actor=AGENT,
        customer={"id": "C3"},
        channel="phone",
        product={
            "model": "HX-200",
            "line": "smart_equipment",
            "purchase_date": today - timedelta(days=5),
            "delivery_date": today - timedelta(days=3),
        },
        description="Weft sensor stops the loom.",
        remedy="refund",
        price="86000.00",
    ).id


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MON)


@pytest.fixture
def desk(clock: FixedClock) -> Desk:
    return Desk(clock=clock)


@pytest.fixture
def consultations(desk: Desk, clock: FixedClock) -> Desk:
    """Two consultations on Monday 09:00: one answered at 15:00 (0.25 working days),
    one referred at 10:00 and answered on Wednesday 09:00 (2 working days)."""
    c1, c2 = consult(desk), consult(desk)
    clock.set(at(hour=10))
    desk.fire(c2, "refer", actor=AGENT, to=ENG.id)
    clock.set(at(hour=15))
    desk.fire(c1, "answer", actor=AGENT, answer="Hold RESET.")
    desk.fire(c1, "close", actor=AGENT, satisfaction=5)
    clock.set(at(2))
    desk.fire(c2, "answer", actor=ENG, answer="Tested to 80 washes.")
    desk.fire(c2, "close", actor=AGENT, satisfaction=3)
    return desk


# ------------------------------------------------------------------ times and rates


def test_response_and_resolution_in_working_days(consultations: Desk) -> None:
    row = kpis(consultations.store, CAL).row("consultation_group")
    assert (row.cases, row.open, row.resolved, row.responded) == (2, 0, 2, 2)
    assert row.first_response_days == Decimal("0.15")  # (6 h + 1 h) / 2 = 3.5 h
    assert row.resolution_days == Decimal("1.13")  # (6 h + 48 h) / 2 = 27 h = 1.125, half-up
    assert row.resolution_rate == Decimal("1.0000")
    assert row.satisfaction == Decimal("4.00")
    assert (row.rated, row.sla_met, row.sla_breached, row.sla_compliance) == (2, 2, 0, Decimal("1.0000"))
    assert (row.complaints, row.escalation_rate, row.repair_time_score) == (0, None, None)


def test_weekends_and_holidays_do_not_count(desk: Desk, clock: FixedClock) -> None:
    clock.set(at(4, 16))  # Friday 16:00
    cid = consult(desk)
    clock.set(at(7, 10))  # Monday 10:00
    desk.fire(cid, "answer", actor=AGENT, answer="ok")
    assert kpis(desk.store, CAL).total.first_response_days == Decimal("0.75")  # 8 h + 10 h
    spring = Desk(clock=FixedClock(datetime(2026, 2, 13, 12, 0, tzinfo=CHINA_TZ)))
    cid = consult(spring)
    spring.clock.set(datetime(2026, 2, 24, 12, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]
    spring.fire(cid, "answer", actor=AGENT, answer="ok")
    # Fri 13th (half), Sat 14th (a make-up working day), then Spring Festival to the 23rd, half of the 24th
    assert kpis(spring.store, CAL).total.first_response_days == Decimal("2.00")


def test_window_counts_cases_opened_in_it_as_of_its_end(consultations: Desk, clock: FixedClock) -> None:
    clock.set(at(1))
    consult(consultations)  # Tuesday, still unanswered
    whole = kpis(consultations.store, CAL)
    assert whole.total.cases == 3
    monday = kpis(consultations.store, CAL, start=date(2026, 3, 2), end=date(2026, 3, 3))
    row = monday.row("consultation_group")
    assert (row.cases, row.resolved, row.responded, row.open) == (2, 1, 2, 1)  # c2 answered on Wednesday
    assert row.satisfaction == Decimal("5.00")
    assert (monday.start, monday.end) == (at(0, 0), at(1, 0))
    later = kpis(consultations.store, CAL, start=date(2026, 3, 3))
    assert later.total.cases == 1
    assert later.total.resolution_rate == Decimal("0.0000")
    assert later.total.first_response_days is None


def test_breaches_count_against_sla_and_running_clocks_are_pending(desk: Desk, clock: FixedClock) -> None:
    late, running = consult(desk), consult(desk)
    clock.set(at(3, 18))
    assert [e.trigger for e in desk.tick()] == ["breach", "breach"]
    desk.fire(late, "answer", actor=AGENT, answer="sorry for the wait")
    row = kpis(desk.store, CAL).total
    assert (row.sla_breached, row.sla_met, row.sla_compliance) == (2, 0, Decimal("0.0000"))
    fresh = Desk(clock=FixedClock(MON))
    consult(fresh)
    assert kpis(fresh.store, CAL).total.sla_compliance is None  # its clock still runs
    assert running


# ------------------------------------------------------------------ groups


def test_complaints_count_against_their_department(desk: Desk, clock: FixedClock) -> None:
    k1, k2, k3 = complaint(desk), complaint(desk, "other"), complaint(desk)
    for trigger, data in (
        ("route", {}),
        ("start", {"owner": ENG.id}),
        ("propose_resolution", {"remedy": "replace"}),
        ("customer_accepts", {}),
        ("record_feedback", {"satisfaction": 4}),
    ):
        desk.fire(k1, trigger, actor=AGENT, **data)
    before = kpis(desk.store, CAL)
    assert (before.row("production").complaints, before.row("complaint_group").complaints) == (1, 2)
    review: dict[str, Any] = {
        "root_cause": "pallets too high",
        "preventive_measures": "rules",
        "responsible_department": "transport",
    }
    desk.fire(k1, "review", actor=SUP, **review)
    desk.fire(k2, "route", actor=AGENT)
    desk.fire(k2, "escalate", actor=AGENT, reason="customer asks for the manager", requested_by_customer=True)
    desk.fire(k3, "route", actor=AGENT)
    desk.fire(k3, "cancel", actor=AGENT, reason="withdrawn")
    table = kpis(desk.store, CAL)
    assert table.groups == ("complaint_group", "production", "transport")
    transport, other, production = (
        table.row("transport"),
        table.row("complaint_group"),
        table.row("production"),
    )
    assert (transport.complaints, transport.resolved, transport.satisfaction) == (1, 1, Decimal("4.00"))
    assert (other.complaints, other.escalated, other.escalation_rate) == (1, 1, Decimal("1.0000"))
    assert (other.resolved, other.resolution_rate, other.open) == (0, Decimal("0.0000"), 1)
    assert (production.cancelled, production.resolution_rate, production.open) == (1, None, 0)
    assert (table.total.complaints, table.total.escalation_rate) == (3, Decimal("0.3333"))
    by_person = kpis(desk.store, CAL, by="person")
    assert by_person.groups == (AGENT.id, ENG.id)  # k1's owner became the engineer on start
    assert by_person.row(ENG.id).complaints == 1


def test_returns_and_repairs_money(desk: Desk) -> None:
    r1, r2 = a_return(desk), a_return(desk)
    findings: tuple[tuple[str, dict[str, Any]], ...] = (
        (r1, {"finding": "quality_defect", "severity": "severe"}),
        (r2, {"finding": "packaging"}),
    )
    for rid, finding in findings:
        desk.fire(rid, "approve", actor=SUP)
        desk.fire(rid, "receive_goods", actor=WAREHOUSE)
        desk.fire(rid, "inspect", actor=ENG, **finding)
    desk.fire(r1, "refund", actor=FINANCE)
    desk.fire(r2, "compensate", actor=SUP, amount="1500.00", reason="spoiled cloth")
    desk.fire(r2, "attribute", actor=SUP, person="packer B")
    desk.fire(r2, "close", actor=AGENT, satisfaction=2)
    repair = desk.open(
        "repair",
        actor=AGENT,
        customer={"id": "C4"},
        channel="phone",
        product={"model": "JX-9", "line": "smart_equipment", "purchase_date": date(2025, 12, 1)},
        fault="parameters lost",
    )
    desk.fire(repair.id, "plan_remote", actor=AGENT, engineer=ENG.id)
    desk.fire(repair.id, "record_work", actor=AGENT, item="remote_support", qty="0.5")
    table = kpis(desk.store, CAL)
    assert table.groups == ("aftersales", "repair_group", "warehouse")  # r1 not attributed yet
    assert (table.row("aftersales").refunds, table.row("aftersales").returns) == (Money("86000.00"), 1)
    assert (table.row("warehouse").cost, table.row("warehouse").satisfaction) == (Money(1500), Decimal(2))
    assert table.row("repair_group").cost == Money(30)
    total = table.total
    assert (total.cost, total.charge, total.refunds, total.returns) == (
        Money("1530.00"),
        Money(0),
        Money("86000.00"),
        2,
    )
    assert kpis(desk.store, CAL, by="person").groups == (AGENT.id, ENG.id, "packer B")


def test_repair_review_scores(desk: Desk) -> None:
    sup = Actor("rs-1", Role.SERVICE_SUPERVISOR)
    for time_rating, quality in ((5, 4), (2, 3)):
        case = desk.open(
            "repair",
            actor=AGENT,
            customer={"id": "C4"},
            channel="phone",
            product={"model": "JX-9", "line": "smart_equipment", "purchase_date": date(2025, 12, 1)},
            fault="parameters lost",
        )
        desk.fire(case.id, "plan_remote", actor=AGENT, engineer=ENG.id)
        desk.fire(case.id, "complete", actor=ENG, test_result="ok", explanation="menu", report="reset")
        desk.fire(case.id, "sign_off", actor=AGENT, signed_by="客户设备科", satisfaction=5)
        desk.fire(case.id, "review", actor=sup, time_rating=time_rating, quality_rating=quality)
    row = kpis(desk.store, CAL).row("repair_group")
    assert (row.repairs_reviewed, row.repair_time_score, row.repair_quality_score) == (
        2,
        Decimal("3.50"),
        Decimal("3.50"),
    )
    assert kpis(desk.store, CAL, by="person").groups == (ENG.id,)  # the remote engineer handled both


# ------------------------------------------------------------------ sources and export


def test_any_source_gives_the_same_table(consultations: Desk) -> None:
    store = consultations.store
    by_case = {cid: store.events(cid) for cid in store.case_ids()}
    shuffled: list[Event] = [e for evs in reversed(by_case.values()) for e in reversed(evs)]
    expected = kpis(store, CAL)
    assert kpis(by_case, CAL) == expected
    assert kpis(shuffled, CAL) == expected
    assert histories(shuffled) == {k: tuple(v) for k, v in by_case.items()}


def test_export_is_json_with_exact_decimals(consultations: Desk) -> None:
    table = kpis(consultations.store, CAL)
    rows = table.to_rows()
    assert [r["group"] for r in rows] == ["consultation_group", "total"]
    assert rows[0]["first_response_days"] == "0.15"
    assert rows[0]["cost"] == "0.00"
    assert rows[0]["escalation_rate"] is None
    assert rows[0]["cases"] == 2
    doc = json.loads(table.to_json())
    assert doc["by"] == "department"
    assert doc["total"] == rows[-1]
    assert doc["start"] is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="by"):
        kpis([], CAL, by="team")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone"):
        kpis([], CAL, start=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="before it starts"):
        kpis([], CAL, start=date(2026, 3, 5), end=date(2026, 3, 2))
    empty = kpis([], CAL)
    assert isinstance(empty, KpiTable)
    assert (empty.rows, empty.total.cases, empty.total.resolution_rate) == ((), 0, None)
    with pytest.raises(KeyError):
        empty.row("production")


def test_case_figures_before_opening_is_none(consultations: Desk) -> None:
    cid = next(iter(consultations.store.case_ids()))
    events = consultations.store.events(cid)
    assert case_figures(events, end=MON) is None
    figures = case_figures(events)
    assert figures is not None
    assert (figures.kind, figures.department, figures.person, figures.resolved) == (
        "consultation",
        "consultation_group",
        AGENT.id,
        True,
    )


# ------------------------------------------------------------------ FAQ candidates (G-9)


def test_faq_candidates_ranked_by_frequency(desk: Desk) -> None:
    for question, topic, faq in (
        ("How to calibrate the tension sensor?", "sensor calibration", True),
        ("Tension sensor calibration again?", "Sensor  Calibration", False),
        ("Calibrate sensor, 王大明 asks", "sensor calibration", False),
        ("Where is the E-21 code explained?", "error codes", True),
        ("E-21 again?", "error codes", False),
        ("Is the invoice ready?", "", False),
    ):
        cid = consult(desk, question=question, customer={"id": "C9", "name": "王大明"})
        desk.fire(cid, "answer", actor=AGENT, answer="see manual", topic=topic, faq_candidate=faq)
    ranked = faq_candidates(desk.store)
    assert [(c.topic, c.asked, c.flagged) for c in ranked] == [
        ("sensor calibration", 3, 1),
        ("error codes", 2, 1),
    ]
    assert ranked[0].example == "How to calibrate the tension sensor?"
    assert faq_candidates(desk.store, min_asked=3, limit=5) == ranked  # both were marked once
    assert faq_candidates(desk.store, limit=1) == ranked[:1]
    rare = faq_candidates(desk.store, min_asked=1)
    assert ("Is the invoice ready?", 1, 0) in [(c.topic, c.asked, c.flagged) for c in rare]
    assert "王大明" not in json.dumps([c.to_dict() for c in rare], ensure_ascii=False)


def test_the_module_example_runs() -> None:
    import doctest

    import aftersales_core.reporting

    result = doctest.testmod(aftersales_core.reporting)
    assert (result.failed, result.attempted > 0) == (0, True)

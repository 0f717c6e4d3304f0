"""Repairs end to end (REP-1..13, FIN-1/2, SLA-3): SPEC §4 scenarios and properties."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aftersales_core import (
    CHINA_TZ,
    Actor,
    AfterSalesError,
    Case,
    Desk,
    FixedClock,
    InvalidInput,
    InvalidTrigger,
    Money,
    PermissionDenied,
    Role,
    RuleViolation,
    replay,
)
from aftersales_core.policies import FeeSchedule, PolicySet, WarrantyPromotion, WarrantyTable

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)  # a Monday; no holiday in March 2026

AGENT = Actor("agent-1", Role.AGENT, "王丽")
SUP = Actor("sup-1", Role.SERVICE_SUPERVISOR, "陈杰")
TECH = Actor("tech-1", Role.TECHNICIAN, "李伟")
CUSTOMER = {
    "id": "C-17",
    "name": "华纺织造",
    "phone": "0575-8888-0001",
    "address": "绍兴市柯桥区",
    "city": "绍兴",
}


def intake(purchased: date = date(2025, 12, 1), contract: str = "", **extra: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "model": "JX-9",
        "line": "smart_equipment",
        "serial": "JX9-2025-0042",
        "purchase_date": purchased,
        "components": [{"name": "motor", "warranty_months": 24}, {"name": "sensor"}],
    }
    if contract:
        product["contract"] = contract
    return {
        "customer": CUSTOMER,
        "channel": "phone",
        "product": product,
        "fault": "spindle motor stalls under load, error E-21",
        "service_city": "绍兴",
        **extra,
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(clock: FixedClock) -> Desk:
    return Desk(clock=clock)


def on_site(desk: Desk, **kw: Any) -> Case:
    case = desk.open("repair", actor=AGENT, **intake(**kw))
    desk.fire(case.id, "schedule_visit", actor=AGENT)
    desk.fire(case.id, "dispatch", actor=SUP, technician=TECH.id)
    return desk.fire(case.id, "arrive", actor=TECH, badge="TECH-0042")


def refused(desk: Desk, case_id: str, trigger: str, actor: Actor, **data: Any) -> AfterSalesError:
    """Fire and expect a refusal that changed nothing."""
    before, history = desk.get(case_id), desk.history(case_id)
    with pytest.raises(AfterSalesError) as err:
        desk.fire(case_id, trigger, actor=actor, **data)
    assert desk.get(case_id) == before
    assert desk.history(case_id) == history
    return err.value


PART: dict[str, Any] = {
    "part": "MTR-24",
    "component": "motor",
    "unit_cost": "180.00",
    "certificate": "CERT-0042",
}


# ------------------------------------------------------------------ SPEC §4 scenarios


def test_motor_under_its_component_warranty_is_free_on_an_expired_product(desk: Desk) -> None:
    case = on_site(desk, purchased=date(2024, 9, 1))  # 18 months ago
    w = case.fact("warranty")
    assert (w["product"]["in_warranty"], w["product"]["basis"]) == (False, "product_line")
    assert (w["motor"]["in_warranty"], w["motor"]["basis"], w["motor"]["until"]) == (
        True,
        "component",
        date(2026, 8, 31),
    )
    assert [d.rule for d in case.decisions if d.policy == "warranty"] == ["REP-2"] * 3
    case = desk.fire(case.id, "use_part", actor=TECH, **PART)  # no quote needed
    (line,) = case.fact("lines")
    assert (line["basis"], line["charge"], line["cost"], line["quote"]) == ("free", Money(0), Money(180), "")
    assert line["certificate"] == "CERT-0042"
    assert (case.fact("cost"), case.fact("charge")) == (Money(180), Money(0))
    # the sensor has only the product's 12 months: expired, so charged, so refused without a quote
    err = refused(desk, case.id, "use_part", TECH, **{**PART, "part": "SNS-12", "component": "sensor"})
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-7"
    assert "consent" in str(err)


def test_user_damage_inside_warranty_is_charged_at_cost_after_consent(desk: Desk, clock: FixedClock) -> None:
    case = on_site(desk)
    assert case.fact("warranty")["motor"]["in_warranty"] is True
    damaged = {**PART, "qty": 2, "user_damage": True}
    err = refused(desk, case.id, "use_part", TECH, **damaged)
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-7"
    line = {"item": "MTR-24", "component": "motor", "qty": 2, "unit_cost": "180.00", "user_damage": True}
    case = desk.fire(case.id, "quote", actor=TECH, lines=[line], note="burnt by a power surge")
    assert case.state == "awaiting_consent"
    (quote,) = case.fact("quotes")
    assert (quote["no"], quote["status"], quote["total"], quote["from"]) == (
        "Q1",
        "pending",
        Money(360),
        "on_site",
    )
    # SLA-3: the clocks stand still while the customer decides
    assert all(d.paused_since == NOW for d in case.deadlines.values())
    refused(desk, case.id, "use_part", TECH, **damaged)  # not while the quote waits
    clock.advance(days=2)
    err = refused(desk, case.id, "consent", AGENT, quote_no="Q7")
    assert isinstance(err, InvalidInput)
    assert err.field == "quote_no"
    case = desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1", signed_by="张经理")
    assert case.state == "on_site"
    assert case.fact("quotes")[0]["status"] == "accepted"
    assert all(d.paused_since is None for d in case.deadlines.values())
    assert case.deadlines["completion"].due.date() == date(2026, 3, 18)  # moved by the two paused days
    case = desk.fire(case.id, "use_part", actor=TECH, **damaged)
    (booked,) = case.fact("lines")
    assert (booked["basis"], booked["charge"], booked["cost"], booked["quote"]) == (
        "cost_fee",
        Money(360),
        Money(360),
        "Q1",
    )
    assert (case.fact("cost"), case.fact("charge")) == (Money(360), Money(360))  # FIN-2
    # the quote is used up: a third motor is not covered
    refused(desk, case.id, "use_part", TECH, **{**damaged, "qty": 1})


def test_a_promotion_sale_gets_the_extended_period() -> None:
    promo = WarrantyPromotion("春节促销", date(2025, 1, 20), date(2025, 2, 28), 6)
    policies = PolicySet(version="promo-2025", warranty=WarrantyTable(promotions=[promo]))
    desk = Desk(clock=FixedClock(NOW), policies=policies)
    case = on_site(desk, purchased=date(2025, 2, 10))  # 12 months ended 2026-02-09
    w = case.fact("warranty")
    assert (w["sensor"]["in_warranty"], w["sensor"]["basis"], w["sensor"]["until"]) == (
        True,
        "promotion",
        date(2026, 8, 9),
    )
    case = desk.fire(case.id, "use_part", actor=TECH, **{**PART, "part": "SNS-12", "component": "sensor"})
    assert case.fact("charge") == Money(0)
    assert case.decision("warranty") is not None
    assert case.decision("warranty").version == "promo-2025"  # type: ignore[union-attr]
    plain = Desk(clock=FixedClock(NOW))
    assert on_site(plain, purchased=date(2025, 2, 10)).fact("warranty")["sensor"]["in_warranty"] is False


def test_contract_customers_pay_the_contract_price(desk: Desk) -> None:
    policies = PolicySet(
        warranty=WarrantyTable(contracts={"MA-2024-009": {"until": "2025-12-31"}}),
        fees=FeeSchedule(contracts={"MA-2024-009": {"MTR-24": "150.00", "labour": "60.00"}}),
    )
    desk = Desk(clock=FixedClock(NOW), policies=policies)
    case = on_site(desk, purchased=date(2024, 1, 5), contract="MA-2024-009")
    assert case.fact("warranty")["motor"]["basis"] == "contract"
    assert case.fact("warranty")["motor"]["in_warranty"] is False  # the agreement's warranty ended
    lines = [
        {"item": "MTR-24", "component": "motor", "unit_cost": "180.00"},
        {"kind": "labour", "item": "labour", "component": "motor", "qty": "2"},
    ]
    case = desk.fire(case.id, "quote", actor=TECH, lines=lines)
    assert case.fact("quotes")[0]["total"] == Money("270.00")
    case = desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1")
    case = desk.fire(case.id, "use_part", actor=TECH, **PART)
    case = desk.fire(
        case.id, "record_work", actor=TECH, kind="labour", item="labour", component="motor", qty=2
    )
    assert [(ln["basis"], ln["charge"]) for ln in case.fact("lines")] == [
        ("contract_price", Money(150)),
        ("contract_price", Money(120)),
    ]
    assert (case.fact("charge"), case.fact("cost")) == (Money(270), Money(340))  # labour costs 80/h


def test_take_back_without_a_receipt_is_refused(desk: Desk) -> None:
    case = on_site(desk)
    err = refused(desk, case.id, "take_back", TECH, reason="winding burnt")
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-8"
    assert "receipt" in str(err)
    case = desk.fire(case.id, "take_back", actor=TECH, receipt_no="RCPT-0301", reason="winding burnt")
    assert case.state == "in_workshop"
    assert (case.fact("receipt_no"), case.fact("receipt_retrieved")) == ("RCPT-0301", False)


def test_delivery_with_the_loaner_still_out_is_refused(desk: Desk) -> None:
    case = on_site(desk)
    desk.fire(case.id, "lend_loaner", actor=TECH, loaner="LN-07")
    refused(desk, case.id, "lend_loaner", TECH, loaner="LN-08")  # one at a time
    desk.fire(case.id, "take_back", actor=TECH, receipt_no="RCPT-0301")
    err = refused(desk, case.id, "deliver", TECH, receipt_no="RCPT-0301")
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-9"
    assert "deliver" not in desk.allowed(case.id, actor=TECH)
    bad = refused(desk, case.id, "return_loaner", TECH, loaner="LN-99")
    assert isinstance(bad, InvalidInput)
    assert bad.field == "loaner"
    desk.fire(case.id, "return_loaner", actor=TECH, loaner="LN-07")
    assert "deliver" in desk.allowed(case.id, actor=TECH)
    err = refused(desk, case.id, "deliver", TECH, receipt_no="RCPT-9999")  # REP-8: the receipt comes back
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-8"
    case = desk.fire(case.id, "deliver", actor=TECH, receipt_no="RCPT-0301")
    assert (case.state, case.fact("receipt_retrieved")) == ("on_site", True)


# ------------------------------------------------------------------ the rest of the lifecycle


def test_remote_guidance_loop_closes_without_settlement(desk: Desk) -> None:
    case = desk.open("repair", actor=AGENT, **intake(fault_kind="parameters"))
    assert case.state == "reported"
    assert case.deadlines["completion"].due.date() == date(2026, 3, 16)  # REP-12: 10 working days
    assert case.fact("owner") == AGENT.id
    case = desk.fire(case.id, "plan_remote", actor=AGENT, engineer="zhao.gang")
    assert case.deadlines["remote"].due.date() == date(2026, 3, 4)  # REP-4: 2 working days
    assert case.deadlines["remote"].rule == "REP-4"
    case = desk.fire(case.id, "record_work", actor=AGENT, item="remote_support", qty="0.5")
    assert case.fact("charge") == Money(0)
    assert case.fact("cost") == Money(30)
    case = desk.fire(
        case.id,
        "complete",
        actor=AGENT,
        test_result="runs",
        explanation="menu > reset",
        report="parameters reset",
    )
    assert (case.state, case.deadlines, case.fact("on_time")) == ("awaiting_signoff", {}, True)
    case = desk.fire(case.id, "sign_off", actor=AGENT, signed_by="张经理", satisfaction=5)
    assert case.state == "awaiting_review"  # nothing to charge: no settlement step
    refused(desk, case.id, "review", AGENT, time_rating=5, quality_rating=5)  # G-7
    case = desk.fire(case.id, "review", actor=SUP, time_rating=5, quality_rating=4, case_report=True)
    assert (case.state, case.fact("time_rating"), case.fact("quality_rating")) == ("closed", 5, 4)
    assert "case_report" in case.flags
    assert desk.allowed(case.id, actor=SUP) == ()


@pytest.mark.parametrize(
    ("city", "same_city", "due"),
    [("绍兴", None, date(2026, 3, 5)), ("上海", None, date(2026, 3, 9)), ("上海", True, date(2026, 3, 5))],
)
def test_visit_deadline_same_city_or_not(desk: Desk, city: str, same_city: bool | None, due: date) -> None:
    case = desk.open("repair", actor=AGENT, **{**intake(), "customer": {**CUSTOMER, "city": city}})
    data: dict[str, Any] = {} if same_city is None else {"same_city": same_city}
    case = desk.fire(case.id, "schedule_visit", actor=AGENT, **data)
    assert case.deadlines["visit"].due.date() == due
    assert case.deadlines["visit"].rule == "REP-4"
    assert case.fact("same_city") == (due == date(2026, 3, 5))


def test_visit_needs_to_know_the_city_and_keeps_the_deadline(desk: Desk) -> None:
    case = desk.open("repair", actor=AGENT, **{**intake(), "service_city": ""})
    err = refused(desk, case.id, "schedule_visit", AGENT)
    assert isinstance(err, InvalidInput)
    assert err.field == "same_city"
    err = refused(desk, case.id, "schedule_visit", AGENT, same_city=True, visit_on=date(2026, 3, 10))
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-4"
    case = desk.fire(
        case.id,
        "schedule_visit",
        actor=AGENT,
        same_city=True,
        visit_on=date(2026, 3, 10),
        at_customer_request=True,
    )
    assert case.fact("visit_on") == date(2026, 3, 10)


def test_dispatch_is_for_supervisors_and_arrival_ends_the_visit_clock(desk: Desk) -> None:
    case = desk.open("repair", actor=AGENT, **intake())
    case = desk.fire(case.id, "schedule_visit", actor=AGENT)
    err = refused(desk, case.id, "dispatch", TECH, technician=TECH.id)
    assert isinstance(err, PermissionDenied)
    assert err.rule == "REP-5"
    case = desk.fire(case.id, "dispatch", actor=SUP, technician="tech-9")
    assert case.fact("dispatch_order") == f"{case.id}-D1"
    case = desk.fire(case.id, "dispatch", actor=SUP, technician=TECH.id, order_no="PG-0301")  # reassigned
    assert (case.fact("technician"), case.fact("dispatch_orders")) == (TECH.id, (f"{case.id}-D1", "PG-0301"))
    err = refused(desk, case.id, "arrive", TECH, badge=" ")
    assert isinstance(err, InvalidInput)
    assert err.field == "badge"
    case = desk.fire(case.id, "arrive", actor=TECH, badge="TECH-0042")
    assert case.state == "on_site"
    assert "visit" not in case.deadlines
    assert case.fact("badge") == "TECH-0042"


def test_consent_and_decline_return_where_the_quote_was_made(desk: Desk) -> None:
    line = {"kind": "labour", "item": "labour", "qty": 1, "user_damage": True}
    case = on_site(desk)
    desk.fire(case.id, "take_back", actor=TECH, receipt_no="R-1")
    case = desk.fire(case.id, "quote", actor=TECH, lines=[line])
    assert desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1").state == "in_workshop"
    remote = desk.open("repair", actor=AGENT, **intake())
    desk.fire(remote.id, "plan_remote", actor=AGENT)
    desk.fire(remote.id, "quote", actor=AGENT, lines=[line])
    remote = desk.fire(remote.id, "decline", actor=AGENT, quote_no="Q1", reason="too dear")
    assert remote.state == "remote_guidance"
    assert remote.fact("quotes")[0]["status"] == "declined"
    refused(desk, remote.id, "record_work", AGENT, **line)  # declined: still not covered
    remote = desk.fire(remote.id, "quote", actor=AGENT, lines=[line])
    assert remote.fact("pending_quote") == "Q2"


def test_a_quote_of_free_work_only_is_refused(desk: Desk) -> None:
    case = on_site(desk)
    err = refused(desk, case.id, "quote", TECH, lines=[{**PART, "item": "MTR-24", "certificate": None}])
    assert isinstance(err, InvalidInput)  # (a certificate is not a quote field)
    err = refused(
        desk, case.id, "quote", TECH, lines=[{"item": "MTR-24", "component": "motor", "unit_cost": "1"}]
    )
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-7"
    err = refused(
        desk, case.id, "quote", TECH, lines=[{"item": "X", "component": "spindle", "unit_cost": "1"}]
    )
    assert isinstance(err, InvalidInput)
    assert err.field == "lines.0.component"
    err = refused(desk, case.id, "record_work", TECH, kind="labour", item="massage")
    assert isinstance(err, InvalidInput)
    assert err.field == "item"


def test_split_use_of_a_quoted_quantity_never_exceeds_the_quote(desk: Desk) -> None:
    case = on_site(desk)
    washer = {"item": "W-1", "qty": "1", "unit_cost": "0.15", "user_damage": True}
    desk.fire(case.id, "quote", actor=TECH, lines=[washer])
    desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1")
    for _ in range(2):
        case = desk.fire(
            case.id,
            "use_part",
            actor=TECH,
            part="W-1",
            qty="0.5",
            unit_cost="0.15",
            certificate="C",
            user_damage=True,
        )
    assert [ln["charge"] for ln in case.fact("lines")] == [Money("0.08"), Money("0.07")]
    assert case.fact("charge") == case.fact("quotes")[0]["total"] == Money("0.15")


def test_valuable_parts_need_approval(desk: Desk) -> None:
    case = on_site(desk)
    board: dict[str, Any] = {"part": "BOARD-1", "unit_cost": "980.00", "certificate": "CERT-B1"}
    err = refused(desk, case.id, "use_part", TECH, **board)
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-13"
    assert "approve_part" in str(err)
    err = refused(desk, case.id, "approve_part", TECH, part="BOARD-1", unit_cost="980.00")
    assert isinstance(err, PermissionDenied)  # only supervisors approve (G-7)
    err = refused(desk, case.id, "approve_part", SUP, part="BOARD-1", qty=6, unit_cost="980.00")
    assert isinstance(err, PermissionDenied)  # 5,880 is above the supervisor's 5,000
    assert err.rule == "REP-13"
    desk.fire(case.id, "approve_part", actor=SUP, part="BOARD-1", unit_cost="980.00")
    case = desk.fire(case.id, "use_part", actor=TECH, **board)
    assert case.fact("approvals")[0]["used"] is True
    assert case.fact("cost") == Money(980)
    refused(desk, case.id, "use_part", TECH, **board)  # one approval, one line
    desk.fire(case.id, "use_part", actor=SUP, **board)  # within the supervisor's own limit


def test_settlement_on_the_spot_or_by_invoice(desk: Desk) -> None:
    def charged(amount: str) -> Case:
        case = on_site(desk)
        line: dict[str, Any] = {"kind": "labour", "item": "labour", "qty": amount, "user_damage": True}
        desk.fire(case.id, "quote", actor=TECH, lines=[line])
        desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1")
        desk.fire(case.id, "record_work", actor=TECH, **line)
        desk.fire(case.id, "complete", actor=TECH, test_result="ok", explanation="care", report="done")
        return desk.fire(case.id, "sign_off", actor=AGENT, signed_by="张经理")

    small = charged("2")  # ¥240
    assert small.state == "awaiting_settlement"
    err = refused(desk, small.id, "settle", AGENT, reference="SK-1", amount="200")
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-11"
    small = desk.fire(small.id, "settle", actor=TECH, reference="SK-1", amount="240")
    assert (small.state, small.fact("settlement"), small.fact("collected")) == (
        "awaiting_review",
        "collect_on_site",
        Money(240),
    )
    assert small.decision("settlement").rule == "REP-11"  # type: ignore[union-attr]
    large = desk.fire(charged("20").id, "settle", actor=AGENT, reference="FP-2026-0042")  # ¥2,400
    assert (large.fact("settlement"), large.fact("invoiced"), large.fact("settlement_ref")) == (
        "invoice",
        Money(2400),
        "FP-2026-0042",
    )


def test_completion_needs_the_loaner_back_and_late_repairs_are_recorded(
    desk: Desk, clock: FixedClock
) -> None:
    case = on_site(desk)
    desk.fire(case.id, "lend_loaner", actor=TECH, loaner="LN-07")
    done: dict[str, Any] = {"test_result": "ok", "explanation": "care", "report": "done"}
    err = refused(desk, case.id, "complete", TECH, **done)
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-9"
    desk.fire(case.id, "return_loaner", actor=TECH, loaner="LN-07")
    clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=CHINA_TZ))
    (breach,) = desk.tick()
    assert breach.data["deadline"] == "completion"
    case = desk.fire(case.id, "complete", actor=TECH, **done)
    assert case.fact("on_time") is False  # REP-12: finished after the committed time


def test_cancel_with_reason_but_not_while_holding_the_unit(desk: Desk) -> None:
    case = on_site(desk)
    desk.fire(case.id, "take_back", actor=TECH, receipt_no="R-1")
    err = refused(desk, case.id, "cancel", AGENT, reason="customer bought a new one")
    assert isinstance(err, RuleViolation)
    assert err.rule == "REP-8"
    desk.fire(case.id, "deliver", actor=TECH, receipt_no="R-1")
    desk.fire(case.id, "quote", actor=TECH, lines=[{"kind": "labour", "item": "labour", "user_damage": True}])
    err = refused(desk, case.id, "cancel", AGENT)
    assert isinstance(err, InvalidInput)
    assert err.field == "reason"
    case = desk.fire(case.id, "cancel", actor=AGENT, reason="customer bought a new one")
    assert (case.state, case.deadlines, case.fact("cancel_reason")) == (
        "cancelled",
        {},
        "customer bought a new one",
    )
    assert case.fact("quotes")[0]["status"] == "withdrawn"
    with pytest.raises(InvalidTrigger):
        desk.fire(case.id, "cancel", actor=AGENT, reason="again")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": None}, "product"),
        ({"fault": "  "}, "fault"),
        ({"product": {"model": "JX-9", "line": "smart_equipment"}}, "product"),  # no date (REP-1)
        (
            {
                "product": {
                    "model": "JX-9",
                    "line": "software",
                    "purchase_date": "2025-01-01",
                    "components": [{"name": "product"}],
                }
            },
            "product",
        ),
        (
            {
                "product": {
                    "model": "JX-9",
                    "line": "software",
                    "purchase_date": "2025-01-01",
                    "components": [{"name": "a"}, {"name": "a"}],
                }
            },
            "product",
        ),
        ({"fault_kind": "magic"}, "fault_kind"),
        ({"reported_on": date(2026, 3, 3)}, "reported_on"),
    ],
)
def test_intake_refuses_what_a_repair_cannot_work_with(
    desk: Desk, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        desk.open("repair", actor=AGENT, **{**intake(), **change})
    assert err.value.field == field
    assert list(desk.store.case_ids()) == []


def test_the_warranty_is_decided_on_the_reported_day(desk: Desk) -> None:
    late = desk.open(
        "repair", actor=AGENT, **intake(purchased=date(2025, 2, 20), reported_on=date(2026, 2, 16))
    )
    assert late.fact("warranty")["sensor"]["in_warranty"] is True  # 12 months ran until 2026-02-19


def test_decimal_facts_survive_the_json_codec(desk: Desk) -> None:
    from aftersales_core.codec import dumps_case, loads_case

    case = on_site(desk)
    line = {"item": "MTR-24", "component": "motor", "unit_cost": "180.00", "user_damage": True}
    desk.fire(case.id, "quote", actor=TECH, lines=[line])
    desk.fire(case.id, "consent", actor=AGENT, quote_no="Q1")
    case = desk.fire(case.id, "use_part", actor=TECH, **{**PART, "user_damage": True})
    text = dumps_case(case)
    assert '"180.00"' in text
    assert loads_case(text) == case


# ------------------------------------------------------------------ properties

ACTORS = [AGENT, TECH, SUP]
PARTS = [
    ("MTR-24", "motor", "180.00"),
    ("SNS-12", "sensor", "95.55"),
    ("BOARD-1", "", "980.00"),
    ("W-1", "", "0.15"),
]
WORK = [("labour", "labour"), ("labour", "remote_support"), ("travel", "travel_same_city")]
QTYS = st.sampled_from([1, 2, "0.5", "1.5"])


@st.composite
def part_lines(draw: st.DrawFn) -> dict[str, Any]:
    part, component, cost = draw(st.sampled_from(PARTS))
    return {
        "item": part,
        "component": component,
        "qty": draw(QTYS),
        "unit_cost": cost,
        "user_damage": draw(st.booleans()),
    }


@st.composite
def work_lines(draw: st.DrawFn) -> dict[str, Any]:
    kind, item = draw(st.sampled_from(WORK))
    return {
        "kind": kind,
        "item": item,
        "component": draw(st.sampled_from(["", "motor", "sensor"])),
        "qty": draw(QTYS),
        "user_damage": draw(st.booleans()),
    }


def _use_part(line: dict[str, Any]) -> dict[str, Any]:
    rest = {k: v for k, v in line.items() if k not in ("item", "kind")}
    return {"part": line["item"], **rest, "certificate": "C-1"}


def quoted_lines(case: Case, kind: str) -> list[dict[str, Any]]:
    """Lines of accepted quotes, as inputs (so that covered, charged work happens)."""
    out = []
    for quote in case.fact("quotes", ()):
        if quote["status"] == "accepted":
            for q in quote["lines"]:
                if (q["kind"] == "part") == (kind == "part"):
                    line = {k: q[k] for k in ("kind", "item", "component", "user_damage")}
                    out.append({**line, "qty": q["qty"], "unit_cost": q["unit_cost"]})
    return out


def inputs_for(trigger: str, case: Case) -> st.SearchStrategy[dict[str, Any]]:
    pending = case.fact("pending_quote") or "Q1"
    parts: st.SearchStrategy[dict[str, Any]] = part_lines()
    work: st.SearchStrategy[dict[str, Any]] = work_lines()
    if quoted := quoted_lines(case, "part"):
        parts = parts | st.sampled_from(quoted)
    if quoted := quoted_lines(case, "work"):
        work = work | st.sampled_from([{k: v for k, v in w.items() if k != "unit_cost"} for w in quoted])
    table: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "plan_remote": st.just({}),
        "schedule_visit": st.fixed_dictionaries({}, optional={"same_city": st.booleans()}),
        "dispatch": st.just({"technician": TECH.id}),
        "arrive": st.just({"badge": "TECH-0042"}),
        "approve_part": st.sampled_from(PARTS).map(lambda p: {"part": p[0], "unit_cost": p[2]}),
        "quote": st.lists(part_lines() | work_lines(), min_size=1, max_size=3).map(lambda ls: {"lines": ls}),
        "consent": st.sampled_from([pending, "Q9"]).map(lambda q: {"quote_no": q}),
        "decline": st.sampled_from([pending, "Q9"]).map(lambda q: {"quote_no": q}),
        "use_part": parts.map(_use_part),
        "record_work": work,
        "lend_loaner": st.just({"loaner": "LN-1"}),
        "return_loaner": st.sampled_from([{"loaner": "LN-1"}, {"loaner": "LN-2"}]),
        "take_back": st.sampled_from([{"receipt_no": "R-1"}, {}]),
        "deliver": st.sampled_from([{"receipt_no": "R-1"}, {"receipt_no": "R-2"}]),
        "complete": st.just({"test_result": "ok", "explanation": "care", "report": "done"}),
        "sign_off": st.just({"signed_by": "张经理"}),
        "settle": st.just({"reference": "SK-1"}),
        "review": st.just({"time_rating": 4, "quality_rating": 5}),
        "cancel": st.just({"reason": "customer request"}),
    }
    return table[trigger]


def check_money(case: Case) -> None:
    """FIN-1/2, REP-7: the lines add up exactly; nothing free is charged; every
    charge is covered by a quote the customer accepted."""
    lines = case.fact("lines", ())
    quotes = {q["no"]: q for q in case.fact("quotes", ())}
    warranty = case.fact("warranty")
    assert case.fact("cost") == sum((ln["cost"] for ln in lines), Money(0))
    assert case.fact("charge") == sum((ln["charge"] for ln in lines), Money(0))
    for ln in lines:
        assert ln["cost"] >= Money(0)
        assert ln["charge"] >= Money(0)
        w = warranty[ln["component"] or "product"]
        if w["in_warranty"] and not ln["user_damage"]:
            assert ln["charge"] == Money(0), ln
        if ln["charge"]:
            quote = quotes[ln["quote"]]
            assert quote["status"] == "accepted"
            assert any(
                (q["kind"], q["item"], q["component"]) == (ln["kind"], ln["item"], ln["component"])
                for q in quote["lines"]
            )
        else:
            assert ln["quote"] == "" or ln["charge"] == Money(0)
    for no, quote in quotes.items():
        for q in quote["lines"]:
            assert Decimal(0) <= q["used"] <= q["qty"]
        billed = sum((ln["charge"] for ln in lines if ln["quote"] == no), Money(0))
        assert billed <= quote["total"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    purchased=st.dates(min_value=date(2023, 6, 1), max_value=date(2026, 3, 1)),
    steps=st.integers(min_value=5, max_value=40),
    data=st.data(),
)
def test_random_repairs_keep_the_money_rules(purchased: date, steps: int, data: st.DataObject) -> None:
    clock = FixedClock(NOW)
    desk = Desk(clock=clock)
    case = desk.open("repair", actor=AGENT, **intake(purchased=purchased))
    may_cancel = data.draw(st.integers(0, 4)) == 0
    for _ in range(steps):
        if data.draw(st.integers(0, 9)) == 0:
            clock.advance(days=data.draw(st.integers(1, 6)))
            desk.tick()
            continue
        actor = data.draw(st.sampled_from(ACTORS))
        allowed = desk.allowed(case.id, actor=actor)
        current = desk.get(case.id)
        # cancelling ends the story: offer it rarely
        choices = [t for t in allowed if t != "cancel"]
        if "cancel" in allowed and may_cancel and data.draw(st.integers(0, 9)) == 0:
            choices = ["cancel"]
        if not choices:
            continue
        if len(choices) > 1 and "complete" in choices and data.draw(st.integers(0, 3)) > 0:
            choices.remove("complete")  # work a while before finishing
        trigger = data.draw(st.sampled_from(choices))
        payload = data.draw(inputs_for(trigger, current))
        history = desk.history(case.id)
        try:
            after = desk.fire(case.id, trigger, actor=actor, **payload)
        except InvalidTrigger as exc:
            raise AssertionError(f"allowed() offered {trigger!r}, yet: {exc}") from exc
        except AfterSalesError:
            assert desk.get(case.id) == current
            assert desk.history(case.id) == history
            continue
        assert after.version == current.version + 1
        check_money(after)
        if after.state == "awaiting_consent":
            assert all(d.paused_since is not None for d in after.deadlines.values())  # SLA-3
    final = desk.get(case.id)
    assert replay(desk.history(case.id)) == final
    event(f"ends {final.state}")
    event("charged" if final.fact("charge") else "nothing charged")

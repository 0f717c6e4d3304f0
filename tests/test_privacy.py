"""Personal data (customer name, phone, address) never reaches KPIs, exports or redacted histories."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales_core import CHINA_TZ, Actor, Customer, Desk, FixedClock, Role
from aftersales_core.calendar import ChinaCalendar
from aftersales_core.privacy import (
    MASK,
    personal_values,
    redact_case,
    redact_customer,
    redact_event,
    redact_history,
)
from aftersales_core.reporting import faq_candidates, kpis

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
CAL = ChinaCalendar()
AGENT = Actor("agent-1", Role.AGENT)
ENG = Actor("eng-1", Role.ENGINEER)
SUP = Actor("sup-1", Role.CS_SUPERVISOR)
REPAIR_SUP = Actor("rs-1", Role.SERVICE_SUPERVISOR)
WAREHOUSE = Actor("wh-1", Role.WAREHOUSE)
TECH = Actor("tech-1", Role.TECHNICIAN)

# distinctive values: none of them can occur in the library's own text by chance
names = st.from_regex(r"[A-HJ-NP-Z王李张刘陈]{6,10}", fullmatch=True).map(lambda s: f"Q{s}")
phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
addresses = st.from_regex(r"[A-Z]{3,6}路[1-9][0-9]{0,2}号", fullmatch=True).map(lambda s: f"绍兴市X{s}")


def run_cases(desk: Desk, customer: dict[str, str]) -> None:
    """All four kinds, with the customer's data also typed into free text: a
    consultation, a complaint, a remote repair signed by the customer, and a return
    sent to a linked repair (its intake copies the customer into ``Event.spawns``)."""
    name, phone, address = customer["name"], customer["phone"], customer["address"]
    c = desk.open(
        "consultation",
        actor=AGENT,
        customer=customer,
        channel="phone",
        question=f"{name} asks how to calibrate the sensor; call back on {phone}",
    )
    desk.fire(c.id, "refer", actor=AGENT, to=ENG.id, contact="phone")
    desk.fire(c.id, "answer", actor=ENG, answer="see the manual", faq_candidate=True)
    desk.fire(c.id, "close", actor=AGENT, satisfaction=4)

    k = desk.open(
        "complaint",
        actor=AGENT,
        customer=customer,
        channel="visit",
        product={"model": "FF-220", "line": "functional_fabric"},
        category="packaging",
        description=f"Rolls delivered to {address} were soaked.",
    )
    for trigger, data in (
        ("route", {}),
        ("start", {}),
        ("propose_resolution", {"remedy": "replace"}),
        ("customer_rejects", {"reason": "too slow"}),
        ("propose_resolution", {"remedy": "replace now"}),
        ("customer_accepts", {}),
        ("record_feedback", {"satisfaction": 3}),
    ):
        desk.fire(k.id, trigger, actor=AGENT, **data)

    product = {"model": "JX-9", "line": "smart_equipment", "purchase_date": date(2025, 12, 1)}
    r = desk.open("repair", actor=AGENT, customer=customer, channel="phone", product=product, fault="E-21")
    desk.fire(r.id, "plan_remote", actor=AGENT, engineer=ENG.id)
    desk.fire(r.id, "record_work", actor=ENG, item="remote_support", qty="0.5")
    desk.fire(r.id, "complete", actor=ENG, test_result="ok", explanation="menu", report="reset")
    desk.fire(r.id, "sign_off", actor=AGENT, signed_by=name or "the buyer", satisfaction=5)
    desk.fire(r.id, "review", actor=REPAIR_SUP, time_rating=5, quality_rating=4)

    today = desk.clock.now().date()
    ret = desk.open(
        "return",
        actor=AGENT,
        customer=customer,
        channel="phone",
        product={
            **product,
            "purchase_date": today - timedelta(days=5),
            "delivery_date": today - timedelta(3),
        },
        description="loom stops",
        remedy="repair",
        price="50000",
    )
    desk.fire(ret.id, "approve", actor=SUP)
    desk.fire(ret.id, "receive_goods", actor=WAREHOUSE)
    desk.fire(ret.id, "inspect", actor=ENG, finding="quality_defect", severity="minor")
    desk.fire(ret.id, "send_to_repair", actor=AGENT)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, phone=phones, address=addresses)
def test_no_personal_data_in_kpis_exports_or_redacted_histories(name: str, phone: str, address: str) -> None:
    desk = Desk(clock=FixedClock(NOW))
    customer = {"id": "C-77", "name": name, "phone": phone, "address": address, "city": "绍兴"}
    run_cases(desk, customer)
    secrets = (name, phone, address)
    store = desk.store
    assert len(list(store.case_ids())) == 5  # the linked repair too
    # the data is really there, un-redacted...
    assert name in repr(desk.history(next(iter(store.case_ids()))))
    # ...but in no KPI output or export
    outputs = []
    for by in ("department", "person"):
        table = kpis(store, CAL, by=by)
        outputs += [str(table), repr(table), table.to_json(), json.dumps(table.to_rows(), ensure_ascii=False)]
    faq = faq_candidates(store, min_asked=1)
    assert faq  # the consultation's question is an FAQ candidate, with the question as example
    outputs += [str(faq), json.dumps([f.to_dict() for f in faq], ensure_ascii=False)]
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    # ...nor in any redacted event: Desk.history(redact=True) masks each event on its own
    for cid in store.case_ids():
        for event in desk.history(cid, redact=True):
            text = repr(event)
            for secret in secrets:
                assert secret not in text, (cid, event.trigger)
    # a later event naming the customer in free text: the return's cause attributed to the
    # customer's operator by name (RET-4). redact_history knows the whole case; KPIs by person
    # group it under the mask.
    ret = next(iter(store.case_ids("return")))
    desk.fire(ret, "attribute", actor=SUP, person=f"operator {name}", cause=f"misuse, see {phone}")
    assert name in repr(desk.history(ret)[-1])
    table = kpis(store, CAL, by="person")
    assert f"operator {MASK}" in table.groups
    for text in (table.to_json(), repr(table)):
        assert not any(secret in text for secret in secrets)
    for cid in store.case_ids():
        text = repr(redact_history(desk.history(cid)))
        assert not any(secret in text for secret in secrets)


def test_kpis_do_not_depend_on_personal_data() -> None:
    """The figures are the same whether the customer's personal fields are filled or empty."""
    real = Desk(clock=FixedClock(NOW))
    run_cases(real, {"id": "C-1", "name": "华纺织造", "phone": "0575-8888-0001", "address": "绍兴市柯桥区"})
    anonymous = Desk(clock=FixedClock(NOW))
    run_cases(anonymous, {"id": "C-1", "name": "", "phone": "", "address": ""})
    for by in ("department", "person"):
        assert kpis(real.store, CAL, by=by) == kpis(anonymous.store, CAL, by=by)


def test_redact_customer_masks_only_what_is_there() -> None:
    c = Customer("C-1", "华纺织造", "", "绍兴市柯桥区", city="绍兴", partner="金源商贸")
    r = redact_customer(c)
    assert (r.id, r.name, r.phone, r.address, r.city, r.partner) == (
        "C-1",
        MASK,
        "",
        MASK,
        "绍兴",
        "金源商贸",
    )
    bare = Customer("C-2")
    assert redact_customer(bare) is bare


def test_redact_event_masks_nested_and_free_text() -> None:
    desk = Desk(clock=FixedClock(NOW))
    customer = {
        "id": "C-1",
        "name": "华纺织造",
        "phone": "13912345678",
        "address": "纺都路88号",
        "city": "绍兴",
    }
    run_cases(desk, customer)
    ret_id = next(iter(desk.store.case_ids("return")))
    send = desk.history(ret_id)[-1]
    assert send.trigger == "send_to_repair"
    assert send.spawns[0][2]["customer"]["phone"] == "13912345678"  # the linked repair's intake
    redacted = redact_event(send, personal_values(desk.get(ret_id).customer))
    intake = redacted.spawns[0][2]
    assert (intake["customer"]["name"], intake["customer"]["phone"], intake["customer"]["address"]) == (
        MASK,
        MASK,
        MASK,
    )
    assert intake["customer"]["city"] == "绍兴"
    assert redacted.changes == send.changes  # facts without personal data are kept as they are
    opening = desk.history(next(iter(desk.store.case_ids())))[0]
    masked = redact_event(opening)
    assert masked.data["customer"].name == MASK
    assert masked.data["question"] == f"{MASK} asks how to calibrate the sensor; call back on {MASK}"
    assert (masked.seq, masked.trigger, masked.at, masked.decisions) == (
        opening.seq,
        opening.trigger,
        opening.at,
        opening.decisions,
    )
    plain = desk.history(next(iter(desk.store.case_ids())))[1]
    assert redact_event(plain) is plain  # nothing personal: the same event


def test_redact_history_masks_later_mentions_and_signers() -> None:
    desk = Desk(clock=FixedClock(NOW))
    customer = {"id": "C-1", "name": "柯桥布艺", "phone": "0575-8888-0002"}
    case = desk.open("complaint", actor=AGENT, customer=customer, channel="phone", category="other",
                     description="invoice wrong")  # fmt: skip
    desk.fire(case.id, "route", actor=AGENT)
    desk.fire(case.id, "start", actor=AGENT, note="柯桥布艺 will call from 0575-8888-0002")
    history = desk.history(case.id)
    assert "柯桥布艺" in repr(history[-1])
    assert "柯桥布艺" in repr(redact_event(history[-1]))  # alone, an event does not know the customer
    redacted = redact_history(history)
    assert "柯桥布艺" not in repr(redacted)
    assert "0575-8888-0002" not in repr(redacted)
    assert redacted[-1].data["note"] == f"{MASK} will call from {MASK}"
    assert redact_event(history[-1], ["柯桥布艺"]).data["note"] == f"{MASK} will call from 0575-8888-0002"
    signed = attrs.evolve(history[-1], data={"signed_by": "张经理", "note": "张经理 signed"})
    assert redact_event(signed).data == {"signed_by": MASK, "note": f"{MASK} signed"}


def test_redact_case() -> None:
    desk = Desk(clock=FixedClock(NOW))
    customer: dict[str, Any] = {"id": "C-1", "name": "华纺织造", "phone": "0575-1", "address": "柯桥区"}
    case = desk.open("consultation", actor=AGENT, customer=customer, channel="phone",
                     question="华纺织造: how to reset?")  # fmt: skip
    r = redact_case(case)
    assert (r.customer.name, r.customer.phone, r.customer.address, r.customer.id) == (MASK, MASK, MASK, "C-1")
    assert r.intake["question"] == f"{MASK}: how to reset?"
    assert (r.id, r.state, r.facts, r.deadlines) == (case.id, case.state, case.facts, case.deadlines)


def test_the_module_examples_run() -> None:
    import doctest

    import aftersales_core.privacy

    result = doctest.testmod(aftersales_core.privacy)
    assert (result.failed, result.attempted > 0) == (0, True)

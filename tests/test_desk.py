"""Desk contract: atomicity, idempotency, concurrency, errors (DESIGN §2)."""

from __future__ import annotations

import pytest

from aftersales_core import (
    Actor,
    CaseNotFound,
    ConcurrencyConflict,
    Desk,
    Event,
    InvalidInput,
    InvalidTrigger,
    Role,
)

INTAKE = {"customer": {"id": "C1"}, "channel": "online", "question": "Price of spare belts?"}


def test_idempotent_fire_returns_first_result_and_records_nothing(desk: Desk, agent: Actor) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    first = desk.fire(case.id, "answer", actor=agent, answer="¥35", key="erp-msg-1")
    again = desk.fire(case.id, "answer", actor=agent, answer="¥35", key="erp-msg-1")
    assert again == first
    assert len(desk.history(case.id)) == 2
    desk.fire(case.id, "close", actor=agent, satisfaction=5)
    # still the first result, even after the case moved on
    assert desk.fire(case.id, "answer", actor=agent, answer="¥35", key="erp-msg-1") == first


def test_idempotent_open(desk: Desk, agent: Actor) -> None:
    a = desk.open("consultation", actor=agent, key="mail-77", **INTAKE)
    b = desk.open("consultation", actor=agent, key="mail-77", **INTAKE)
    assert a == b
    assert len(list(desk.store.case_ids())) == 1


def test_key_reused_for_another_trigger_is_refused(desk: Desk, agent: Actor) -> None:
    case = desk.open("consultation", actor=agent, key="k1", **INTAKE)
    with pytest.raises(InvalidInput) as err:
        desk.fire(case.id, "answer", actor=agent, answer="x", key="k1")
    assert err.value.field == "key"


def test_stale_expected_version(desk: Desk, agent: Actor) -> None:
    case = desk.open("consultation", actor=agent, **INTAKE)
    desk.fire(case.id, "refer", actor=agent, to="eng")
    with pytest.raises(ConcurrencyConflict) as err:
        desk.fire(case.id, "answer", actor=agent, answer="x", expected_version=case.version)
    assert err.value.actual == 2


def test_unknown_case_kind_field_and_trigger(desk: Desk, agent: Actor) -> None:
    with pytest.raises(CaseNotFound, match="nope"):
        desk.fire("nope", "answer", actor=agent, answer="x")
    with pytest.raises(InvalidInput) as err:
        desk.open("warranty-claim", actor=agent, **INTAKE)
    assert err.value.field == "kind"
    case = desk.open("consultation", actor=agent, **INTAKE)
    with pytest.raises(InvalidInput) as err:
        desk.fire(case.id, "answer", actor=agent, answr="typo")
    assert err.value.field in {"answer", "answr"}
    with pytest.raises(InvalidTrigger, match="allowed: answer, refer"):
        desk.fire(case.id, "launch", actor=agent)
    with pytest.raises(InvalidInput) as err:
        desk.fire(case.id, "answer", actor="agent-1", answer="x")  # type: ignore[arg-type]
    assert err.value.field == "actor"
    assert desk.get(case.id).version == 1


def test_missing_customer_names_the_field(desk: Desk, agent: Actor) -> None:
    with pytest.raises(InvalidInput) as err:
        desk.open("consultation", actor=agent, channel="phone", question="q")
    assert err.value.field == "customer"


def test_subscribers_hear_after_store(desk: Desk, agent: Actor) -> None:
    seen: list[tuple[str, int]] = []

    def on_event(event: Event) -> None:
        # the event is already stored when the subscriber hears of it
        assert desk.get(event.case_id).version == event.seq
        seen.append((event.trigger, event.seq))

    desk.subscribe(on_event)
    case = desk.open("consultation", actor=agent, **INTAKE)
    desk.fire(case.id, "answer", actor=agent, answer="x")
    assert seen == [("open", 1), ("answer", 2)]


def test_system_actor_cannot_answer(desk: Desk, agent: Actor) -> None:
    from aftersales_core import PermissionDenied

    case = desk.open("consultation", actor=agent, **INTAKE)
    with pytest.raises(PermissionDenied):
        desk.fire(case.id, "answer", actor=Actor.system(), answer="x")
    assert "breach" not in desk.allowed(case.id, actor=agent)


def test_tick_records_a_breach_once(desk: Desk, agent: Actor, clock: object) -> None:
    from datetime import timedelta

    case = desk.open("consultation", actor=agent, **INTAKE)
    later = case.deadlines["response"].due + timedelta(minutes=1)
    assert [i.case_id for i in desk.due(later)] == [case.id]
    events = desk.tick(later)
    assert [(e.trigger, e.data["deadline"]) for e in events] == [("breach", "response")]
    assert desk.tick(later) == []
    assert "breached" in desk.get(case.id).flags
    assert events[0].actor.role == Role.SYSTEM


def test_a_lost_linked_case_is_opened_when_the_key_is_redelivered(desk: Desk, agent: Actor) -> None:
    """Linked cases open after the parent's commit; a crash in between must not lose them."""
    from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow
    from aftersales_core.intake import IntakeBase

    def ask_expert(ctx: Context) -> None:
        ctx.set("linked", ctx.spawn("consultation", {**INTAKE, "customer": {"id": ctx.case.customer.id}}))

    parent = Workflow(
        "parent",
        zh="父",
        en="parent",
        states=(StateDef("new", "新", "new"), StateDef("done", "完", "done", final=True)),
        transitions=(TransitionDef("link", "new", "done", "RET-2", effect=ask_expert),),
        intake=IntakeBase,
    )
    desk = Desk(clock=desk.clock, workflows={"parent": parent})
    case = desk.open("parent", actor=agent, customer={"id": "C9"}, channel="phone")
    real_open = desk._open
    calls = {"n": 0}

    def crash_once(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("worker died")
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    desk._open = crash_once  # type: ignore[method-assign]
    with pytest.raises(OSError, match="worker died"):
        desk.fire(case.id, "link", actor=agent, key="msg-1")
    child_id = desk.get(case.id).fact("linked")
    with pytest.raises(CaseNotFound):
        desk.get(child_id)
    again = desk.fire(case.id, "link", actor=agent, key="msg-1")  # at-least-once redelivery
    assert again.state == "done"
    assert desk.get(child_id).intake["origin"] == case.id
    assert len(desk.history(case.id)) == 2


def test_intake_accepts_the_domain_objects_themselves(desk: Desk, agent: Actor) -> None:
    """An ERP holding a Customer and a Product (e.g. from an earlier case) passes them as they are."""
    from datetime import date

    from aftersales_core import Money
    from aftersales_core.model import Component, Customer, Product, ProductLine

    customer = Customer("C9", "华纺织造", "0575-8888-0009", partner="R-1")
    product = Product(
        "TX-900",
        ProductLine.SMART_EQUIPMENT,
        "SN-9",
        date(2025, 6, 1),
        components=(Component("tension sensor", 24, "", Money("860.50")),),
    )
    case = desk.open(
        "consultation", actor=agent, customer=customer, product=product, channel="phone", question="?"
    )
    assert case.customer == customer
    assert case.product == product
    as_dicts = desk.open(
        "consultation",
        actor=agent,
        customer={"id": "C9", "name": "华纺织造", "phone": "0575-8888-0009", "partner": "R-1"},
        product={
            "model": "TX-900",
            "line": "smart_equipment",
            "serial": "SN-9",
            "purchase_date": "2025-06-01",
            "components": [{"name": "tension sensor", "warranty_months": 24, "value": "860.50"}],
        },
        channel="phone",
        question="?",
    )
    assert (as_dicts.customer, as_dicts.product) == (case.customer, case.product)
    with pytest.raises(InvalidInput) as err:  # a domain object is validated like a dict
        desk.open("consultation", actor=agent, customer=Customer(""), channel="phone", question="?")
    assert err.value.field == "customer.id"


def test_a_redelivered_fire_that_would_succeed_again_is_caught_by_the_store(desk: Desk, agent: Actor) -> None:
    """``escalate`` may be fired again from the same state: the repeat is stopped by the
    store refusing the used key, and the first result comes back."""
    from aftersales_core.workflows import get_workflow

    case = desk.open("complaint", actor=agent, **dict(get_workflow("complaint").example))
    first = desk.fire(case.id, "escalate", actor=agent, key="erp-9", reason="slow")
    again = desk.fire(case.id, "escalate", actor=agent, key="erp-9", reason="slow")
    assert again == first
    assert [e.trigger for e in desk.history(case.id)] == ["open", "escalate"]
    assert desk.get(case.id).fact("level") == 1

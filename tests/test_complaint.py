"""Complaints end to end (CPL-1..7, G-1, G-7): scenarios from the SPEC and properties."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
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
    PermissionDenied,
    Role,
    RuleViolation,
    replay,
)
from aftersales_core.policies import IndividualAfter, PolicySet, SpecialOnRisk
from aftersales_core.store import MemoryStore
from aftersales_core.workflows.complaint import WORKFLOW

START = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)  # a Monday
FABRIC = {"model": "FF-220 阻燃面料", "line": "functional_fabric"}
EQUIPMENT = {"model": "SL-9 智能络筒机", "line": "smart_equipment"}
INTAKE: dict[str, Any] = {
    "customer": {"id": "C1", "name": "柯桥布艺"},
    "channel": "phone",
    "product": FABRIC,
    "category": "quality",
    "description": "Flame-retardant coating peels after two washes.",
}
AGENT = Actor("agent-1", Role.AGENT, "王丽")
SUP = Actor("sup-1", Role.CS_SUPERVISOR, "陈杰")
MGR = Actor("mgr-1", Role.MANAGER, "李强")
ENG = Actor("eng-1", Role.ENGINEER, "赵刚")


@pytest.fixture
def desk() -> Desk:
    return Desk(clock=FixedClock(START))


def _open(desk: Desk, **over: Any) -> Case:
    return desk.open("complaint", actor=AGENT, **{**INTAKE, **over})


def _to_proposal(desk: Desk, case: Case) -> Case:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("route", {}),
        ("start", {}),
        ("propose_resolution", {"remedy": "replace"}),
    ]
    for trigger, data in steps:
        case = desk.fire(case.id, trigger, actor=AGENT, **data)
    return case


# ------------------------------------------------------------------ CPL-1, CPL-2


@pytest.mark.parametrize(
    ("category", "product", "partner", "department"),
    [
        ("quality", FABRIC, "", "production"),
        ("quality", EQUIPMENT, "", "rnd"),
        ("performance", FABRIC, "", "production"),
        ("performance", None, "", "rnd"),
        ("packaging", FABRIC, "", "transport"),
        ("spoilage", FABRIC, "", "warehouse"),
        ("staff_attitude", EQUIPMENT, "", "marketing"),
        ("negligence", None, "", "marketing"),
        ("partner", FABRIC, "金源商贸", "partner"),
        ("other", None, "", "complaint_group"),
    ],
)
def test_each_category_lands_in_its_department(
    desk: Desk, category: str, product: dict[str, str] | None, partner: str, department: str
) -> None:
    case = _open(desk, category=category, product=product, customer={"id": "C1", "partner": partner})
    case = desk.fire(case.id, "route", actor=AGENT)
    assert case.state == "routed"
    assert case.fact("department") == department
    decision = case.decision("routing")
    assert decision is not None
    assert decision.rule == "CPL-2"
    assert case.fact("routing_rule") == decision.source
    if partner:
        assert case.fact("partner") == partner


def test_intake_names_owner_and_deadlines(desk: Desk) -> None:
    case = _open(desk)
    assert case.state == "received"
    assert case.fact("owner") == AGENT.id
    assert case.fact("priority") == "normal"
    assert case.deadlines["response"].due.date() == date(2026, 3, 3)  # CPL-1: 1 working day
    assert case.deadlines["resolution"].due.date() == date(2026, 3, 9)  # 5 working days
    assert case.deadlines["response"].rule == "CPL-1"
    assert _open(desk, owner="zhou.min").fact("owner") == "zhou.min"
    assert case.intake["channel"] == "phone"
    assert case.intake["category"] == "quality"


def test_intake_is_validated(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as err:
        _open(desk, category="colour")
    assert err.value.field == "category"
    with pytest.raises(InvalidInput) as err:
        _open(desk, risk_flags=["rumour"])
    assert err.value.field.startswith("risk_flags")
    with pytest.raises(InvalidInput) as err:
        _open(desk, description=" ")
    assert err.value.field == "description"


# ------------------------------------------------------------------ the closed loop


def test_full_loop_with_feedback_and_review(desk: Desk) -> None:
    case = _open(desk)
    case = desk.fire(case.id, "route", actor=AGENT)
    assert "response" not in case.deadlines  # the response was given
    case = desk.fire(case.id, "start", actor=AGENT, owner="eng-7")
    assert (case.state, case.fact("owner")) == ("investigating", "eng-7")
    case = desk.fire(case.id, "propose_resolution", actor=AGENT, remedy="replace", detail="3 rolls")
    assert case.state == "resolution_proposed"
    case = desk.fire(case.id, "customer_accepts", actor=AGENT)
    assert (case.state, case.fact("resolution"), case.fact("resolution_basis")) == (
        "resolved",
        "replace",
        "accepted",
    )
    assert case.deadlines == {}
    with pytest.raises(InvalidTrigger) as trig:
        desk.fire(
            case.id,
            "review",
            actor=SUP,
            root_cause="x",
            preventive_measures="y",
            responsible_department="rnd",
        )
    assert "record_feedback" in trig.value.allowed
    with pytest.raises(InvalidInput) as bad:
        desk.fire(case.id, "record_feedback", actor=AGENT)  # G-1: no closing without feedback
    assert bad.value.field == "satisfaction"
    case = desk.fire(case.id, "record_feedback", actor=AGENT, satisfaction=4, comment="ok")
    assert (case.state, case.fact("satisfaction")) == ("closed", 4)
    review: dict[str, Any] = {
        "root_cause": "coating line temperature drift",
        "preventive_measures": "daily calibration",
        "responsible_department": "production",
    }
    with pytest.raises(PermissionDenied):
        desk.fire(case.id, "review", actor=AGENT, **review)
    with pytest.raises(InvalidInput) as bad:
        desk.fire(case.id, "review", actor=SUP, **{**review, "responsible_department": "canteen"})
    assert bad.value.field == "responsible_department"
    case = desk.fire(case.id, "review", actor=SUP, **review)
    assert case.state == "reviewed"
    assert case.fact("responsible_department") == "production"
    assert case.fact("preventive_measures") == "daily calibration"
    assert desk.allowed(case.id, actor=SUP) == ()


def test_reroute_is_for_supervisors(desk: Desk) -> None:
    case = desk.fire(_open(desk).id, "route", actor=AGENT)
    assert "reroute" not in desk.allowed(case.id, actor=AGENT)
    assert "reroute" in desk.allowed(case.id, actor=SUP)
    with pytest.raises(PermissionDenied):
        desk.fire(case.id, "reroute", actor=AGENT, department="rnd", reason="design fault")
    with pytest.raises(RuleViolation) as err:
        desk.fire(case.id, "reroute", actor=SUP, department="production", reason="same")
    assert err.value.rule == "CPL-2"
    with pytest.raises(InvalidInput) as bad:
        desk.fire(case.id, "reroute", actor=SUP, department="canteen", reason="r")
    assert bad.value.field == "department"
    assert desk.get(case.id) == case
    case = desk.fire(case.id, "reroute", actor=SUP, department="rnd", reason="design fault")
    assert (case.state, case.fact("department")) == ("routed", "rnd")
    decision = case.decision("routing")
    assert decision is not None
    assert "design fault" in decision.reason
    assert decision.source == "reroute by sup-1"


# ------------------------------------------------------------------ CPL-4, CPL-5, CPL-6


def test_rejected_twice_becomes_an_individual_case(desk: Desk) -> None:
    case = _to_proposal(desk, _open(desk))
    case = desk.fire(case.id, "customer_rejects", actor=AGENT, reason="too slow")
    assert (case.state, case.fact("rejections")) == ("investigating", 1)
    assert "individual" not in case.flags
    case = desk.fire(case.id, "propose_resolution", actor=AGENT, remedy="refund")
    case = desk.fire(case.id, "customer_rejects", actor=AGENT, reason="still not enough")
    assert "individual" in case.flags
    decision = case.decision("promotion")
    assert decision is not None
    assert (decision.rule, decision.result) == ("CPL-5", "individual")
    assert "rejected 2" in decision.reason
    # recorded once
    case = desk.fire(case.id, "propose_resolution", actor=AGENT, remedy="refund + voucher")
    case = desk.fire(case.id, "customer_rejects", actor=AGENT, reason="no")
    assert [d.rule for d in case.decisions if d.policy == "promotion"] == ["CPL-5"]


def test_individual_threshold_is_a_policy_parameter() -> None:
    desk = Desk(clock=FixedClock(START), policies=PolicySet(promotion=SpecialOnRisk() | IndividualAfter(1)))
    case = _to_proposal(desk, _open(desk))
    case = desk.fire(case.id, "customer_rejects", actor=AGENT, reason="no")
    assert "individual" in case.flags


def test_media_exposure_makes_a_special_case(desk: Desk) -> None:
    case = _open(desk, risk_flags=["media"])
    assert "special" in case.flags
    assert case.fact("priority") == "urgent"
    assert case.priority == "urgent"
    decision = case.decision("promotion")
    assert decision is not None
    assert (decision.rule, decision.result) == ("CPL-4", "special")
    assert "媒体曝光" in decision.reason
    assert case.deadlines["resolution"].workdays == 2  # complaint.resolution@urgent
    assert case.deadlines["resolution"].rule == "CPL-4"


def test_promote_special_later_restarts_the_resolution_deadline(desk: Desk) -> None:
    case = desk.fire(_open(desk).id, "route", actor=AGENT)
    assert case.deadlines["resolution"].due.date() == date(2026, 3, 9)
    desk.clock.advance(days=1)  # type: ignore[attr-defined]
    case = desk.fire(case.id, "promote_special", actor=AGENT, flag="credibility")
    assert case.state == "routed"
    assert case.fact("risk_flags") == ("credibility",)
    assert case.fact("priority") == "urgent"
    assert case.deadlines["resolution"].due.date() == date(2026, 3, 5)  # 2 working days from Tue
    again = desk.fire(case.id, "promote_special", actor=AGENT, flag="media")
    assert again.fact("risk_flags") == ("credibility", "media")
    assert again.deadlines == case.deadlines
    assert len([d for d in again.decisions if d.policy == "promotion"]) == 1
    with pytest.raises(PermissionDenied):
        desk.fire(case.id, "promote_special", actor=ENG, flag="crisis")


def test_an_agent_cannot_decide(desk: Desk) -> None:
    case = _to_proposal(desk, _open(desk))
    case = desk.fire(case.id, "customer_rejects", actor=AGENT, reason="no")
    assert "decide" not in desk.allowed(case.id, actor=AGENT)
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case.id, "decide", actor=AGENT, reason="enough")
    assert err.value.rule == "CPL-6"
    assert desk.get(case.id) == case
    case = desk.fire(case.id, "decide", actor=SUP, reason="the offer matches the contract")
    assert case.state == "resolved"
    assert (case.fact("resolution"), case.fact("resolution_basis")) == ("replace", "decided")
    assert (case.fact("decided_by"), case.fact("decision_reason")) == (
        "sup-1",
        "the offer matches the contract",
    )
    assert "resolution" not in case.deadlines


def test_decide_needs_a_proposal(desk: Desk) -> None:
    case = desk.fire(desk.fire(_open(desk).id, "route", actor=AGENT).id, "start", actor=AGENT)
    assert "decide" not in desk.allowed(case.id, actor=SUP)
    with pytest.raises(RuleViolation) as err:
        desk.fire(case.id, "decide", actor=SUP, reason="r")
    assert err.value.rule == "CPL-6"


def test_only_a_manager_cancels_a_special_case(desk: Desk) -> None:
    plain = _open(desk)
    assert desk.fire(plain.id, "cancel", actor=AGENT, reason="withdrawn").state == "cancelled"
    special = _open(desk, risk_flags=["litigation"])
    for actor in (AGENT, SUP):
        assert "cancel" not in desk.allowed(special.id, actor=actor)
        with pytest.raises(PermissionDenied) as err:
            desk.fire(special.id, "cancel", actor=actor, reason="withdrawn")
        assert err.value.rule == "CPL-4"
    assert desk.get(special.id) == special
    case = desk.fire(special.id, "cancel", actor=MGR, reason="settled out of court")
    assert (case.state, case.fact("cancel_reason"), case.deadlines) == (
        "cancelled",
        "settled out of court",
        {},
    )


def test_definition() -> None:
    names = [s.name for s in WORKFLOW.states]
    assert names == [
        "received",
        "routed",
        "investigating",
        "resolution_proposed",
        "resolved",
        "closed",
        "reviewed",
        "cancelled",
    ]
    assert WORKFLOW.final_states == {"closed", "reviewed", "cancelled"}
    assert all(s.zh and s.en for s in WORKFLOW.states)
    assert all(t.zh and t.en and t.rule for t in WORKFLOW.transitions)
    assert all(t.example is not None for t in WORKFLOW.transitions if t.input is not None)
    desk = Desk(clock=FixedClock(START))
    assert desk.open("complaint", actor=AGENT, **WORKFLOW.example).state == "received"


# ------------------------------------------------------------------ properties

ACTORS = [AGENT, SUP, MGR, ENG]

SAMPLES: dict[str, dict[str, Any]] = {
    "route": {},
    "reroute": {"department": "finance", "reason": "billing dispute"},
    "start": {},
    "propose_resolution": {"remedy": "replace"},
    "customer_accepts": {},
    "customer_rejects": {"reason": "no"},
    "decide": {"reason": "fair offer"},
    "record_feedback": {"satisfaction": 3},
    "review": {"root_cause": "rc", "preventive_measures": "pm", "responsible_department": "rnd"},
    "escalate": {"reason": "r"},
    "promote_special": {"flag": "media"},
    "cancel": {"reason": "withdrawn"},
    "breach": {"deadline": "response"},
}

INPUTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    **{t: st.just(d) for t, d in SAMPLES.items()},
    "reroute": st.fixed_dictionaries(
        {"department": st.sampled_from(["rnd", "production", "canteen"]), "reason": st.just("r")}
    ),
    "escalate": st.fixed_dictionaries(
        {"reason": st.just("r")},
        optional={
            "to": st.sampled_from(["supervisor", "leadership"]),
            "requested_by_customer": st.booleans(),
        },
    ),
    "promote_special": st.fixed_dictionaries({"flag": st.sampled_from(["media", "crisis"])}),
    "record_feedback": st.fixed_dictionaries({"satisfaction": st.integers(min_value=0, max_value=6)}),
}

steps = st.lists(
    st.tuples(
        st.sampled_from([*sorted(INPUTS), "tick"]),
        st.sampled_from(ACTORS),
        st.integers(min_value=0, max_value=72),
    ),
    max_size=14,
)


@settings(max_examples=60, deadline=None)
@given(
    risk=st.lists(st.sampled_from(["media", "crisis"]), max_size=1),
    urgent=st.booleans(),
    script=steps,
    data=st.data(),
)
def test_replay_equals_the_stored_case(
    risk: list[str], urgent: bool, script: list[tuple[str, Actor, int]], data: st.DataObject
) -> None:
    clock = FixedClock(START)
    desk = Desk(clock=clock)
    case = _open(desk, risk_flags=risk, urgent=urgent)
    for trigger, actor, hours in script:
        clock.advance(hours=hours)
        if trigger == "tick":
            desk.tick()
            continue
        before, history = desk.get(case.id), desk.history(case.id)
        try:
            after = desk.fire(case.id, trigger, actor=actor, **data.draw(INPUTS[trigger]))
        except AfterSalesError:
            assert desk.get(case.id) == before  # a refused fire changes nothing
            assert desk.history(case.id) == history
            continue
        assert after.version == before.version + 1
        assert after.fact("level") >= before.fact("level")
        if after.state in WORKFLOW.final_states:
            assert after.deadlines == {}
    assert replay(desk.history(case.id)) == desk.get(case.id)
    assert desk.replay(case.id) == desk.get(case.id)


def _clone(desk: Desk, case_id: str) -> MemoryStore:
    store = MemoryStore()
    events = desk.history(case_id)
    store.append(replay(events), events, expected_version=0)
    return store


def _payload(desk: Desk, case_id: str, trigger: str) -> dict[str, Any]:
    """The sample input; a reroute goes somewhere the case is not (the rest is up to ``allowed``)."""
    if trigger == "reroute" and desk.get(case_id).fact("department") == "finance":
        return {**SAMPLES[trigger], "department": "sales"}
    return SAMPLES[trigger]


def _succeeds(desk: Desk, case_id: str, trigger: str, actor: Actor) -> bool:
    probe = Desk(
        clock=desk.clock, store=_clone(desk, case_id), calendar=desk.calendar, policies=desk.policies
    )
    try:
        probe.fire(case_id, trigger, actor=actor, **_payload(desk, case_id, trigger))
    except AfterSalesError:
        return False
    return True


@settings(max_examples=20, deadline=None)
@given(
    risk=st.lists(st.just("media"), max_size=1),
    urgent=st.booleans(),
    walk=st.lists(st.tuples(st.sampled_from(sorted(SAMPLES)), st.sampled_from(ACTORS)), max_size=8),
)
def test_allowed_is_what_succeeds(risk: list[str], urgent: bool, walk: list[tuple[str, Actor]]) -> None:
    desk = Desk(clock=FixedClock(START))
    case = _open(desk, risk_flags=risk, urgent=urgent)  # urgent starts two rungs up: the top is near
    for trigger, actor in [*walk, ("route", AGENT)]:
        for who in ACTORS:
            allowed = set(desk.allowed(case.id, actor=who))
            for candidate in SAMPLES:
                ok = _succeeds(desk, case.id, candidate, who)
                assert ok == (candidate in allowed), (desk.get(case.id).state, candidate, who.role)
        if _succeeds(desk, case.id, trigger, actor):
            desk.fire(case.id, trigger, actor=actor, **_payload(desk, case.id, trigger))


def test_allowed_along_the_main_path() -> None:
    desk = Desk(clock=FixedClock(START))
    case = _open(desk)
    seen = {}
    path = [
        ("route", AGENT),
        ("start", AGENT),
        ("propose_resolution", AGENT),
        ("customer_rejects", AGENT),
        ("escalate", AGENT),
        ("propose_resolution", AGENT),
        ("customer_accepts", AGENT),
        ("record_feedback", AGENT),
        ("review", SUP),
    ]
    for trigger, actor in path:
        seen[desk.get(case.id).state] = {
            who.role.value: set(desk.allowed(case.id, actor=who)) for who in (AGENT, SUP)
        }
        for who in (AGENT, SUP):
            for candidate in SAMPLES:
                assert _succeeds(desk, case.id, candidate, who) == (
                    candidate in seen[desk.get(case.id).state][who.role.value]
                )
        desk.fire(case.id, trigger, actor=actor, **SAMPLES[trigger])
    assert seen["received"]["agent"] == {"route", "escalate", "promote_special", "cancel"}
    assert seen["investigating"]["cs_supervisor"] >= {"reroute", "decide", "propose_resolution"}
    assert "decide" not in seen["investigating"]["agent"]
    assert seen["resolved"]["agent"] == {"record_feedback", "escalate", "promote_special", "cancel"}
    assert seen["closed"] == {"agent": set(), "cs_supervisor": {"review"}}

"""Escalation (CPL-3): the ladder, customer and urgent escalation, SLA breaches (SLA-2)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import (
    CHINA_TZ,
    Actor,
    AfterSalesError,
    Decision,
    Desk,
    FixedClock,
    InvalidInput,
    PolicyConfigError,
    Role,
    RuleViolation,
)
from aftersales_core.policies import (
    DEFAULT_LADDER,
    EscalationCause,
    EscalationLadder,
    EscalationRequest,
    Level,
    PolicySet,
    decide,
    default_escalation,
)
from aftersales_core.policies.escalation import rung

INTAKE: dict[str, Any] = {
    "customer": {"id": "C1", "name": "柯桥布艺"},
    "channel": "phone",
    "category": "staff_attitude",
    "description": "The installer was rude and left early.",
}
TOP = len(DEFAULT_LADDER) - 1


def ask(level: int, cause: str, **kw: Any) -> Decision:
    decision = default_escalation()(EscalationRequest(level, cause, **kw))
    assert decision is not None
    assert decision.rule == "CPL-3"
    assert decision.policy == "escalation"
    return decision


# ------------------------------------------------------------------ the ladder


def test_ladder_levels_and_roles() -> None:
    assert [(lv.name, lv.role) for lv in DEFAULT_LADDER] == [
        ("handler", Role.AGENT),
        ("supervisor", Role.CS_SUPERVISOR),
        ("manager", Role.MANAGER),
        ("leadership", Role.LEADERSHIP),
    ]
    assert ask(0, "intake").result == {"level": 0, "name": "handler", "role": "agent"}


def test_manual_escalation_goes_one_level_at_a_time() -> None:
    assert ask(0, "manual").result["name"] == "supervisor"
    assert ask(1, "manual", to="manager").result["level"] == 2
    with pytest.raises(RuleViolation) as err:
        ask(0, "manual", to="leadership")
    assert err.value.rule == "CPL-3"
    assert "customer's request or an urgent matter" in str(err.value)


def test_customer_goes_over_the_handlers_head() -> None:
    assert ask(0, "customer").result["name"] == "supervisor"  # the direct superior
    straight = ask(0, "customer", to="leadership", reason="wants the boss")
    assert straight.result == {"level": 3, "name": "leadership", "role": "leadership"}
    assert "over the handler's head" in straight.reason
    assert "wants the boss" in straight.reason


def test_urgent_is_reported_up_at_once() -> None:
    assert ask(0, "urgent").result["name"] == "manager"
    assert ask(2, "urgent").result["name"] == "leadership"  # already there: one more level
    assert ask(0, "urgent", to="leadership").result["level"] == 3


@pytest.mark.parametrize("cause", ["manual", "customer", "urgent"])
def test_past_the_top_is_refused(cause: str) -> None:
    with pytest.raises(RuleViolation) as err:
        ask(TOP, cause)
    assert err.value.rule == "CPL-3"
    assert "top of the escalation ladder" in str(err.value)


def test_never_down_and_only_to_known_levels() -> None:
    with pytest.raises(RuleViolation, match="goes up the ladder"):
        ask(2, "customer", to="supervisor")
    with pytest.raises(InvalidInput) as err:
        ask(0, "customer", to="ceo")
    assert err.value.field == "to"


def test_breach_climbs_and_stops_at_the_top() -> None:
    assert ask(1, "breach", deadline="resolution").result["level"] == 2
    at_top = ask(TOP, "breach", deadline="response")
    assert at_top.result["level"] == TOP
    assert "already at the top" in at_top.reason
    assert EscalationLadder(on_breach=0)(EscalationRequest(0, EscalationCause.BREACH)) is None
    assert EscalationLadder(on_breach=2)(EscalationRequest(0, "breach")).result["level"] == 2  # type: ignore[union-attr]


def test_ladder_configuration_is_checked() -> None:
    with pytest.raises(PolicyConfigError) as err:
        EscalationLadder(levels=[("handler", "agent")])
    assert err.value.path == "escalation.levels"
    with pytest.raises(PolicyConfigError, match="unique"):
        EscalationLadder(levels=[("a", "agent"), ("a", "manager")], urgent_to="a")
    with pytest.raises(PolicyConfigError) as err:
        EscalationLadder(urgent_to="handler")
    assert err.value.path == "escalation.urgent_to"
    with pytest.raises(PolicyConfigError) as err:
        EscalationLadder(on_breach=-1)
    assert err.value.path == "escalation.on_breach"
    two = EscalationLadder(levels=[("desk", "agent"), ("boss", "manager")], urgent_to="boss")
    assert two(EscalationRequest(0, "manual")).result == rung(1, Level("boss", Role.MANAGER))  # type: ignore[union-attr]
    assert repr(two) == "EscalationLadder(levels=(Level('desk', 'agent'), Level('boss', 'manager')), " + (
        "on_breach=1, urgent_to='boss')"
    )


# ------------------------------------------------------------------ on a desk


def _desk(policies: PolicySet | None = None) -> tuple[Desk, FixedClock]:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    return Desk(clock=clock, policies=policies), clock


def test_customer_escalates_to_leadership(agent: Actor) -> None:
    desk, _ = _desk()
    case = desk.open("complaint", actor=agent, **INTAKE)
    assert (case.fact("level"), case.fact("level_role")) == (0, "agent")
    case = desk.fire(case.id, "route", actor=agent)
    case = desk.fire(
        case.id,
        "escalate",
        actor=agent,
        reason="asks for the top",
        to="leadership",
        requested_by_customer=True,
    )
    assert case.state == "routed"  # an internal transition
    assert (case.fact("level"), case.fact("level_name"), case.fact("level_role")) == (
        3,
        "leadership",
        "leadership",
    )
    decision = case.decision("escalation")
    assert decision is not None
    assert decision.rule == "CPL-3"
    assert "escalate" not in desk.allowed(case.id, actor=agent)
    history = desk.history(case.id)
    with pytest.raises(RuleViolation) as err:
        desk.fire(case.id, "escalate", actor=agent, reason="again")
    assert err.value.rule == "CPL-3"
    assert desk.get(case.id) == case
    assert desk.history(case.id) == history


def test_manual_skip_is_refused_and_changes_nothing(agent: Actor) -> None:
    desk, _ = _desk()
    case = desk.open("complaint", actor=agent, **INTAKE)
    with pytest.raises(RuleViolation, match="one level at a time"):
        desk.fire(case.id, "escalate", actor=agent, reason="r", to="leadership")
    assert desk.get(case.id) == case


def test_urgent_intake_is_reported_up_at_once(agent: Actor) -> None:
    desk, _ = _desk()
    case = desk.open("complaint", actor=agent, urgent=True, **INTAKE)
    assert (case.fact("level"), case.fact("level_role")) == (2, "manager")
    assert case.decision("escalation").reason.startswith("urgent matter reported up")  # type: ignore[union-attr]


def test_breach_escalates_once_per_breach(agent: Actor) -> None:
    desk, _ = _desk()
    case = desk.open("complaint", actor=agent, **INTAKE)
    late = case.deadlines["response"].due + timedelta(minutes=1)
    events = desk.tick(late)
    assert [(e.trigger, e.data["deadline"]) for e in events] == [("breach", "response")]
    case = desk.get(case.id)
    assert case.fact("level") == 1
    assert "breached" in case.flags
    assert desk.tick(late) == []  # recorded once
    assert desk.get(case.id).fact("level") == 1
    later = case.deadlines["resolution"].due + timedelta(minutes=1)
    desk.tick(later)
    assert desk.get(case.id).fact("level") == 2
    assert desk.get(case.id).fact("breached") == ("response", "resolution")


def test_a_restarted_deadline_can_breach_again(agent: Actor) -> None:
    desk, _ = _desk()
    case = desk.fire(desk.open("complaint", actor=agent, **INTAKE).id, "route", actor=agent)
    desk.tick(case.deadlines["resolution"].due + timedelta(minutes=1))
    assert desk.get(case.id).fact("level") == 1
    desk.clock.advance(days=10)  # type: ignore[attr-defined]
    case = desk.fire(case.id, "promote_special", actor=agent, flag="litigation")
    assert case.fact("breached") == ()
    assert case.deadlines["resolution"].workdays == 2
    events = desk.tick(case.deadlines["resolution"].due + timedelta(minutes=1))
    assert [e.data["deadline"] for e in events] == ["resolution"]
    assert desk.get(case.id).fact("level") == 2


def test_breach_without_escalation(agent: Actor) -> None:
    desk, _ = _desk(PolicySet(escalation=EscalationLadder(on_breach=0)))
    case = desk.open("complaint", actor=agent, **INTAKE)
    desk.tick(case.deadlines["response"].due + timedelta(minutes=1))
    case = desk.get(case.id)
    assert case.fact("breached") == ("response",)
    assert case.fact("level") == 0


def test_plain_function_in_front_of_the_ladder(agent: Actor) -> None:
    def manual_to_manager(request: EscalationRequest, /) -> Decision | None:
        if request.cause is EscalationCause.MANUAL and request.level < 2:
            return decide(
                "escalation",
                "CPL-3",
                rung(2, DEFAULT_LADDER[2]),
                "our rule: straight to the manager",
                source="manual_to_manager",
            )
        return None

    desk, _ = _desk(PolicySet(escalation=manual_to_manager | default_escalation()))
    case = desk.open("complaint", actor=agent, **INTAKE)
    case = desk.fire(case.id, "escalate", actor=agent, reason="r")
    assert case.fact("level") == 2
    assert case.decision("escalation").source == "manual_to_manager"  # type: ignore[union-attr]
    case = desk.fire(case.id, "escalate", actor=agent, reason="r")
    assert case.fact("level") == 3


def test_a_policy_that_lowers_the_level_is_a_config_error(agent: Actor) -> None:
    def downwards(request: EscalationRequest, /) -> Decision | None:
        if request.cause is EscalationCause.MANUAL:
            return decide("escalation", "CPL-3", {"level": 0, "name": "handler", "role": "agent"}, "down")
        return None

    desk, _ = _desk(PolicySet(escalation=downwards | default_escalation()))
    case = desk.open("complaint", actor=agent, urgent=True, **INTAKE)
    with pytest.raises(PolicyConfigError, match="lowered"):
        desk.fire(case.id, "escalate", actor=agent, reason="r")
    assert desk.get(case.id).fact("level") == 2


# ------------------------------------------------------------------ properties

ACTORS = [Actor("agent", Role.AGENT), Actor("sup", Role.CS_SUPERVISOR), Actor("mgr", Role.MANAGER)]
LEVEL_NAMES = [lv.name for lv in DEFAULT_LADDER]

step: st.SearchStrategy[tuple[str, Any]] = st.one_of(
    st.tuples(
        st.just("escalate"),
        st.fixed_dictionaries(
            {"reason": st.just("r")},
            optional={
                "to": st.sampled_from([*LEVEL_NAMES, "ceo"]),
                "requested_by_customer": st.booleans(),
                "urgent": st.booleans(),
            },
        ),
    ),
    st.tuples(st.just("tick"), st.integers(min_value=1, max_value=15)),
    st.tuples(st.just("route"), st.just({})),
    st.tuples(st.just("start"), st.just({})),
    st.tuples(st.just("promote_special"), st.just({"flag": "crisis"})),
)


@settings(max_examples=60, deadline=None)
@given(urgent=st.booleans(), script=st.lists(st.tuples(step, st.sampled_from(ACTORS)), max_size=10))
def test_level_never_decreases_and_never_exceeds_the_ladder(
    urgent: bool, script: list[tuple[tuple[str, Any], Actor]]
) -> None:
    desk, clock = _desk()
    case = desk.open("complaint", actor=ACTORS[0], urgent=urgent, **INTAKE)
    level = case.fact("level")
    for (trigger, arg), actor in script:
        if trigger == "tick":
            clock.advance(days=arg)
            desk.tick()
        else:
            with contextlib.suppress(AfterSalesError):  # refused steps change nothing
                desk.fire(case.id, trigger, actor=actor, **arg)
        now = desk.get(case.id)
        assert level <= now.fact("level") <= TOP
        assert now.fact("level_name") == LEVEL_NAMES[now.fact("level")]
        assert now.fact("level_role") == DEFAULT_LADDER[now.fact("level")].role.value
        level = now.fact("level")
    escalations = [d for d in desk.get(case.id).decisions if d.policy == "escalation"]
    assert [d.result["level"] for d in escalations] == sorted(d.result["level"] for d in escalations)

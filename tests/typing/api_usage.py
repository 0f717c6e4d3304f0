"""Typed usage of the public API, checked with ``mypy --strict`` (never run).

``tests/test_testing_kit.py::test_typed_usage_passes_mypy_strict`` runs mypy on this
file: it is what an ERP developer, a policy author and a tester write, and it must
type-check without casts or ignores.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from aftersales_core import (
    CHINA_TZ,
    Actor,
    AfterSalesError,
    Case,
    Customer,
    Decision,
    Desk,
    Event,
    FixedClock,
    InvalidTrigger,
    Money,
    Product,
    ProductLine,
    Role,
    RuleViolation,
    replay,
)
from aftersales_core.calendar import BusinessCalendar, TableCalendar
from aftersales_core.policies import PolicySet, RoutingRequest, decide, default_routing
from aftersales_core.testing import (
    CalendarContract,
    CoverageReport,
    Edge,
    History,
    Step,
    WorkflowMachine,
    actor_for,
    actors,
    amounts,
    cases,
    coverage_paths,
    customers,
    histories,
    intakes,
    machine_for,
    make_desk,
    policy_sets,
    products,
    run_steps,
    workdays,
)

# ------------------------------------------------------------------ an ERP developer


def handle_button(desk: Desk, case_id: str, agent: Actor) -> Case | None:
    if "answer" not in desk.allowed(case_id, actor=agent):
        return None
    try:
        return desk.fire(case_id, "answer", actor=agent, key="erp-msg-1", answer="Hold RESET for 5 s.")
    except InvalidTrigger as exc:
        allowed: tuple[str, ...] = exc.allowed
        print(allowed)
    except RuleViolation as exc:
        rule: str = exc.rule
        print(rule)
    except AfterSalesError:
        raise
    return None


def open_consultation() -> Case:
    desk = Desk(clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
    case = desk.open(
        "consultation", actor=Actor("a1", Role.AGENT), customer={"id": "C1"}, channel="phone", question="How?"
    )
    events: tuple[Event, ...] = desk.history(case.id)
    assert replay(events) == case
    fee: Money = Money("12.30") * 2 + Money(1)
    print(fee, case.next_deadline)
    return case


# ------------------------------------------------------------------ a policy author


def key_accounts(request: RoutingRequest, /) -> Decision | None:
    if request.customer == "C-0001":
        return decide("routing", "CPL-2", "rnd", "key account", source="key_accounts")
    return None


acme = PolicySet(version="acme-1", routing=key_accounts | default_routing())
acme_desk: Desk = make_desk(policies=acme)


# ------------------------------------------------------------------ a tester

customer_strategy: st.SearchStrategy[Customer] = customers()
actor_strategy: st.SearchStrategy[Actor] = actors(roles=[Role.AGENT, Role.CS_SUPERVISOR])
money_strategy: st.SearchStrategy[Money] = amounts(min_value=0, max_value="500.00")
product_strategy: st.SearchStrategy[Product] = products(line=st.sampled_from([ProductLine.SOFTWARE]))
intake_strategy: st.SearchStrategy[dict[str, object]] = intakes("consultation", channel=st.just("email"))
history_strategy: st.SearchStrategy[History] = histories("consultation", max_size=4)
case_strategy: st.SearchStrategy[Case] = cases(kinds=["consultation"])
policy_strategy: st.SearchStrategy[PolicySet] = policy_sets(routing=st.just(default_routing()))


CALENDAR: BusinessCalendar = TableCalendar(name="ACME", start=date(2026, 1, 1), end=date(2026, 12, 31))
day_strategy: st.SearchStrategy[date] = workdays(CALENDAR)


@settings(max_examples=10, deadline=None)
@given(history=histories("consultation"), intake=intakes("consultation"))
def test_histories_replay(history: History, intake: dict[str, object]) -> None:
    desk = make_desk(policies=acme)
    case: Case = history.run(desk)
    steps: tuple[Step, ...] = history.steps
    assert case.version == len(steps) + 1
    print(intake)


def coverage() -> None:
    report: CoverageReport = coverage_paths(
        "consultation", desk_factory=functools.partial(make_desk, policies=acme)
    )
    for edge, path in report.paths.items():
        e: Edge = edge
        desk = make_desk()
        case = desk.open("consultation", actor=actor_for(report.opened_by), **report.intake)
        print(e.trigger)
        run_steps(desk, case.id, path)
    assert not report.uncovered, report.explain()


class ConsultationUnderAcme(WorkflowMachine):
    kind = "consultation"
    policies = acme

    @invariant()
    def answers_are_recorded(self) -> None:
        for case in self.all_cases():
            if case.state == "answered":
                assert case.fact("answer")


TestConsultationUnderAcme = ConsultationUnderAcme.TestCase
AnyKind: type[WorkflowMachine] = machine_for("complaint", policies=acme, max_cases=2)


class TestAcmeCalendar(CalendarContract):
    def make_calendar(self) -> BusinessCalendar:
        return CALENDAR

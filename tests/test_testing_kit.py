"""The testing kit itself: strategies, ``st.from_type``, port contracts, typed usage."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from aftersales_core import CHINA_TZ, Actor, Case, Component, Customer, FixedClock, Money, Product, Role
from aftersales_core.calendar import ChinaCalendar, TableCalendar
from aftersales_core.clock import SystemClock
from aftersales_core.intake import ComponentIn, ProductIn
from aftersales_core.policies import PolicySet, SlaTable
from aftersales_core.testing import (
    CalendarContract,
    ClockContract,
    History,
    StoreContract,
    actors,
    amounts,
    builtin_kinds,
    cases,
    check_case,
    customers,
    histories,
    intakes,
    make_desk,
    policy_sets,
    products,
    register_input_strategy,
    sla_tables,
    transition_inputs,
    workdays,
)
from aftersales_core.testing import strategies as kit_strategies
from aftersales_core.workflows import get_workflow
from aftersales_core.workflows.consultation import AnswerIn

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = builtin_kinds()


# ------------------------------------------------------------------ value objects


@FAST
@given(customer=customers(), actor=actors(roles=[Role.FINANCE]), amount=amounts(min_value="1.5", max_value=3))
def test_value_strategies_respect_their_arguments(customer: Customer, actor: Actor, amount: Money) -> None:
    assert customer.id.startswith("C-")
    assert actor.role is Role.FINANCE
    assert Money("1.50") <= amount <= Money(3)
    assert amount.amount == amount.amount.quantize(Decimal("0.01"))


@FAST
@given(product=products(line=st.just("functional_fabric")))  # type: ignore[arg-type]
def test_products_validate_as_intake_and_keep_dates_in_order(product: Product) -> None:
    assert product.line == "functional_fabric"
    assert len({c.name for c in product.components}) == len(product.components)
    if product.purchase_date and product.delivery_date:
        assert product.purchase_date <= product.delivery_date
    ProductIn.model_validate(product)  # the intake model accepts what the strategy builds


def test_the_system_role_gives_the_system_actor() -> None:
    @FAST
    @given(actors(roles=[Role.SYSTEM]))
    def check(actor: Actor) -> None:
        assert actor == Actor.system()

    check()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: amounts(min_value=5, max_value=1), "greater than"),
        (lambda: amounts(min_value=1.5), "float"),
        (lambda: actors(roles=[]), "at least one"),
        (lambda: products(line="software"), "must be a strategy"),
        (lambda: intakes("consultation", nonsense=st.just(1)), "no field 'nonsense'"),
        (lambda: intakes("consultation", question="fixed"), "must be a strategy"),
        (lambda: transition_inputs("consultation", "fly"), "no trigger 'fly'"),
        (lambda: histories("consultation", min_size=3, max_size=1), "min_size"),
        (lambda: policy_sets(colour=st.just("red")), "no slot 'colour'"),
        (lambda: sla_tables(min_value=3, max_value=1), "min_value"),
        (lambda: workdays(ChinaCalendar(), min_value=date(2026, 3, 9), max_value=date(2026, 3, 1)), "after"),
        (lambda: register_input_strategy(dict, st.just({})), "pydantic model"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_refused_with_invalid_argument(build: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        build().validate()


def test_a_calendar_without_known_coverage_needs_bounds() -> None:
    class Bare:
        name = "bare"

        def is_workday(self, day: date, /) -> bool:
            return day.weekday() < 5

        def is_provisional(self, day: date, /) -> bool:
            return False

        def covers(self, day: date, /) -> bool:
            return True

    with pytest.raises(InvalidArgument, match="min_value= and max_value="):
        workdays(Bare())
    bounded = workdays(Bare(), min_value=date(2026, 3, 7), max_value=date(2026, 3, 9))

    @FAST
    @given(bounded)
    def only_monday(day: date) -> None:
        assert day == date(2026, 3, 9)

    only_monday()


TABLE = TableCalendar(
    name="ACME-2026",
    start=date(2026, 1, 1),
    end=date(2026, 12, 31),
    holidays=frozenset({date(2026, 1, 1), date(2026, 10, 1), date(2026, 10, 2)}),
    workdays=frozenset({date(2026, 9, 27)}),
)


@FAST
@given(
    day=workdays(TABLE),
    spring=workdays(ChinaCalendar(), min_value=date(2026, 2, 13), max_value=date(2026, 2, 28)),
)
def test_workdays_are_working_days_in_range(day: date, spring: date) -> None:
    assert TABLE.is_workday(day)
    assert TABLE.start <= day <= TABLE.end
    assert ChinaCalendar().is_workday(spring)
    assert not date(2026, 2, 15) <= spring <= date(2026, 2, 23)  # Spring Festival 2026


# ------------------------------------------------------------------ inputs from the models


@pytest.mark.parametrize("kind", KINDS)
def test_intakes_validate_as_the_workflow_intake(kind: str) -> None:
    model = get_workflow(kind).intake

    @FAST
    @given(intake=intakes(kind))
    def check(intake: dict[str, Any]) -> None:
        model.model_validate(intake)
        assert "origin" not in intake

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_transition_inputs_validate_as_the_trigger_input(kind: str) -> None:
    wf = get_workflow(kind)

    @FAST
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        trigger = data.draw(st.sampled_from(wf.triggers), label="trigger")
        payload = data.draw(transition_inputs(wf, trigger), label="input")
        model = next(r.input for r in wf.transitions if r.trigger == trigger)
        if model is None:
            assert payload == {}
        else:
            model.model_validate(payload)

    check()


def test_intake_fields_can_be_pinned() -> None:
    @FAST
    @given(intakes("consultation", channel=st.just("email"), topic=st.sampled_from(["sensor", "loom"])))
    def check(intake: dict[str, Any]) -> None:
        assert intake["channel"] == "email"
        assert intake["topic"] in ("sensor", "loom")

    check()


def test_constraints_of_the_model_are_respected() -> None:
    class Limits(pydantic.BaseModel):
        rating: int = pydantic.Field(ge=1, le=5)
        code: str = pydantic.Field(pattern=r"[A-Z]{3}-\d{2}")
        share: Decimal = pydantic.Field(gt=0, le=1)
        when: date | None = None
        tags: tuple[str, ...] = ()
        parts: list[ComponentIn] = []
        kind: Literal["a", "b"] = "a"

    strategy = kit_strategies._model_inputs(Limits, example=None, case=None)

    @FAST
    @given(strategy)
    def check(data: dict[str, Any]) -> None:
        value = Limits.model_validate(data)
        assert 1 <= value.rating <= 5
        assert Decimal(0) < value.share <= 1
        assert len(value.code) == 6

    check()


def test_a_registered_strategy_replaces_the_derived_one() -> None:
    register_input_strategy(AnswerIn, st.just({"answer": "From the registry."}))
    try:

        @FAST
        @given(transition_inputs("consultation", "answer"))
        def check(payload: dict[str, Any]) -> None:
            # the row's example still takes part; everything else comes from the registry
            assert payload["answer"] in ("From the registry.", "Menu > Sensors > Calibrate.")

        check()
    finally:
        kit_strategies._REGISTRY.pop(AnswerIn, None)
        kit_strategies._case_free_inputs.cache_clear()


def test_breach_inputs_name_a_running_deadline() -> None:
    desk = make_desk()
    case = desk.open("consultation", actor=Actor("a", Role.AGENT), **get_workflow("consultation").example)

    @FAST
    @given(transition_inputs("consultation", "breach", case=case))
    def check(payload: dict[str, Any]) -> None:
        assert isinstance(payload["deadline"], str)

    check()
    names: set[str] = set()

    @settings(max_examples=60, deadline=None)
    @given(transition_inputs("consultation", "breach", case=case))
    def collect(payload: dict[str, Any]) -> None:
        names.add(payload["deadline"])

    collect()
    assert "response" in names


# ------------------------------------------------------------------ histories, cases, policy sets


@pytest.mark.parametrize("kind", KINDS)
def test_histories_replay_on_a_fresh_desk(kind: str) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(history=histories(kind, max_size=6))
    def check(history: History) -> None:
        desk = make_desk()
        case = history.run(desk)
        assert case.version == len(history.steps) + 1
        assert [e.trigger for e in desk.history(case.id)[1:]] == [s.trigger for s in history.steps]
        check_case(desk, case.id)

    check()


def test_histories_reach_their_minimum_length() -> None:
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(histories("consultation", roles=[Role.CS_SUPERVISOR], min_size=2, max_size=3))
    def check(history: History) -> None:
        assert 2 <= len(history.steps) <= 3
        assert {s.role for s in history.steps} == {Role.CS_SUPERVISOR}

    check()


@FAST
@given(policies=policy_sets(), table=sla_tables(min_value=2, max_value=4))
def test_policy_sets_vary_and_run(policies: PolicySet, table: SlaTable) -> None:
    assert all(2 <= t.workdays <= 4 for t in table.targets.values())
    desk = make_desk(policies=policies)
    case = desk.open("consultation", actor=Actor("a", Role.AGENT), **get_workflow("consultation").example)
    decision = case.decision("sla")
    assert decision is not None
    assert decision.version == policies.version


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.from_type(Case))
def test_from_type_gives_real_cases(case: Case) -> None:
    assert case.kind in KINDS
    assert case.version >= 1
    assert case.state in get_workflow(case.kind).state_by_name


@FAST
@given(
    customer=st.from_type(Customer),
    actor=st.from_type(Actor),
    money=st.from_type(Money),
    product=st.from_type(Product),
    component=st.from_type(Component),
    policies=st.from_type(PolicySet),
)
def test_from_type_covers_the_public_value_types(
    customer: Customer,
    actor: Actor,
    money: Money,
    product: Product,
    component: Component,
    policies: PolicySet,
) -> None:
    assert isinstance(customer, Customer)
    assert actor.role is not Role.SYSTEM
    assert money >= Money(0)
    assert isinstance(product, Product)
    assert isinstance(component, Component)
    assert isinstance(policies, PolicySet)


@FAST
@given(cases(kinds=["consultation"], max_steps=3))
def test_cases_of_chosen_kinds(case: Case) -> None:
    assert case.kind == "consultation"
    assert case.version <= 4


def test_the_kit_imports_before_hypothesis_in_a_fresh_interpreter() -> None:
    code = (
        "import aftersales_core.testing as kit\n"
        "from hypothesis import find, strategies as st\n"
        "from aftersales_core import Case\n"
        "case = find(st.from_type(Case), lambda c: c.kind == 'consultation')\n"
        "print(case.kind)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "consultation"


# ------------------------------------------------------------------ port contracts


class TestTableCalendarContract(CalendarContract):
    uncovered = date(2027, 1, 1)

    def make_calendar(self) -> TableCalendar:
        return TABLE


class TestChinaCalendarContract(CalendarContract):
    covered = (date(2025, 1, 1), date(2026, 12, 1))

    def make_calendar(self) -> ChinaCalendar:
        return ChinaCalendar()


class TestFixedClockContract(ClockContract):
    def make_clock(self) -> FixedClock:
        return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))


class TestSystemClockContract(ClockContract):
    def make_clock(self) -> SystemClock:
        return SystemClock()


def test_the_store_contract_is_re_exported() -> None:
    from aftersales_core.testing import store_contract

    assert StoreContract is store_contract.StoreContract
    assert any(name.startswith("test_") for name in vars(StoreContract))


def test_the_contracts_catch_a_naive_clock_and_a_calendar_that_guesses() -> None:
    class NaiveClock:
        def now(self) -> datetime:
            return datetime(2026, 3, 2, 9, 0)

    class Naive(ClockContract):
        def make_clock(self) -> NaiveClock:
            return NaiveClock()

    with pytest.raises(AssertionError, match="naive"):
        Naive().test_now_is_timezone_aware()

    class Backwards:
        def __init__(self) -> None:
            self.t = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)

        def now(self) -> datetime:
            self.t -= timedelta(seconds=1)
            return self.t

    class Rewinding(ClockContract):
        def make_clock(self) -> Backwards:
            return Backwards()

    with pytest.raises(AssertionError, match="backwards"):
        Rewinding().test_now_never_goes_backwards()

    class Guessing(TableCalendar):
        def is_workday(self, day: date, /) -> bool:
            return day.weekday() < 5  # answers outside its coverage instead of refusing

    class GuessingContract(CalendarContract):
        uncovered = date(2027, 1, 1)

        def make_calendar(self) -> Guessing:
            return Guessing(name="guess", start=date(2026, 1, 1), end=date(2026, 12, 31))

    with pytest.raises(AssertionError, match="CalendarNotCovered"):
        GuessingContract().test_an_uncovered_day_is_refused()


# ------------------------------------------------------------------ typed usage


def test_typed_usage_passes_mypy_strict() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "tests/typing/api_usage.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_kit_exports_what_it_documents() -> None:
    import aftersales_core.testing as kit

    def order(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert list(kit.__all__) == sorted(kit.__all__, key=order)
    for name in kit.__all__:
        assert hasattr(kit, name), name
    page = (ROOT / "docs" / "howto" / "property-test.md").read_text(encoding="utf-8")
    for name in ("WorkflowMachine", "coverage_paths", "intakes", "histories", "StoreContract"):
        assert name in page, name

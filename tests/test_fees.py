"""The fee and settlement policies (REP-3, REP-7, REP-11, FIN-1, FIN-2)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import Decision, Money, PolicyConfigError
from aftersales_core.policies import (
    CollectOnSiteBelow,
    FeeBasis,
    FeeLine,
    FeeRequest,
    FeeSchedule,
    LineKind,
    PricedLine,
    SettlementMethod,
    decide,
    default_fees,
    default_settlement,
    price_line,
)
from aftersales_core.policies.fees import MoneyField, Quantity
from aftersales_core.policies.settlement import SettlementRequest
from aftersales_core.testing import amounts


def priced(
    line: FeeLine, *, in_warranty: bool, contract: str = "", policy: FeeSchedule | None = None
) -> PricedLine:
    out = price_line(policy or default_fees(), FeeRequest(line, in_warranty, None, contract))
    assert out is not None
    line_priced, decision = out
    assert decision.policy == "fees"
    assert decision.reason == line_priced.reason
    return line_priced


MOTOR = FeeLine(item="MTR-24", component="motor", qty=Decimal(2), unit_cost=Money("180.50"))


def test_in_warranty_without_user_damage_is_free_but_still_costs() -> None:
    p = priced(MOTOR, in_warranty=True)
    assert (p.basis, p.rule, p.charge, p.cost) == (FeeBasis.FREE, "REP-7", Money(0), Money("361.00"))
    assert not p.chargeable
    labour = priced(FeeLine(kind=LineKind.LABOUR, item="labour", qty=Decimal(3)), in_warranty=True)
    assert (labour.basis, labour.rule, labour.charge, labour.cost) == (
        FeeBasis.FREE,
        "REP-3",
        Money(0),
        Money(240),
    )


def test_user_damage_or_expiry_means_a_cost_fee() -> None:
    damaged = MOTOR.model_copy(update={"user_damage": True})
    p = priced(damaged, in_warranty=True)
    assert (p.basis, p.rule, p.charge, p.cost) == (
        FeeBasis.COST_FEE,
        "REP-7",
        Money("361.00"),
        Money("361.00"),
    )
    assert "user damage" in p.reason
    expired = priced(MOTOR, in_warranty=False)
    assert expired.charge == Money("361.00")
    assert "warranty expired" in expired.reason
    trip = priced(FeeLine(kind=LineKind.TRAVEL, item="travel_other_city"), in_warranty=False)
    assert (trip.cost, trip.charge) == (Money(300), Money(400))  # FIN-2: cost and charge apart


def test_published_part_prices_and_contract_prices() -> None:
    schedule = FeeSchedule(
        part_prices={"MTR-24": "199.00"},
        contracts={"MA-1": {"MTR-24": "150", "labour": "60"}},
    )
    assert priced(MOTOR, in_warranty=False, policy=schedule).charge == Money("398.00")
    under = priced(MOTOR, in_warranty=False, contract="MA-1", policy=schedule)
    assert (under.basis, under.rule, under.unit_charge, under.charge) == (
        FeeBasis.CONTRACT_PRICE,
        "REP-3",
        Money(150),
        Money(300),
    )
    assert under.cost == Money("361.00")
    free = priced(MOTOR, in_warranty=True, contract="MA-1", policy=schedule)
    assert free.basis is FeeBasis.FREE  # the warranty comes first
    trip = priced(
        FeeLine(kind=LineKind.TRAVEL, item="travel_same_city"),
        in_warranty=False,
        contract="MA-1",
        policy=schedule,
    )
    assert trip.basis is FeeBasis.COST_FEE
    assert "has no price for travel_same_city" in trip.reason
    other = priced(MOTOR, in_warranty=False, contract="MA-9", policy=schedule)
    assert "has no price list" in other.reason


def test_an_item_the_schedule_does_not_list_has_no_price() -> None:
    assert (
        price_line(default_fees(), FeeRequest(FeeLine(kind=LineKind.LABOUR, item="massage"), False)) is None
    )
    # a code of the wrong kind is not a price either
    assert price_line(default_fees(), FeeRequest(FeeLine(kind=LineKind.TRAVEL, item="labour"), False)) is None


def test_each_line_rounds_half_up_to_the_fen() -> None:
    line = FeeLine(item="washer", qty=Decimal("0.5"), unit_cost=Money("0.15"))
    p = priced(line, in_warranty=False)
    assert p.cost == p.charge == Money("0.08")  # 0.075 half-up
    third = priced(FeeLine(kind=LineKind.LABOUR, item="labour", qty=Decimal("0.333")), in_warranty=False)
    assert third.charge == Money("39.96")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"item": "x", "unit_cost": 1.5}, "unit_cost"),
        ({"item": "x", "unit_cost": "-1"}, "unit_cost"),
        ({"item": "x", "unit_cost": "1", "qty": 0.5}, "qty"),
        ({"item": "x", "unit_cost": "1", "qty": 0}, "qty"),
        ({"item": "x"}, ""),  # a part needs its cost
        ({"item": " ", "unit_cost": "1"}, "item"),
    ],
)
def test_bad_lines_are_refused(data: dict[str, Any], field: str) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        FeeLine.model_validate(data)
    assert ".".join(str(p) for p in err.value.errors()[0]["loc"]) == field


def test_priced_lines_and_money_round_trip_through_json_as_strings() -> None:
    p = priced(
        FeeLine(kind=LineKind.LABOUR, item="labour", qty=Decimal("1.5"), user_damage=True), in_warranty=True
    )
    data = p.model_dump(mode="json")
    assert data["charge"] == "180.00"
    assert data["unit_cost"] == "80.00"
    assert data["qty"] == "1.5"
    assert data["basis"] == "cost_fee"
    text = json.dumps(data)
    assert "180.0," not in text  # no float anywhere
    back = PricedLine.model_validate(json.loads(text))
    assert back == p
    assert isinstance(back.charge, Money)
    assert p.model_dump()["charge"] == Money("180.00")  # Python mode keeps Money
    schema = PricedLine.model_json_schema()
    assert schema["properties"]["charge"]["type"] == "string"


class Payment(pydantic.BaseModel):
    amount: MoneyField
    qty: Quantity = Decimal(1)


@settings(max_examples=100, deadline=None)
@given(amount=amounts(max_value=10**9))
def test_any_money_round_trips_through_json(amount: Money) -> None:
    text = Payment(amount=amount).model_dump_json()
    assert f'"{amount.amount}"' in text
    assert Payment.model_validate_json(text).amount == amount


# ------------------------------------------------------------------ properties


def _lines(kind: LineKind, items: list[str]) -> st.SearchStrategy[FeeLine]:
    return st.builds(
        FeeLine,
        kind=st.just(kind),
        item=st.sampled_from(items),
        component=st.sampled_from(["", "motor", "sensor"]),
        qty=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3),
        unit_cost=amounts(max_value=20_000) if kind is LineKind.PART else st.none(),
        user_damage=st.booleans(),
    )


lines = (
    _lines(LineKind.PART, ["MTR-24", "SNS-12", "BELT-3"])
    | _lines(LineKind.LABOUR, ["labour", "remote_support"])
    | _lines(LineKind.TRAVEL, ["travel_same_city", "travel_other_city"])
)

schedules = st.sampled_from(
    [
        default_fees(),
        FeeSchedule(part_prices={"MTR-24": "1234.56"}, contracts={"MA-1": {"SNS-12": "9.99", "labour": "0"}}),
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    batch=st.lists(st.tuples(lines, st.booleans()), max_size=25),
    schedule=schedules,
    contract=st.sampled_from(["", "MA-1"]),
)
def test_fees_are_never_negative_and_sum_exactly(
    batch: list[tuple[FeeLine, bool]], schedule: FeeSchedule, contract: str
) -> None:
    done = [priced(line, in_warranty=w, contract=contract, policy=schedule) for line, w in batch]
    for p, (line, in_warranty) in zip(done, batch, strict=True):
        assert p.cost >= Money(0)
        assert p.charge >= Money(0)
        assert p.cost == Money(p.unit_cost.amount * p.qty)
        assert p.charge == Money(p.unit_charge.amount * p.qty)
        for amount in (p.cost, p.charge):
            assert amount.amount == amount.amount.quantize(Decimal("0.01"))
        if in_warranty and not line.user_damage:
            # REP-7: an in-warranty, not user-damaged component is never charged
            assert p.charge == Money(0)
            assert p.basis is FeeBasis.FREE
    charge = sum((p.charge for p in done), Money(0))
    cost = sum((p.cost for p in done), Money(0))
    assert charge.amount == sum((p.charge.amount for p in done), Decimal(0))  # no rounding drift
    assert cost.amount == sum((p.cost.amount for p in done), Decimal(0))
    assert charge >= Money(0)


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"items": {"labour": {"kind": "labour", "unit_cost": 80.0}}}, r"fees\.items\['labour'\]\.unit_cost"),
        ({"items": {"labour": {"unit": "hour"}}}, r"fees\.items\['labour'\]\.kind"),
        ({"items": {"x": {"kind": "part"}}}, r"fees\.items\['x'\]\.kind"),
        ({"part_prices": {"MTR-24": "-5"}}, r"fees\.part_prices\['MTR-24'\]"),
        ({"contracts": {"MA-1": {"labour": 1.5}}}, r"fees\.contracts\['MA-1'\]\['labour'\]"),
    ],
)
def test_bad_fee_configuration_names_the_key(config: dict[str, Any], path: str) -> None:
    with pytest.raises(PolicyConfigError, match=path):
        FeeSchedule(**config)


def test_a_configured_schedule_and_a_function_in_front_of_it() -> None:
    schedule = FeeSchedule(
        items={"labour": {"kind": "labour", "unit": "hour", "unit_cost": "90", "unit_charge": "150"}}
    )
    assert priced(
        FeeLine(kind=LineKind.LABOUR, item="labour"), in_warranty=False, policy=schedule
    ).charge == Money(150)

    def goodwill(request: FeeRequest, /) -> Decision | None:
        if request.line.item != "labour":
            return None
        result = {"basis": FeeBasis.FREE, "unit_cost": Money(90), "unit_charge": Money(0)}
        return decide("fees", "REP-3", result, "labour waived", source="goodwill")

    chain = goodwill | schedule
    out = price_line(chain, FeeRequest(FeeLine(kind=LineKind.LABOUR, item="labour"), False))
    assert out is not None
    assert out[0].charge == Money(0)
    assert out[1].source == "goodwill"


# ------------------------------------------------------------------ settlement (REP-11)


@pytest.mark.parametrize(
    ("amount", "method"),
    [
        ("0", SettlementMethod.NOTHING_DUE),
        ("0.01", SettlementMethod.COLLECT_ON_SITE),
        ("1999.99", SettlementMethod.COLLECT_ON_SITE),
        ("2000", SettlementMethod.INVOICE),
        ("35000", SettlementMethod.INVOICE),
    ],
)
def test_collect_on_the_spot_below_the_threshold(amount: str, method: SettlementMethod) -> None:
    decision = default_settlement()(SettlementRequest(Money(amount)))
    assert decision is not None
    assert (decision.policy, decision.rule, decision.result) == ("settlement", "REP-11", method)
    assert decision.source == "CollectOnSiteBelow(threshold=Money('2000.00'))"


def test_the_threshold_is_a_parameter() -> None:
    policy = CollectOnSiteBelow(Money(500))
    assert policy(SettlementRequest(Money(600))).result is SettlementMethod.INVOICE
    assert CollectOnSiteBelow("800").threshold == Money(800)
    with pytest.raises(PolicyConfigError, match=r"settlement\.threshold"):
        CollectOnSiteBelow(Money(0))

"""The warranty policy (REP-2): per component, until when, on what basis."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import Component, Decision, PolicyConfigError, Product
from aftersales_core.policies import (
    WHOLE_PRODUCT,
    MaintenanceAgreement,
    PolicySet,
    WarrantyBasis,
    WarrantyPromotion,
    WarrantyRequest,
    WarrantyTable,
    decide,
    decide_warranty,
    default_warranty,
)
from aftersales_core.policies.warranty import add_months

TODAY = date(2026, 3, 2)


def loom(purchased: date, *components: Component, contract: str = "", **kw: Any) -> Product:
    return Product("JX-9", "smart_equipment", "JX9-0042", purchased, None, components, contract, **kw)


def result(policy: WarrantyTable, product: Product, component: Component | None = None) -> Any:
    decision = policy(WarrantyRequest(product, component, TODAY))
    assert decision is not None
    assert decision.policy == "warranty"
    assert decision.rule == "REP-2"
    return decision.result


@pytest.mark.parametrize(
    ("line", "months"), [("smart_equipment", 12), ("functional_fabric", 6), ("software", 12)]
)
def test_product_line_defaults_and_the_last_day_covered(line: str, months: int) -> None:
    table = default_warranty()
    start = add_months(TODAY, -months) + timedelta(days=1)  # the period ends today
    product = Product("M", line, purchase_date=start)
    r = result(table, product)
    assert r["until"] == TODAY
    assert r["in_warranty"] is True
    assert r["basis"] is WarrantyBasis.PRODUCT_LINE
    assert r["months"] == months
    assert r["component"] == WHOLE_PRODUCT
    day_later = Product("M", line, purchase_date=start - timedelta(days=1))
    assert result(table, day_later)["in_warranty"] is False


def test_a_motor_keeps_its_24_months_when_the_product_expired() -> None:
    product = loom(date(2024, 9, 1), Component("motor", 24), Component("sensor"))
    decisions = decide_warranty(default_warranty(), product, on=TODAY)
    assert list(decisions) == [WHOLE_PRODUCT, "motor", "sensor"]
    motor, sensor, whole = (decisions[n].result for n in ("motor", "sensor", WHOLE_PRODUCT))
    assert (motor["in_warranty"], motor["basis"], motor["until"]) == (True, "component", date(2026, 8, 31))
    assert (sensor["in_warranty"], sensor["basis"]) == (False, "product_line")
    assert (whole["in_warranty"], whole["until"]) == (False, date(2025, 8, 31))
    assert "sales contract or manual" in decisions["motor"].reason


def test_component_periods_from_the_table_and_the_product_data_wins() -> None:
    table = WarrantyTable(components={"motor": 24, "sensor": 3})
    product = loom(date(2025, 1, 10), Component("motor"), Component("sensor", 18))
    motor = result(table, product, product.components[0])
    sensor = result(table, product, product.components[1])
    assert (motor["months"], motor["basis"]) == (24, "component")
    assert (sensor["months"], sensor["in_warranty"]) == (18, True)  # the sales contract beats the table


def test_a_promotion_extends_sales_in_its_date_range() -> None:
    promo = WarrantyPromotion("春节促销", date(2025, 2, 1), date(2025, 2, 28), 6, lines=["smart_equipment"])
    table = WarrantyTable(promotions=[promo])
    sold_in = loom(date(2025, 2, 15))  # 12.5 months ago: 12 months alone would have ended on 02-14
    assert result(default_warranty(), sold_in)["in_warranty"] is False
    r = result(table, sold_in)
    assert (r["basis"], r["months"], r["in_warranty"], r["until"]) == (
        "promotion",
        18,
        True,
        date(2026, 8, 14),
    )
    assert result(table, loom(date(2025, 1, 31)))["basis"] == "product_line"
    assert result(table, loom(date(2025, 3, 1)))["basis"] == "product_line"
    fabric = Product("F", "functional_fabric", purchase_date=date(2025, 2, 15))
    assert result(table, fabric)["basis"] == "product_line"  # the promotion names equipment only
    motor = Component("motor", 24)
    m = result(table, loom(date(2025, 2, 15), motor), motor)
    assert (m["basis"], m["months"]) == ("promotion", 30)  # the component's own period, extended


def test_a_contract_beats_everything_else() -> None:
    promo = WarrantyPromotion("p", date(2024, 1, 1), date(2024, 12, 31), 12)
    table = WarrantyTable(
        components={"motor": 24},
        promotions=[promo],
        contracts={"MA-1": {"until": "2027-12-31"}, "MA-2": {"months": 6}},
    )
    motor = Component("motor")
    r = result(table, loom(date(2024, 3, 1), motor, contract="MA-1"), motor)
    assert (r["basis"], r["until"], r["months"], r["in_warranty"]) == (
        "contract",
        date(2027, 12, 31),
        None,
        True,
    )
    short = result(table, loom(date(2024, 3, 1), motor, contract="MA-2"), motor)
    assert (short["basis"], short["in_warranty"]) == ("contract", False)  # the contract says 6 months


def test_an_unknown_contract_gets_standard_terms_and_says_so() -> None:
    decision = default_warranty()(WarrantyRequest(loom(TODAY, contract="MA-404"), None, TODAY))
    assert decision is not None
    assert decision.result["basis"] == "product_line"
    assert "MA-404" in decision.reason
    assert "not in the contract table" in decision.reason


def test_start_from_delivery_falls_back_to_purchase() -> None:
    table = WarrantyTable(start="delivery")
    product = Product("M", "smart_equipment", purchase_date=date(2025, 1, 1), delivery_date=date(2025, 4, 1))
    assert result(table, product)["start"] == date(2025, 4, 1)
    assert result(default_warranty(), product)["start"] == date(2025, 1, 1)
    undelivered = Product("M", "smart_equipment", purchase_date=date(2025, 1, 1))
    assert result(table, undelivered)["start"] == date(2025, 1, 1)
    with pytest.raises(PolicyConfigError, match=r"warranty\.start"):
        WarrantyTable(start="installation")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"lines": {"carpets": 12}}, r"warranty\.lines\['carpets'\]"),
        ({"lines": {"software": -1}}, r"warranty\.lines\['software'\]"),
        ({"components": {"motor": True}}, r"warranty\.components\['motor'\]"),
        ({"contracts": {"MA-1": {}}}, r"warranty\.contracts\['MA-1'\]"),
        ({"contracts": {"MA-1": {"months": 6, "until": "2027-01-01"}}}, r"warranty\.contracts\['MA-1'\]"),
        ({"contracts": {"MA-1": {"until": "someday"}}}, r"warranty\.contracts\['MA-1'\]\.until"),
        (
            {
                "promotions": [
                    {"name": "p", "sold_from": "2025-02-01", "sold_to": "2025-01-01", "extra_months": 3}
                ]
            },
            r"warranty\.promotions\['p'\]",
        ),
        ({"promotions": [{"name": "p", "sold_from": "2025-02-01"}]}, r"warranty\.promotions\[0\]\.sold_to"),
    ],
)
def test_bad_configuration_names_the_key(config: dict[str, Any], path: str) -> None:
    with pytest.raises(PolicyConfigError, match=path):
        WarrantyTable(**config)


def test_configured_from_plain_data_and_repr_reads_like_the_call() -> None:
    table = WarrantyTable(
        lines={"smart_equipment": 18},
        promotions=[{"name": "双11", "sold_from": "2025-11-01", "sold_to": "2025-11-11", "extra_months": 6}],
        contracts={"MA-1": {"months": 36}},
    )
    assert table.lines == {"smart_equipment": 18}
    assert table.promotions[0].sold_to == date(2025, 11, 11)
    assert table.contracts["MA-1"] == MaintenanceAgreement("MA-1", months=36)
    assert repr(table).startswith("WarrantyTable(lines={")
    assert eval(repr(MaintenanceAgreement("MA-1", months=36))) == MaintenanceAgreement("MA-1", months=36)


def test_a_plain_function_composes_in_front_and_slots_into_policies() -> None:
    def lifetime_for_vip(request: WarrantyRequest, /) -> Decision | None:
        if request.product.model != "VIP":
            return None
        result = {
            "component": "product",
            "in_warranty": True,
            "until": date(2099, 12, 31),
            "basis": "contract",
        }
        return decide("warranty", "REP-2", result, "VIP: lifetime warranty", source="lifetime_for_vip")

    policy = lifetime_for_vip | default_warranty()
    vip = Product("VIP", "software", purchase_date=date(2010, 1, 1))
    assert decide_warranty(policy, vip, on=TODAY)["product"].source == "lifetime_for_vip"
    assert decide_warranty(policy, loom(date(2010, 1, 1)), on=TODAY)["product"].result["in_warranty"] is False
    assert PolicySet(warranty=policy).warranty is policy


def test_a_policy_that_decides_nothing_is_a_configuration_error() -> None:
    def silent(request: WarrantyRequest, /) -> Decision | None:
        return None

    with pytest.raises(PolicyConfigError, match="no warranty rule decided"):
        decide_warranty(silent, loom(TODAY), on=TODAY)


# ------------------------------------------------------------------ properties


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), months=st.integers(0, 600))
def test_add_months_moves_whole_months(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


components = st.builds(
    Component,
    name=st.sampled_from(["motor", "sensor", "heater", "board"]),
    warranty_months=st.none() | st.integers(0, 60),
)


@settings(max_examples=150, deadline=None)
@given(
    purchased=st.dates(min_value=date(2020, 1, 1), max_value=TODAY),
    line=st.sampled_from(["smart_equipment", "functional_fabric", "software"]),
    component=st.none() | components,
    table_months=st.dictionaries(st.sampled_from(["motor", "sensor"]), st.integers(0, 60), max_size=2),
    promo_from=st.dates(min_value=date(2020, 1, 1), max_value=TODAY),
    promo_days=st.integers(0, 400),
    contract=st.sampled_from(["", "MA-1", "MA-404"]),
)
def test_basis_order_and_until(
    purchased: date,
    line: str,
    component: Component | None,
    table_months: dict[str, int],
    promo_from: date,
    promo_days: int,
    contract: str,
) -> None:
    promo = WarrantyPromotion("p", promo_from, promo_from + timedelta(days=promo_days), 6)
    table = WarrantyTable(
        components=table_months, promotions=[promo], contracts={"MA-1": {"until": "2026-06-30"}}
    )
    product = Product("M", line, purchase_date=purchased, contract=contract)
    r = result(table, product, component)
    own = component is not None and (component.warranty_months is not None or component.name in table_months)
    expected = (
        WarrantyBasis.CONTRACT
        if contract == "MA-1"
        else WarrantyBasis.PROMOTION
        if promo.applies(product)
        else WarrantyBasis.COMPONENT
        if own
        else WarrantyBasis.PRODUCT_LINE
    )
    assert r["basis"] is expected
    assert r["in_warranty"] == (r["until"] >= TODAY)
    if expected is not WarrantyBasis.CONTRACT:
        assert r["until"] == add_months(purchased, r["months"]) - timedelta(days=1)

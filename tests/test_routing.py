"""Routing policy (CPL-2): the SPEC table, table checks, composition with plain functions."""

from __future__ import annotations

import runpy
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import (
    CHINA_TZ,
    Actor,
    Channel,
    Decision,
    Department,
    Desk,
    FixedClock,
    ProductLine,
    Role,
)
from aftersales_core.errors import PolicyConfigError
from aftersales_core.policies import (
    ANY_PARTNER,
    DEFAULT_ROUTES,
    Category,
    DefaultRoute,
    PolicySet,
    Route,
    RoutingRequest,
    RoutingTable,
    decide,
    default_routing,
)
from aftersales_core.policies.routing import known_departments

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_routing.py"
FABRIC = ProductLine.FUNCTIONAL_FABRIC
EQUIPMENT = ProductLine.SMART_EQUIPMENT
SOFTWARE = ProductLine.SOFTWARE

# CPL-2, as DEFAULT_ROUTES spells it out: (category, product line) -> department
SPEC_TABLE = [
    (Category.QUALITY, FABRIC, "production"),
    (Category.QUALITY, EQUIPMENT, "rnd"),
    (Category.QUALITY, SOFTWARE, "rnd"),
    (Category.QUALITY, None, "rnd"),
    (Category.PERFORMANCE, FABRIC, "production"),
    (Category.PERFORMANCE, EQUIPMENT, "rnd"),
    (Category.PERFORMANCE, None, "rnd"),
    (Category.PACKAGING, FABRIC, "transport"),
    (Category.SPOILAGE, FABRIC, "warehouse"),
    (Category.STAFF_ATTITUDE, EQUIPMENT, "marketing"),
    (Category.NEGLIGENCE, None, "marketing"),
    (Category.PARTNER, SOFTWARE, "partner"),
    (Category.OTHER, None, "complaint_group"),
]


@pytest.mark.parametrize(("category", "line", "department"), SPEC_TABLE)
def test_spec_table(category: Category, line: ProductLine | None, department: str) -> None:
    decision = default_routing()(RoutingRequest(category, Channel.PHONE, line))
    assert decision is not None
    assert (decision.result, decision.rule, decision.policy) == (department, "CPL-2", "routing")


def test_decision_records_the_row_that_matched() -> None:
    table = default_routing()
    decision = table(RoutingRequest("quality", "email", "smart_equipment"))
    assert decision is not None
    assert decision.source == "RoutingTable.rows[1]: Route('quality', 'rnd')"
    assert "row 1 matched" in decision.reason
    other = table(RoutingRequest("other", "visit"))
    assert other is not None
    assert other.source == "RoutingTable.default: 'complaint_group'"
    assert "no row matched" in other.reason


def test_reprs_read_like_the_call() -> None:
    row = Route("quality", "production", product_line="functional_fabric", channel="phone", partner="P1")
    assert repr(row) == (
        "Route('quality', 'production', product_line='functional_fabric', channel='phone', partner='P1')"
    )
    assert eval(repr(row)) == row
    table = RoutingTable([Route("quality", "rnd")], default="aftersales")
    assert repr(table) == "RoutingTable(rows=(Route('quality', 'rnd'),), default='aftersales')"
    assert repr(DefaultRoute("aftersales")) == "DefaultRoute('aftersales')"


def test_shadowed_row_is_rejected() -> None:
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable([Route("quality", "rnd"), Route("quality", "production", product_line="software")])
    assert err.value.path == "routing.rows[1]"
    assert "shadowed" in str(err.value)
    assert "rows[0]" in str(err.value)


def test_row_shadowed_by_several_earlier_rows_together() -> None:
    by_line = [Route("quality", "rnd", product_line=line) for line in ProductLine]
    # the rows by line leave the complaints naming no product; these two rows split them, both live
    rows = [*by_line, Route("quality", "production", partner="")]
    table = RoutingTable([*rows, Route("quality", "production")], default="aftersales")
    assert table(RoutingRequest("quality", "phone", None, partner="P9")) is not None
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable(
            [
                *by_line,
                Route("quality", "production", product_line=None, partner=ANY_PARTNER),
                Route("quality", "production", partner=""),
                Route("quality", "sales"),
            ],
            default="aftersales",
        )
    assert err.value.path == "routing.rows[5]"


def test_a_category_without_department_is_rejected_when_there_is_no_default() -> None:
    rows = [Route(c, "aftersales") for c in Category if c is not Category.OTHER]
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable(rows)
    assert err.value.path == "routing.default"
    assert "'other'" in str(err.value)
    partial = [*rows, Route("other", "aftersales", channel="phone")]
    with pytest.raises(PolicyConfigError, match="channel=letter"):
        RoutingTable(partial)
    total = RoutingTable([*rows, Route("other", "aftersales")])
    assert total.default is None


def test_departments_are_checked_and_extras_can_be_declared() -> None:
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable([Route("quality", "legal")], default="aftersales")
    assert err.value.path == "routing.rows[0].department"
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable([], default="nowhere")
    assert err.value.path == "routing.default"
    table = RoutingTable([Route("quality", "legal")], default="aftersales", departments=["legal"])
    decision = table(RoutingRequest("quality", "phone"))
    assert decision is not None
    assert decision.result == "legal"
    assert "legal" in known_departments(table)
    assert "legal" not in known_departments(default_routing())
    with pytest.raises(PolicyConfigError):
        DefaultRoute("legal")


def test_rows_load_from_mappings_and_name_the_bad_key() -> None:
    table = RoutingTable(
        [{"category": "packaging", "department": "warehouse", "channel": "visit"}], default="transport"
    )
    assert table.rows == (Route("packaging", "warehouse", channel="visit"),)
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable(
            [{"category": "quality", "department": "rnd"}, {"category": "colour", "department": "rnd"}]
        )
    assert err.value.path == "routing.rows[1].category"
    with pytest.raises(PolicyConfigError) as err:
        RoutingTable([{"category": "quality", "department": "rnd", "line": "x"}], default="rnd")
    assert err.value.path == "routing.rows[0]"


def test_partner_rows() -> None:
    table = RoutingTable(
        [
            Route("packaging", "partner", partner="金源商贸"),
            Route("packaging", "sales", partner=ANY_PARTNER),
            Route("packaging", "transport"),
        ],
        default="aftersales",
    )
    pick = {
        p: table(RoutingRequest("packaging", "phone", partner=p)).result  # type: ignore[union-attr]
        for p in ("金源商贸", "another shop", "")
    }
    assert pick == {"金源商贸": "partner", "another shop": "sales", "": "transport"}


# ------------------------------------------------------------------ composition


def vip_to_marketing(request: RoutingRequest, /) -> Decision | None:
    if request.customer.startswith("VIP"):
        return decide("routing", "CPL-2", "marketing", "VIP customers", source="vip_to_marketing")
    return None


def test_plain_function_composes_with_the_table() -> None:
    routing = vip_to_marketing | default_routing()
    vip = routing(RoutingRequest("packaging", "phone", customer="VIP-1"))
    plain = routing(RoutingRequest("packaging", "phone", customer="C-1"))
    assert vip is not None
    assert plain is not None
    assert (vip.result, vip.source) == ("marketing", "vip_to_marketing")
    assert (plain.result, plain.source) == (
        "transport",
        "RoutingTable.rows[4]: Route('packaging', 'transport')",
    )
    assert repr(routing).startswith("vip_to_marketing | RoutingTable(")
    # a function can also close a chain, and DefaultRoute ends one of plain functions
    assert (default_routing() | vip_to_marketing)(
        RoutingRequest("other", "phone", customer="VIP-2")
    ) is not None
    chain = vip_to_marketing | DefaultRoute("aftersales")
    assert chain(RoutingRequest("quality", "phone")).result == "aftersales"  # type: ignore[union-attr]


def test_custom_routing_in_a_desk(agent: Actor) -> None:
    desk = Desk(
        policies=PolicySet(version="v2", routing=vip_to_marketing | default_routing()),
        clock=FixedClock(__import__("datetime").datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)),
    )
    case = desk.open(
        "complaint",
        actor=agent,
        customer={"id": "VIP-7"},
        channel="phone",
        category="spoilage",
        description="mouldy rolls",
    )
    case = desk.fire(case.id, "route", actor=agent)
    assert case.fact("department") == "marketing"
    assert case.fact("routing_rule") == "vip_to_marketing"
    decision = case.decision("routing")
    assert decision is not None
    assert decision.version == "v2"


def test_example_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "C-0001: rnd" in out
    assert "C-0002: production" in out


def test_a_chain_that_decides_nothing_is_a_clear_error(agent: Actor) -> None:
    desk = Desk(policies=PolicySet(routing=vip_to_marketing))
    case = desk.open(
        "complaint", actor=agent, customer={"id": "C1"}, channel="phone", category="other", description="d"
    )
    with pytest.raises(PolicyConfigError, match="no routing rule decided"):
        desk.fire(case.id, "route", actor=agent)
    assert desk.get(case.id).state == "received"


# ------------------------------------------------------------------ properties

requests = st.builds(
    RoutingRequest,
    category=st.sampled_from(Category),
    channel=st.sampled_from(Channel),
    product_line=st.none() | st.sampled_from(ProductLine),
    partner=st.sampled_from(["", "金源商贸", "Acme Retail"]),
    customer=st.sampled_from(["C1", "VIP-1"]),
)


@settings(max_examples=200, deadline=None)
@given(requests)
def test_default_routing_is_total(request: RoutingRequest) -> None:
    decision = default_routing()(request)
    assert decision is not None
    assert decision.result in {d.value for d in Department}
    assert decision.rule == "CPL-2"
    assert decision.source.startswith("RoutingTable.")


@settings(max_examples=40, deadline=None)
@given(
    category=st.sampled_from(Category),
    channel=st.sampled_from(Channel),
    line=st.none() | st.sampled_from(ProductLine),
    partner=st.sampled_from(["", "金源商贸"]),
)
def test_every_intake_gets_exactly_one_department(
    category: Category, channel: Channel, line: ProductLine | None, partner: str
) -> None:
    desk = Desk(clock=FixedClock(__import__("datetime").datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
    agent = Actor("a", Role.AGENT)
    intake: dict[str, Any] = {
        "customer": {"id": "C1"},
        "channel": channel.value,
        "category": category.value,
        "description": "d",
        "partner": partner,
    }
    if line is not None:
        intake["product"] = {"model": "M1", "line": line.value}
    case = desk.fire(desk.open("complaint", actor=agent, **intake).id, "route", actor=agent)
    routing = [d for d in case.decisions if d.policy == "routing"]
    assert len(routing) == 1
    assert case.fact("department") == routing[0].result
    assert case.fact("department") in known_departments(desk.policies.routing)


# random small tables against a brute-force oracle: a table builds exactly when no
# row is dead and (without a default) every complaint finds a row; built tables
# are total and answer with the first matching row
_ROWS = st.builds(
    Route,
    st.sampled_from([Category.QUALITY, Category.PACKAGING]),
    st.sampled_from(["rnd", "production", "warehouse"]),
    product_line=st.none() | st.just(FABRIC),
    channel=st.none() | st.just(Channel.PHONE),
    partner=st.sampled_from([None, "", ANY_PARTNER, "P1"]),
)
_ALL_REQUESTS = [
    RoutingRequest(c, ch, ln, p)
    for c, ch, ln, p in product(Category, Channel, [None, *ProductLine], ["", "P1", "P2"])
]


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_ROWS, max_size=6), default=st.none() | st.just("aftersales"))
def test_table_checks_match_a_brute_force_oracle(rows: list[Route], default: str | None) -> None:
    first = [next((i for i, r in enumerate(rows) if r.matches(q)), None) for q in _ALL_REQUESTS]
    dead = set(range(len(rows))) - {i for i in first if i is not None}
    uncovered = default is None and None in first
    if dead or uncovered:
        with pytest.raises(PolicyConfigError) as err:
            RoutingTable(rows, default=default)
        assert err.value.path == (f"routing.rows[{min(dead)}]" if dead else "routing.default")
        return
    table = RoutingTable(rows, default=default)
    assert not dead
    assert not uncovered
    for q, i in zip(_ALL_REQUESTS, first, strict=True):
        decision = table(q)
        assert decision is not None
        assert decision.result == (rows[i].department if i is not None else default)


def test_default_routes_constant_is_the_default_table() -> None:
    assert default_routing().rows == DEFAULT_ROUTES
    assert {r.category for r in DEFAULT_ROUTES} == set(Category) - {Category.OTHER}
    assert all(c.zh for c in Category)

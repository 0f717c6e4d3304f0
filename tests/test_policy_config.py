"""Policy files (issue 7, DESIGN §4): load, dump, round trip, versions, errors, schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Money, PolicyConfigError, Role
from aftersales_core.calendar import WorkingHours
from aftersales_core.model import Channel, Component, Product, ProductLine
from aftersales_core.policies import (
    DEFAULT_LADDER,
    CollectOnSiteBelow,
    DefaultRoute,
    EligibilityRequest,
    EscalationCause,
    EscalationLadder,
    EscalationRequest,
    FeeItem,
    FeeLine,
    FeeRequest,
    FeeSchedule,
    Finding,
    IndividualAfter,
    InspectionRequest,
    Level,
    MaintenanceAgreement,
    PermissionRequest,
    PermissionTable,
    Permit,
    PolicySet,
    PolicyVersions,
    Problem,
    Promotion,
    PromotionRequest,
    Remedy,
    ReturnRules,
    RiskFlag,
    Route,
    RoutingRequest,
    RoutingTable,
    SettlementRequest,
    Severity,
    SlaRequest,
    SlaTable,
    SpecialOnRisk,
    Target,
    WarrantyPromotion,
    WarrantyRequest,
    WarrantyTable,
    default_findings,
    default_sla,
    dump_policies,
    load_policies,
    policy_schema,
    three_guarantees,
    write_policies,
)
from aftersales_core.policies.config import DEFAULTS_FILE, SECTIONS
from aftersales_core.policies.fees import DEFAULT_FEE_ITEMS
from aftersales_core.policies.routing import Category
from aftersales_core.testing import histories, make_desk

# --------------------------------------------------------------------------- policy sets

#: A policy set that uses every feature of the file format at least once.
RICH = PolicySet(
    version="acme-2026.2",
    permissions=PermissionTable(
        permits=(
            Permit("cancel", {Role.MANAGER}, kind="complaint", flag="special", rule="CPL-4"),
            Permit("refund", {Role.FINANCE, Role.MANAGER}, kind="return", rule="RET-2"),
            Permit("review", {Role.CS_SUPERVISOR, Role.SERVICE_SUPERVISOR, Role.TECH_SUPERVISOR}),
        ),
        amount_limits={"compensation": {"manager": "5000.50", "leadership": 100000}, "part": {}},
        system_triggers={"breach", "remind"},
    ),
    sla=SlaTable(
        targets={**default_sla().targets, "repair.completion@urgent": Target(5, "REP-12")},
        hours=WorkingHours(time(8, 30), time(17, 30)),
        pause_states={"repair.awaiting_consent": False, "return.awaiting_goods": True},
    ),
    returns=ReturnRules(
        ladder=three_guarantees(line="functional_fabric", refund_days=3, exchange_days=10)
        | three_guarantees(repair_days=365),
        findings=attrs.evolve(default_findings(), line="software") | default_findings(),
        uncovered_zh="协商处理。",
        uncovered_en="Settled by agreement.",
    ),
    routing=RoutingTable(
        (
            Route(Category.QUALITY, "qa_lab", channel="online", why="web shop returns go to the lab"),
            Route(Category.QUALITY, "rnd"),
            Route(Category.PARTNER, "partner", partner="*"),
            Route(Category.PARTNER, "sales", partner=""),
            Route(Category.SPOILAGE, "warehouse", product_line="functional_fabric"),
        ),
        default="complaint_group",
        departments={"qa_lab"},
    ),
    escalation=EscalationLadder(
        levels=(
            Level("handler", Role.AGENT, "经办人"),
            Level("lead", Role.CS_SUPERVISOR),
            Level("head", Role.MANAGER),
        ),
        on_breach=2,
        urgent_to="head",
    ),
    promotion=IndividualAfter(3),
    warranty=WarrantyTable(
        lines={"smart_equipment": 18, "functional_fabric": 6},
        components={"motor": 24, "sensor": 6},
        promotions=[
            WarrantyPromotion("618", date(2025, 6, 1), date(2025, 6, 30), 6, lines={"smart_equipment"})
        ],
        contracts={
            "MA-1": MaintenanceAgreement("MA-1", months=36),
            "MA-2": MaintenanceAgreement("MA-2", until=date(2027, 12, 31)),
        },
        start="delivery",
    ),
    fees=FeeSchedule(
        items={
            **DEFAULT_FEE_ITEMS,
            "night_call": FeeItem("night_call", "travel", "trip", Money(100), Money("150.50"), "夜间上门"),
        },
        part_prices={"MTR-24": "980.00"},
        contracts={"MA-1": {"labour": "60", "MTR-24": "800"}, "MA-3": {}},
    ),
    settlement=CollectOnSiteBelow(Money("5000")),
)

SMALL = PolicySet(
    version="small",
    routing=DefaultRoute("aftersales"),
    promotion=SpecialOnRisk({RiskFlag.MEDIA, RiskFlag.LITIGATION}),
)

SETS = [PolicySet(), RICH, SMALL]


def roundtrip(policies: PolicySet | PolicyVersions) -> PolicySet | PolicyVersions:
    """Dump to data, through JSON text, and load again."""
    return load_policies(json.loads(json.dumps(dump_policies(policies))))


# --------------------------------------------------------------------------- the shipped file


def test_the_shipped_default_file_is_the_in_code_defaults() -> None:
    loaded = load_policies(DEFAULTS_FILE)
    assert loaded == PolicySet()
    for name in SECTIONS:
        assert getattr(loaded, name) == getattr(PolicySet(), name), name
    # the file on disk is exactly the dump of the defaults built in code: they cannot drift
    assert json.loads(DEFAULTS_FILE.read_text(encoding="utf-8")) == dump_policies(PolicySet())


def test_every_slot_of_the_policy_set_has_a_section() -> None:
    slots = [f.name for f in attrs.fields(PolicySet) if f.name != "version"]
    assert list(SECTIONS) == slots


def test_default_file_round_trip_gives_equal_policy_sets() -> None:
    first = load_policies(DEFAULTS_FILE)
    assert isinstance(first, PolicySet)
    data = dump_policies(first)
    second = load_policies(data)
    assert second == first == PolicySet()
    assert dump_policies(second) == data


@pytest.mark.parametrize("policies", SETS, ids=lambda p: p.version)
def test_round_trip_of_configured_policy_sets(policies: PolicySet) -> None:
    again = roundtrip(policies)
    assert again == policies
    assert dump_policies(again) == dump_policies(policies)


def test_an_empty_section_or_none_is_the_spec_default() -> None:
    assert load_policies({"version": "v"}) == PolicySet(version="v")
    every = {name: {} for name in SECTIONS}
    assert load_policies({"version": "v", **every}) == PolicySet(version="v")
    # a key left out of a section takes the SPEC default's value
    partial = load_policies({"version": "v", "routing": {"default": "aftersales"}})
    assert isinstance(partial, PolicySet)
    assert isinstance(partial.routing, RoutingTable)
    assert partial.routing.rows == PolicySet().routing.rows
    assert partial.routing.default == "aftersales"


# --------------------------------------------------------------------------- identical decisions


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # refusals are part of a policy's behaviour
        return ("error", type(exc).__name__, str(exc))


DAY = date(2026, 3, 2)
products = st.builds(
    Product,
    model=st.just("JX-9"),
    line=st.sampled_from(list(ProductLine)),
    purchase_date=st.dates(min_value=date(2023, 1, 1), max_value=DAY) | st.none(),
    delivery_date=st.dates(min_value=date(2023, 1, 1), max_value=DAY) | st.none(),
    components=st.lists(
        st.builds(
            Component,
            name=st.sampled_from(["motor", "sensor", "panel"]),
            warranty_months=st.none() | st.integers(0, 36),
        ),
        max_size=3,
        unique_by=lambda c: c.name,
    ),
    contract=st.sampled_from(["", "MA-1", "MA-2", "MA-9"]),
)
fee_lines = st.one_of(
    st.builds(
        FeeLine,
        kind=st.just("part"),
        item=st.sampled_from(["MTR-24", "SNS-12"]),
        component=st.sampled_from(["", "motor"]),
        qty=st.decimals(min_value=1, max_value=5, places=0),
        unit_cost=st.decimals(min_value=0, max_value=900, places=2),
        user_damage=st.booleans(),
    ),
    st.builds(
        FeeLine,
        kind=st.sampled_from(["labour", "travel"]),
        item=st.sampled_from(
            ["labour", "remote_support", "travel_same_city", "travel_other_city", "night_call"]
        ),
        qty=st.decimals(min_value=Decimal("0.5"), max_value=8, places=1),
        user_damage=st.booleans(),
    ),
)


def ask(ps: PolicySet, slot: str, request: Any) -> Any:
    if slot == "eligibility":
        return outcome(lambda: ps.returns.eligibility(request))
    if slot == "inspection":
        return outcome(lambda: ps.returns.inspection(request))
    if slot == "limits":
        role, what = request
        return outcome(lambda: ps.permissions.limit_for(role, what))
    if slot == "pauses":
        return outcome(lambda: ps.sla.pauses(*request))
    return outcome(lambda: getattr(ps, slot)(request))


requests = st.one_of(
    st.tuples(
        st.just("permissions"),
        st.builds(
            PermissionRequest,
            actor=st.builds(Actor, id=st.just("a-1"), role=st.sampled_from(list(Role))),
            kind=st.sampled_from(["consultation", "complaint", "repair", "return"]),
            trigger=st.sampled_from(["cancel", "refund", "review", "dispatch", "breach", "remind", "open"]),
        ),
    ),
    st.tuples(
        st.just("limits"),
        st.tuples(st.sampled_from(list(Role)), st.sampled_from(["compensation", "part", "other"])),
    ),
    st.tuples(
        st.just("sla"),
        st.sampled_from(sorted(default_sla().targets)).flatmap(
            lambda key: st.builds(
                SlaRequest,
                kind=st.just(key.split(".")[0]),
                stage=st.just(key.split(".")[1].split("@")[0]),
                priority=st.sampled_from(["normal", "high", "urgent"]),
            )
        ),
    ),
    st.tuples(
        st.just("pauses"),
        st.tuples(
            st.sampled_from(["repair", "return"]),
            st.sampled_from(["awaiting_consent", "awaiting_goods", "on_site"]),
            st.booleans(),
        ),
    ),
    st.tuples(
        st.just("routing"),
        st.builds(
            RoutingRequest,
            category=st.sampled_from(list(Category)),
            channel=st.sampled_from(list(Channel)),
            product_line=st.none() | st.sampled_from(list(ProductLine)),
            partner=st.sampled_from(["", "DEALER-7"]),
        ),
    ),
    st.tuples(
        st.just("escalation"),
        st.builds(
            EscalationRequest,
            level=st.integers(0, 4),
            cause=st.sampled_from(list(EscalationCause)),
            to=st.none() | st.sampled_from([lv.name for lv in DEFAULT_LADDER] + ["lead", "head"]),
        ),
    ),
    st.tuples(
        st.just("promotion"),
        st.builds(
            PromotionRequest,
            risk_flags=st.frozensets(st.sampled_from(list(RiskFlag))),
            rejections=st.integers(0, 5),
            promoted=st.frozensets(st.sampled_from(list(Promotion))),
        ),
    ),
    st.tuples(
        st.just("warranty"),
        products.flatmap(
            lambda p: st.builds(
                WarrantyRequest,
                product=st.just(p),
                component=st.none() | st.sampled_from(p.components) if p.components else st.none(),
                on=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 1, 1)),
            )
        ),
    ),
    st.tuples(
        st.just("fees"),
        st.builds(
            FeeRequest,
            line=fee_lines,
            in_warranty=st.booleans(),
            until=st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 1, 1)),
            contract=st.sampled_from(["", "MA-1", "MA-3", "MA-9"]),
        ),
    ),
    st.tuples(
        st.just("settlement"),
        st.builds(
            SettlementRequest,
            amount=st.decimals(min_value=0, max_value=9000, places=2).map(Money),
        ),
    ),
    st.tuples(
        st.just("eligibility"),
        st.builds(
            EligibilityRequest,
            line=st.sampled_from([p.value for p in ProductLine]),
            problem=st.sampled_from(list(Problem)),
            days=st.integers(0, 400),
        ),
    ),
    st.tuples(
        st.just("inspection"),
        st.builds(
            InspectionRequest,
            finding=st.sampled_from(list(Finding)),
            severity=st.none() | st.sampled_from(list(Severity)),
            eligible=st.frozensets(st.sampled_from(list(Remedy))),
            line=st.sampled_from([p.value for p in ProductLine]),
        ),
    ),
)

LOADED = {ps.version: roundtrip(ps) for ps in SETS}


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(SETS), request=requests)
def test_loaded_policies_decide_exactly_like_the_ones_built_in_code(
    which: PolicySet, request: tuple[str, Any]
) -> None:
    slot, req = request
    loaded = LOADED[which.version]
    assert isinstance(loaded, PolicySet)
    expected = ask(which, slot, req)
    assert ask(loaded, slot, req) == expected
    if which is SETS[0]:
        shipped = load_policies(DEFAULTS_FILE)
        assert isinstance(shipped, PolicySet)
        assert ask(shipped, slot, req) == expected


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(data=st.data(), which=st.sampled_from([SETS[0], RICH]))
def test_generated_cases_have_identical_histories_under_loaded_policies(
    data: st.DataObject, which: PolicySet
) -> None:
    kind = data.draw(st.sampled_from(["consultation", "complaint", "repair", "return"]))
    history = data.draw(histories(kind, max_size=8, policies=which))
    loaded = LOADED[which.version]
    assert isinstance(loaded, PolicySet)
    runs = []
    for ps in (which, loaded):
        desk = make_desk(policies=ps)
        case = history.run(desk)
        runs.append(desk.history(case.id))
    event(f"{kind}: {len(runs[0]) // 3 * 3}+ events")
    assert runs[0] == runs[1]


# --------------------------------------------------------------------------- files and formats

TOML = """
version = "acme-2026.2"

[warranty]
lines = { smart_equipment = 18, functional_fabric = 6, software = 12 }
components = { motor = 24 }
start = "delivery"

[[warranty.promotions]]
name = "618"
sold_from = 2025-06-01
sold_to = 2025-06-30
extra_months = 6
lines = ["smart_equipment"]

[warranty.contracts.MA-1]
until = 2027-12-31

[settlement]
threshold = "5000.00"

[fees.part_prices]
MTR-24 = 980.50

[sla.hours]
start = 08:30:00
end = "17:30"

[[routing.rules]]
category = "quality"
department = "production"
product_line = "functional_fabric"

[[routing.rules]]
category = "quality"
department = "rnd"
"""


def test_toml_and_json_files_load_the_same(tmp_path: Path) -> None:
    toml_file = tmp_path / "policies.toml"
    toml_file.write_text(TOML, encoding="utf-8")
    from_toml = load_policies(toml_file)
    assert isinstance(from_toml, PolicySet)
    assert from_toml.version == "acme-2026.2"
    assert from_toml.warranty == WarrantyTable(
        lines={"smart_equipment": 18, "functional_fabric": 6, "software": 12},
        components={"motor": 24},
        promotions=[
            WarrantyPromotion("618", date(2025, 6, 1), date(2025, 6, 30), 6, lines={"smart_equipment"})
        ],
        contracts={"MA-1": {"until": "2027-12-31"}},
        start="delivery",
    )
    assert from_toml.settlement == CollectOnSiteBelow(Money(5000))
    assert from_toml.fees.part_prices == {"MTR-24": Money("980.50")}
    assert from_toml.sla.hours == WorkingHours(time(8, 30), time(17, 30))
    assert len(from_toml.routing.rows) == 2
    assert from_toml.escalation == PolicySet().escalation  # sections left out: SPEC defaults
    json_file = write_policies(from_toml, tmp_path / "policies.json")
    assert load_policies(json_file) == from_toml
    assert load_policies(str(json_file)) == from_toml


def test_write_policies_writes_json_only(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match="JSON"):
        write_policies(PolicySet(), tmp_path / "p.toml")
    assert not (tmp_path / "p.toml").exists()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("p.yaml", "version: x\n", "unknown policy file type '.yaml'"),
        ("p", "{}", "unknown policy file type"),
        ("p.json", '{"version": "x",}', "invalid JSON at line 1, column 17"),
        ("p.json", "[1, 2]", "one object (JSON) or table (TOML) at the top"),
        ("p.json", '"x"', "one object"),
        ("p.json", "[" * 100_000, "cannot parse the file"),
        ("p.toml", "version = \n", "invalid TOML"),
        (
            "p.toml",
            "version = 12345678901234567890123456789012345678901234567890123",
            "Input should be a valid string",
        ),
        ("p.json", b"\xff\xfe{", "not UTF-8"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyConfigError) as err:
        load_policies(path)
    assert err.value.source == str(path)
    assert reason in str(err.value)
    assert str(err.value).startswith(f"{path}: ")


def test_a_missing_file_is_a_policy_config_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match="cannot read the file") as err:
        load_policies(tmp_path / "nope.json")
    assert err.value.source.endswith("nope.json")


def test_errors_name_file_key_path_and_reason(tmp_path: Path) -> None:
    data = dump_policies(PolicySet())
    data["routing"]["rules"][3]["department"] = "qa"
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PolicyConfigError) as err:
        load_policies(path)
    assert err.value.path == "routing.rules[3].department"
    assert err.value.source == str(path)
    assert str(err.value).startswith(f"{path}: routing.rules[3].department: unknown department 'qa'")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation of the default file: the key at ``path`` set to ``value`` (``_DELETE``:
    removed). ``path`` is dotted with ``[i]`` list indices; a mapping key holding a dot
    is written ``<key.with.dots>``."""
    keys: list[Any] = []
    for part in re.findall(r"<[^>]*>|\[\d+\]|[^.\[<]+", path):
        keys.append(part[1:-1] if part.startswith("<") else int(part[1:-1]) if part.startswith("[") else part)

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[keys[-1]]
        elif isinstance(target, list) and keys[-1] == len(target):
            target.append(value)
        else:
            target[keys[-1]] = value

    return mutate


_DELETE = object()
FABRIC_ONLY = [{"category": c.value, "department": "rnd"} for c in Category if c is not Category.OTHER]

INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "unknown department",
        _set("routing.rules[3].department", "qa"),
        "routing.rules[3].department",
        "unknown department 'qa'",
    ),
    (
        "typo in a key",
        _set("routing.rulez", []),
        "routing.rulez",
        "unknown key; expected one of: rules, default",
    ),
    ("top-level typo", _set("warrantee", {}), "warrantee", "unknown key"),
    (
        "shadowed rule",
        _set("routing.rules[9]", {"category": "quality", "department": "rnd"}),
        "routing.rules[9]",
        "shadowed",
    ),
    ("routing not total", _set("routing.default", None), "routing.default", "has no department"),
    (
        "unknown category",
        _set("routing.rules[0].category", "weather"),
        "routing.rules[0].category",
        "unknown value 'weather'",
    ),
    (
        "unknown channel",
        _set("routing.rules[0].channel", "fax"),
        "routing.rules[0].channel",
        "unknown value 'fax'",
    ),
    ("missing version", _set("version", _DELETE), "version", "required key missing"),
    ("blank version", _set("version", " "), "version", "must not be blank"),
    ("version not text", _set("version", 3), "version", "valid string"),
    (
        "unknown role",
        _set("permissions.permits[1].roles[0]", "boss"),
        "permissions.permits[1].roles[0]",
        "unknown value 'boss'",
    ),
    (
        "permit without trigger",
        _set("permissions.permits[0].trigger", _DELETE),
        "permissions.permits[0].trigger",
        "required key missing",
    ),
    (
        "limit as float",
        _set("permissions.amount_limits.part.manager", 12.5),
        "permissions.amount_limits['part']['manager']",
        "floats",
    ),
    (
        "negative limit",
        _set("permissions.amount_limits.part.manager", "-1"),
        "permissions.amount_limits['part']['manager']",
        "negative",
    ),
    (
        "limit for unknown role",
        _set("permissions.amount_limits.part.boss", "1"),
        "permissions.amount_limits['part']['boss']",
        "invalid key",
    ),
    ("sla key", _set("sla.targets.repair", {"workdays": 1}), "sla.targets['repair']", "'kind.stage'"),
    (
        "sla workdays text",
        _set("sla.targets.<repair.remote>.workdays", "2"),
        "sla.targets['repair.remote'].workdays",
        "valid integer",
    ),
    (
        "sla negative",
        _set("sla.targets.<repair.remote>.workdays", -1),
        "sla.targets['repair.remote'].workdays",
        "greater than or equal to 0",
    ),
    (
        "office hours reversed",
        _set("sla.hours", {"start": "18:00", "end": "08:30"}),
        "sla.hours.end",
        "must end after",
    ),
    (
        "office hours text",
        _set("sla.hours", {"start": "8h", "end": "17:00"}),
        "sla.hours.start",
        "time of day",
    ),
    (
        "pause flag",
        _set("sla.pause_states", {"repair.on_site": "yes"}),
        "sla.pause_states['repair.on_site']",
        "valid boolean",
    ),
    ("pause key", _set("sla.pause_states", {"on_site": True}), "sla.pause_states['on_site']", "'kind.state'"),
    (
        "ladder grows",
        _set("returns.ladders[0].rungs[2].remedies", ["refund"]),
        "returns.ladders[0].rungs[2]",
        "grow with time",
    ),
    (
        "ladder order",
        _set("returns.ladders[0].rungs[1].days", 3),
        "returns.ladders[0].rungs[1]",
        "strictly increase",
    ),
    ("no ladders", _set("returns.ladders", []), "returns.ladders", "at least one"),
    (
        "blank published text",
        _set("returns.ladders[0].rungs[0].zh", ""),
        "returns.ladders[0].rungs[0].zh",
        "at least 1 character",
    ),
    (
        "unknown remedy",
        _set("returns.ladders[0].rungs[0].remedies[0]", "cash"),
        "returns.ladders[0].rungs[0].remedies[0]",
        "unknown value 'cash'",
    ),
    (
        "quality defect by finding",
        _set("returns.finding_tables[0].findings.quality_defect", {"remedies": [], "zh": "x", "en": "x"}),
        "returns.finding_tables[0].findings['quality_defect']",
        "severity table",
    ),
    (
        "severity missing",
        _set("returns.finding_tables[0].severity.minor", _DELETE),
        "returns.finding_tables[0].severity",
        "no rule for minor",
    ),
    (
        "levels",
        _set("escalation.levels", [{"name": "only", "role": "agent"}]),
        "escalation.levels",
        "at least two",
    ),
    ("duplicate level", _set("escalation.levels[1].name", "handler"), "escalation.levels", "unique: handler"),
    ("urgent to", _set("escalation.urgent_to", "ceo"), "escalation.urgent_to", "'ceo' is not a level"),
    ("on breach", _set("escalation.on_breach", -1), "escalation.on_breach", "greater than or equal to 0"),
    (
        "promotion off",
        _set("promotion", {"special_on": None, "individual_after": None}),
        "promotion",
        "give special_on",
    ),
    (
        "promotion zero",
        _set("promotion.individual_after", 0),
        "promotion.individual_after",
        "greater than or equal to 1",
    ),
    (
        "risk flag",
        _set("promotion.special_on[1]", "rumour"),
        "promotion.special_on[1]",
        "unknown value 'rumour'",
    ),
    ("product line", _set("warranty.lines.toys", 6), "warranty.lines['toys']", "invalid key"),
    ("months bool", _set("warranty.lines.software", True), "warranty.lines['software']", "valid integer"),
    (
        "months too many",
        _set("warranty.components", {"motor": 601}),
        "warranty.components['motor']",
        "less than or equal to 600",
    ),
    (
        "contract terms",
        _set("warranty.contracts", {"MA-1": {"months": 3, "until": "2027-01-01"}}),
        "warranty.contracts['MA-1']",
        "exactly one",
    ),
    (
        "contract date",
        _set("warranty.contracts", {"MA-1": {"until": "31/12/2027"}}),
        "warranty.contracts['MA-1'].until",
        "YYYY-MM-DD",
    ),
    (
        "promotion dates",
        _set(
            "warranty.promotions",
            [{"name": "p", "sold_from": "2026-02-01", "sold_to": "2026-01-01", "extra_months": 1}],
        ),
        "warranty.promotions[0].sold_to",
        "before sold_from",
    ),
    ("warranty start", _set("warranty.start", "shipping"), "warranty.start", "unknown value 'shipping'"),
    (
        "fee item part",
        _set("fees.items.labour.kind", "part"),
        "fees.items['labour'].kind",
        "unknown value 'part'",
    ),
    (
        "fee without charge",
        _set("fees.items.labour.unit_charge", _DELETE),
        "fees.items['labour'].unit_charge",
        "required key missing",
    ),
    (
        "fee fen",
        _set("fees.items.labour.unit_charge", "1.005"),
        "fees.items['labour'].unit_charge",
        "two decimal places",
    ),
    ("fee nan", _set("fees.part_prices", {"MTR-24": "NaN"}), "fees.part_prices['MTR-24']", "finite"),
    (
        "contract price",
        _set("fees.contracts", {"MA-1": {"labour": "abc"}}),
        "fees.contracts['MA-1']['labour']",
        "not an amount",
    ),
    ("threshold zero", _set("settlement.threshold", "0"), "settlement.threshold", "more than zero"),
    ("threshold huge", _set("settlement.threshold", "1e40"), "settlement.threshold", "plausible"),
    ("section not a table", _set("fees", []), "fees", "valid dictionary"),
    ("naive effective", _set("effective", "2026-07-01T08:00:00"), "effective", "needs its offset"),
    ("bad effective", _set("effective", "soon"), "effective", "expected a date"),
]


@pytest.mark.parametrize(("label", "mutate", "path", "reason"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_configurations_name_the_key_path(
    label: str, mutate: Callable[[dict[str, Any]], None], path: str, reason: str
) -> None:
    data = dump_policies(PolicySet())
    mutate(data)
    with pytest.raises(PolicyConfigError) as err:
        load_policies(data)
    assert err.value.path == path, str(err.value)
    assert reason in err.value.reason, str(err.value)


def test_a_custom_policy_cannot_be_written_to_a_file() -> None:
    def vip(request: RoutingRequest, /) -> None:
        return None

    with pytest.raises(PolicyConfigError) as err:
        dump_policies(PolicySet(routing=vip | PolicySet().routing))
    assert err.value.path == "routing"
    assert "not a built-in policy" in err.value.reason

    class Mine(WarrantyTable):
        pass

    with pytest.raises(PolicyConfigError, match="warranty: Mine is not a built-in policy"):
        dump_policies(PolicySet(warranty=Mine()))
    with pytest.raises(PolicyConfigError, match=r"versions\[1\]\.promotion"):
        dump_policies(
            PolicyVersions(
                [
                    (datetime(2026, 1, 1, tzinfo=CHINA_TZ), PolicySet(version="a")),
                    (datetime(2026, 2, 1, tzinfo=CHINA_TZ), PolicySet(version="b", promotion=vip)),
                ]
            )
        )


# --------------------------------------------------------------------------- versions

VERSIONS_TOML = """
[routing]
default = "aftersales"

[[versions]]
version = "2026.1"
effective = 2026-01-01

[[versions]]
version = "2026.2"
effective = 2026-07-01T00:00:00+08:00

[versions.warranty]
lines = { smart_equipment = 18, functional_fabric = 6, software = 12 }

[[versions]]
version = "2026.3"
effective = "2026-10-01"

[versions.settlement]
threshold = "800"
"""


def test_a_file_with_versions_loads_into_policy_versions(tmp_path: Path) -> None:
    path = tmp_path / "versions.toml"
    path.write_text(VERSIONS_TOML, encoding="utf-8")
    loaded = load_policies(path)
    assert isinstance(loaded, PolicyVersions)
    (t1, v1), (t2, v2), (t3, v3) = loaded.versions
    assert [v.version for v in (v1, v2, v3)] == ["2026.1", "2026.2", "2026.3"]
    assert (t1, t2, t3) == (
        datetime(2026, 1, 1, tzinfo=CHINA_TZ),
        datetime(2026, 7, 1, tzinfo=CHINA_TZ),
        datetime(2026, 10, 1, tzinfo=CHINA_TZ),
    )
    # the top-level sections are the base of the first version; later ones inherit
    assert v1.routing.default == v2.routing.default == v3.routing.default == "aftersales"
    assert v1.warranty == PolicySet().warranty
    assert v2.warranty.lines[ProductLine.SMART_EQUIPMENT] == 18
    assert v3.warranty == v2.warranty
    assert v3.settlement == CollectOnSiteBelow(Money(800))
    assert v2.settlement == PolicySet().settlement
    assert roundtrip(loaded) == loaded
    data = dump_policies(loaded)
    assert [sorted(v) for v in data["versions"][1:]] == [
        ["effective", "version", "warranty"],
        ["effective", "settlement", "version"],
    ]


def test_a_single_version_with_an_effective_date() -> None:
    loaded = load_policies({"version": "v7", "effective": "2026-07-01"})
    assert loaded == PolicyVersions([(datetime(2026, 7, 1, tzinfo=CHINA_TZ), PolicySet(version="v7"))])
    # the same instant given in UTC (TOML and Python give date-times, JSON gives text)
    assert load_policies({"version": "v7", "effective": datetime(2026, 6, 30, 16, tzinfo=UTC)}) == loaded
    assert load_policies({"version": "v7", "effective": "2026-06-30T16:00:00Z"}) == loaded


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        ({"versions": []}, "versions", "at least one"),
        (
            {"version": "x", "versions": [{"version": "a", "effective": "2026-01-01"}]},
            "version",
            "own version",
        ),
        (
            {"effective": "2026-01-01", "versions": [{"version": "a", "effective": "2026-01-01"}]},
            "effective",
            "own effective",
        ),
        ({"versions": [{"version": "a"}]}, "versions[0].effective", "required key missing"),
        (
            {
                "versions": [
                    {"version": "a", "effective": "2026-03-01"},
                    {"version": "b", "effective": "2026-03-01"},
                ]
            },
            "versions[1].effective",
            "must be later",
        ),
        (
            {
                "versions": [
                    {"version": "a", "effective": "2026-01-01"},
                    {"version": "a", "effective": "2026-03-01"},
                ]
            },
            "versions[1].version",
            "already the name of versions[0]",
        ),
        (
            {
                "versions": [
                    {"version": "a", "effective": "2026-01-01"},
                    {"version": "b", "effective": "2026-03-01", "routing": {"rules": [], "default": "qa"}},
                ]
            },
            "versions[1].routing.default",
            "unknown department 'qa'",
        ),
        (
            {"versions": [{"version": "a", "effective": "2026-01-01", "fees": {"part_prices": {"X": 1.5}}}]},
            "versions[0].fees.part_prices['X']",
            "floats",
        ),
    ],
)
def test_invalid_versions(data: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(PolicyConfigError) as err:
        load_policies(data)
    assert err.value.path == path, str(err.value)
    assert reason in err.value.reason


def test_a_desk_decides_each_case_under_the_version_in_force(tmp_path: Path) -> None:
    """A later version never changes decisions already recorded."""
    path = tmp_path / "versions.toml"
    path.write_text(VERSIONS_TOML, encoding="utf-8")
    versions = load_policies(path)
    assert isinstance(versions, PolicyVersions)
    clock = FixedClock(datetime(2026, 6, 30, 9, tzinfo=CHINA_TZ))
    desk = Desk(clock=clock, policies=versions)
    product = {"model": "JX-9", "line": "smart_equipment", "purchase_date": date(2025, 3, 1)}
    intake = {
        "customer": {"id": "C1", "name": "华纺"},
        "channel": "phone",
        "product": product,
        "fault": "E-21",
    }
    agent = Actor("agent-1", Role.AGENT)
    early = desk.open("repair", actor=agent, **intake)
    clock.advance(days=2)
    late = desk.open("repair", actor=agent, **intake)
    assert early.fact("warranty")["product"]["in_warranty"] is False  # 12 months under 2026.1
    assert late.fact("warranty")["product"]["in_warranty"] is True  # 18 months under 2026.2
    assert {d.version for d in early.decisions} == {"2026.1"}
    assert {d.version for d in late.decisions} == {"2026.2"}
    assert desk.get(early.id) == early


# --------------------------------------------------------------------------- schema and import


def test_the_json_schema_describes_every_section_with_its_defaults() -> None:
    schema = policy_schema()
    json.dumps(schema)  # JSON-serialisable
    assert set(SECTIONS) | {"version", "effective", "versions"} == set(schema["properties"])
    defs = schema["$defs"]
    assert defs["RoutingSection"]["additionalProperties"] is False
    assert defs["RoutingSection"]["properties"]["default"]["default"] == "complaint_group"
    assert defs["WarrantySection"]["properties"]["lines"]["default"] == {
        "smart_equipment": 12,
        "functional_fabric": 6,
        "software": 12,
    }
    assert defs["SettlementSection"]["properties"]["threshold"]["default"] == "2000.00"
    assert "pattern" in defs["FeeItemModel"]["properties"]["unit_cost"]
    assert defs["SettlementSection"]["properties"]["threshold"]["description"]


def test_loading_a_file_never_runs_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(PolicyConfigError):
        load_policies({"version": "x", "settlement": {"threshold": payload}})
    with pytest.raises(PolicyConfigError):
        load_policies({"version": "x", "routing": {"rules": [{"category": payload, "department": "rnd"}]}})
    assert not marker.exists()


def test_the_config_module_loads_lazily() -> None:
    code = (
        "import sys, aftersales_core.policies as p\n"
        "before = 'aftersales_core.policies.config' in sys.modules\n"
        "p.load_policies\n"
        "print(before, 'aftersales_core.policies.config' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    import aftersales_core.policies as policies

    names = ["dump_policies", "load_policies", "policy_schema", "write_policies"]
    assert all(n in policies.__all__ for n in names)
    with pytest.raises(AttributeError):
        policies.no_such_name  # noqa: B018

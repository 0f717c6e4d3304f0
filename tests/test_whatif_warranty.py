"""What-if acceptance (issue 7): the smart-equipment warranty extended from 12 to 18 months.

Repair histories are generated (products bought 11 to 20 months before the repair,
parts and labour used, quotes consented where chargeable), run on a desk, then
replayed with ``Desk.what_if`` under a policy file giving smart textile equipment
18 months. A brute-force recomputation — which lines are within warranty under
12 and under 18 months, and what each repair would charge — must agree with the
report exactly: the repairs that become free, the fee lines that change, the
money deltas of the repair facts ``charge``, ``cost``, ``collected`` and
``invoiced``, and the quotes the new rules refuse as unnecessary.
"""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Money, Role, RuleViolation
from aftersales_core.policies import PolicySet, load_policies

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
TODAY = NOW.date()
AGENT = Actor("agent-1", Role.AGENT, "王丽")
SUP = Actor("sup-1", Role.SERVICE_SUPERVISOR, "陈杰")
TECH = Actor("tech-1", Role.TECHNICIAN, "李伟")
CUSTOMER = {"id": "C-17", "name": "华纺织造", "phone": "0575-8888-0001", "city": "绍兴"}
LABOUR_COST, LABOUR_CHARGE = Decimal(80), Decimal(120)  # the default fee schedule's labour rate
ON_SITE_BELOW = Decimal(2000)  # the default settlement threshold

WARRANTY_18 = {
    "version": "wty-18",
    "warranty": {"lines": {"smart_equipment": 18, "functional_fabric": 6, "software": 12}},
}


# --------------------------------------------------------------------------- generated repairs


@attrs.frozen
class LineSpec:
    kind: str  # "part" or "labour"
    component: str  # "" is the product as a whole
    qty: Decimal
    unit_cost: Decimal  # parts only
    user_damage: bool


@attrs.frozen
class RepairSpec:
    line: str  # product line
    purchased: date
    components: tuple[tuple[str, int | None], ...]  # name, own warranty months
    lines: tuple[LineSpec, ...]


def months_before(day: date, months: int) -> date:
    """Brute force's own calendar arithmetic: ``day`` moved back by whole months."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


EARLIEST = months_before(TODAY, 20)
LATEST = months_before(TODAY, 11)
#: purchase days right at the 12 and 18 month boundaries (the last covered day and the next)
EDGES = [months_before(TODAY, m) + timedelta(days=d) for m in (12, 18) for d in (-1, 0, 1)]


@st.composite
def repair_specs(draw: st.DrawFn) -> RepairSpec:
    purchased = draw(st.dates(min_value=EARLIEST, max_value=LATEST) | st.sampled_from(EDGES))
    components = tuple(
        (f"c{i}", draw(st.sampled_from([None, None, None, 6, 24]))) for i in range(draw(st.integers(0, 3)))
    )
    names = ["", *(name for name, _ in components)]
    lines = tuple(
        LineSpec(
            kind=draw(st.sampled_from(["part", "part", "labour"])),
            component=draw(st.sampled_from(names)),
            qty=draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal("1.5")])),
            unit_cost=draw(st.decimals(min_value=1, max_value=150, places=2)),
            user_damage=draw(st.integers(0, 4)) == 0,
        )
        for _ in range(draw(st.integers(1, 4)))
    )
    line = draw(
        st.sampled_from(["smart_equipment", "smart_equipment", "smart_equipment", "functional_fabric"])
    )
    return RepairSpec(line, purchased, components, lines)


def seeded_specs(seed: int, count: int) -> list[RepairSpec]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        purchased = (
            rng.choice(EDGES)
            if rng.random() < 0.2
            else EARLIEST + timedelta(days=rng.randint(0, (LATEST - EARLIEST).days))
        )
        components = tuple((f"c{i}", rng.choice([None, None, None, 6, 24])) for i in range(rng.randint(0, 3)))
        names = ["", *(name for name, _ in components)]
        lines = tuple(
            LineSpec(
                kind=rng.choice(["part", "part", "labour"]),
                component=rng.choice(names),
                qty=rng.choice([Decimal(1), Decimal(2), Decimal(3), Decimal("1.5")]),
                unit_cost=Decimal(rng.randint(100, 15000)) / 100,
                user_damage=rng.random() < 0.15,
            )
            for _ in range(rng.randint(1, 4))
        )
        line = rng.choice(["smart_equipment", "smart_equipment", "smart_equipment", "functional_fabric"])
        out.append(RepairSpec(line, purchased, components, lines))
    return out


def fee_line(i: int, spec: LineSpec) -> dict[str, Any]:
    if spec.kind == "part":
        return {
            "kind": "part",
            "item": f"P-{i}",
            "component": spec.component,
            "qty": spec.qty,
            "unit_cost": spec.unit_cost,
            "user_damage": spec.user_damage,
        }
    return {
        "kind": "labour",
        "item": "labour",
        "component": spec.component,
        "qty": spec.qty,
        "user_damage": spec.user_damage,
    }


def run_repair(desk: Desk, clock: FixedClock, spec: RepairSpec) -> tuple[str, list[int]]:
    """One repair as a service desk records it; returns its id and the seq of each line's event."""
    product = {
        "model": "JX-9" if spec.line == "smart_equipment" else "FAB-3",
        "line": spec.line,
        "purchase_date": spec.purchased,
        "components": [{"name": n, "warranty_months": m} for n, m in spec.components],
    }
    case = desk.open(
        "repair",
        actor=AGENT,
        customer=CUSTOMER,
        channel="phone",
        product=product,
        fault="E-21",
        service_city="绍兴",
    )
    cid = case.id
    desk.fire(cid, "schedule_visit", actor=AGENT)
    desk.fire(cid, "dispatch", actor=SUP, technician=TECH.id)
    clock.advance(hours=2)
    desk.fire(cid, "arrive", actor=TECH, badge="TECH-0042")
    lines = [fee_line(i, s) for i, s in enumerate(spec.lines)]
    try:
        desk.fire(cid, "quote", actor=TECH, lines=lines)
        refused = ""
    except RuleViolation as exc:  # every line is free: nothing to quote
        refused = exc.rule
    if refused:
        assert refused == "REP-7"
    else:
        clock.advance(minutes=30)
        desk.fire(cid, "consent", actor=AGENT, quote_no="Q1", signed_by="张经理")
    seqs = []
    for i, s in enumerate(spec.lines):
        clock.advance(minutes=10)
        if s.kind == "part":
            data = {k: v for k, v in lines[i].items() if k not in ("kind", "item")}
            case = desk.fire(cid, "use_part", actor=TECH, part=f"P-{i}", certificate=f"CERT-{i}", **data)
        else:
            data = {k: v for k, v in lines[i].items() if k != "kind"}
            case = desk.fire(cid, "record_work", actor=TECH, **data)
        seqs.append(case.version)
    desk.fire(cid, "complete", actor=TECH, test_result="ok", explanation="care", report="fixed")
    case = desk.fire(cid, "sign_off", actor=AGENT, signed_by="张经理")
    if case.fact("charge"):
        desk.fire(cid, "settle", actor=AGENT, reference="SK-1")
    clock.advance(hours=1)
    assert desk.fire(cid, "review", actor=SUP, time_rating=5, quality_rating=5).state == "closed"
    return cid, seqs


# --------------------------------------------------------------------------- brute force


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@attrs.frozen
class Expected:
    charge_before: Decimal
    charge_after: Decimal
    cost: Decimal
    flipped: frozenset[int]  # lines that turn free
    warranty_changed: frozenset[str]  # warranty decisions whose result moves

    def settled(self, charge: Decimal) -> tuple[Decimal, Decimal]:
        """(collected, invoiced) for a charge (REP-11 default threshold)."""
        if not charge:
            return Decimal(0), Decimal(0)
        return (charge, Decimal(0)) if charge < ON_SITE_BELOW else (Decimal(0), charge)


def brute_force(spec: RepairSpec) -> Expected:
    own = dict(spec.components)

    def covered(component: str, line_months: int) -> bool:
        months = own.get(component) if component else None
        months = line_months if months is None else months
        last_day = months_after(spec.purchased, months) - timedelta(days=1)
        return last_day >= TODAY

    before_months = {"smart_equipment": 12, "functional_fabric": 6}[spec.line]
    after_months = {"smart_equipment": 18, "functional_fabric": 6}[spec.line]
    charge_before = charge_after = cost = Decimal(0)
    flipped = set()
    for i, line in enumerate(spec.lines):
        unit_cost, unit_charge = (
            (line.unit_cost, line.unit_cost) if line.kind == "part" else (LABOUR_COST, LABOUR_CHARGE)
        )
        cost += fen(unit_cost * line.qty)
        free_before = covered(line.component, before_months) and not line.user_damage
        free_after = covered(line.component, after_months) and not line.user_damage
        if not free_before:
            charge_before += fen(unit_charge * line.qty)
        if not free_after:
            charge_after += fen(unit_charge * line.qty)
        if free_after != free_before:
            flipped.add(i)
    moved = before_months != after_months
    warranty_changed = frozenset(
        name for name in ("product", *own) if moved and (name == "product" or own[name] is None)
    )
    return Expected(charge_before, charge_after, cost, frozenset(flipped), warranty_changed)


# --------------------------------------------------------------------------- the check


def check_what_if(specs: list[RepairSpec]) -> dict[str, int]:
    clock = FixedClock(NOW)
    desk = Desk(clock=clock)
    runs = []
    for i, spec in enumerate(specs):
        clock.set(NOW + timedelta(minutes=i))  # every repair is reported today
        runs.append((spec, *run_repair(desk, clock, spec)))
    recorded = {cid: desk.history(cid) for _, cid, _ in runs}

    policies = load_policies(WARRANTY_18)
    assert isinstance(policies, PolicySet)
    report = desk.what_if(policies)

    assert {cid: desk.history(cid) for _, cid, _ in runs} == recorded  # nothing written
    by_id = {c.case_id: c for c in report.cases}
    assert set(by_id) == set(recorded)
    total = Decimal(0)
    tally = {"free": 0, "cheaper": 0, "unchanged": 0, "changed": 0}
    for spec, cid, seqs in runs:
        exp = brute_force(spec)
        diff = by_id[cid]
        case = desk.get(cid)
        # the recorded history agrees with the brute force under 12 months
        assert case.fact("charge") == Money(exp.charge_before)
        assert case.fact("cost") == Money(exp.cost)
        # money deltas
        assert diff.delta("charge") == Money(exp.charge_after - exp.charge_before), cid
        assert diff.delta("cost") == Money(0), cid
        (col_b, inv_b), (col_a, inv_a) = exp.settled(exp.charge_before), exp.settled(exp.charge_after)
        assert diff.delta("collected") == Money(col_a - col_b), cid
        assert diff.delta("invoiced") == Money(inv_a - inv_b), cid
        total += exp.charge_after - exp.charge_before
        # the fee lines that change, and how
        fee_diffs = [d for d in diff.decisions if d.policy == "fees" and d.trigger != "quote"]
        assert {d.seq for d in fee_diffs} == {seqs[i] for i in exp.flipped}, cid
        for d in fee_diffs:
            assert (d.before["basis"], d.after["basis"]) == ("cost_fee", "free")
        # the warranty decisions that move (smart equipment on its product-line period)
        warranty = [d for d in diff.decisions if d.policy == "warranty"]
        assert {d.after["component"] for d in warranty} == exp.warranty_changed, cid
        assert all(d.seq == 1 and d.trigger == "open" for d in warranty)
        # a repair that becomes free: its quote is refused as unnecessary (REP-7)
        becomes_free = exp.charge_before > 0 and exp.charge_after == 0
        if becomes_free:
            assert diff.refused is not None
            assert (diff.refused.trigger, diff.refused.rule) == ("quote", "REP-7"), diff.refused
        else:
            assert diff.refused is None, diff.refused
        assert diff.state_before == diff.state_after == "closed"
        assert diff.changed == bool(exp.warranty_changed), cid
        tally["free" if becomes_free else "cheaper" if exp.flipped else "unchanged"] += 1
        tally["changed"] += diff.changed
    assert report.money_delta("charge") == Money(total)
    assert report.money_delta("cost") == Money(0)
    becomes_free_ids = {
        c.case_id for c in report.cases if "charge" in c.money and c.money["charge"][1] == Money(0)
    }
    assert becomes_free_ids == {c.case_id for c in report.refused}
    assert report.policies_after == "wty-18"
    return tally


@settings(max_examples=25, deadline=None)
@given(specs=st.lists(repair_specs(), min_size=1, max_size=5))
def test_what_if_18_months_matches_brute_force(specs: list[RepairSpec]) -> None:
    check_what_if(specs)


def test_what_if_18_months_over_a_seeded_book_of_repairs() -> None:
    tally = check_what_if(seeded_specs(seed=7, count=60))
    # the book has repairs of every kind: some become free, some cheaper, some unchanged
    assert tally["free"] >= 5
    assert tally["cheaper"] >= 3
    assert tally["unchanged"] >= 5
    assert 0 < tally["changed"] < 60

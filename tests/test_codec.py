"""The JSON codec of events and snapshots: exact round trips, replayable histories (G-2, FIN-1)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import CHINA_TZ, Actor, Decision, Desk, FixedClock, Money, Role, codec, replay
from aftersales_core._frozen import FrozenDict, freeze
from aftersales_core.engine import apply_event
from aftersales_core.events import Event
from aftersales_core.model import Case, Channel, Component, Customer, Deadline, Product, ProductLine
from aftersales_core.testing.strategies import actors, amounts, customers

SETTINGS = settings(max_examples=60, deadline=None)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)

# ---------------------------------------------------------------------------- strategies

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.one_of(offsets, st.just(CHINA_TZ)),
)
keys = st.text(min_size=1, max_size=8).filter(lambda k: k != codec.TAG)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    amounts(min_value=-1000, max_value=1000),
    st.dates(),
    aware,
    st.datetimes(max_value=datetime(2100, 1, 1)),  # naive ones too
    st.sampled_from(list(Role) + list(Channel) + list(ProductLine)),
)
deadlines = st.builds(
    Deadline,
    name=st.sampled_from(["response", "answer", "repair"]),
    due=aware,
    rule=st.sampled_from(["CON-1", "SLA-2"]),
    started=aware,
    workdays=st.integers(min_value=0, max_value=30),
    calendar=st.just("CN"),
    provisional=st.booleans(),
    paused_since=st.none() | aware,
)
products = st.builds(
    Product,
    model=st.text(min_size=1, max_size=8),
    line=st.sampled_from(list(ProductLine)),
    purchase_date=st.none() | st.dates(),
    components=st.lists(
        st.builds(Component, name=st.text(min_size=1, max_size=6), value=st.none() | amounts()), max_size=2
    ),
)
values = st.recursive(
    scalars | actors() | customers() | deadlines | products,
    lambda inner: st.lists(inner, max_size=3).map(tuple) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)
decisions = st.builds(
    Decision,
    policy=st.sampled_from(["sla", "routing", "warranty"]),
    rule=st.sampled_from(["CON-1", "REP-2", "G-7"]),
    result=values,
    reason=st.text(max_size=20),
    version=st.text(max_size=5),
    source=st.text(max_size=10),
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same shape: Decimal is not Money, a tuple not a list, offsets kept."""
    if isinstance(a, StrEnum):
        return b == a.value and type(b) in (str, type(a))
    if isinstance(a, datetime):
        return type(b) is datetime and a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, dict):
        return isinstance(b, FrozenDict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return type(b) is tuple and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, frozenset):
        return type(b) is frozenset and a == b
    return type(a) is type(b) and a == b and (not isinstance(a, Decimal) or str(a) == str(b))


# ---------------------------------------------------------------------------- properties


@SETTINGS
@given(values)
def test_any_value_round_trips_exactly(value: Any) -> None:
    value = freeze(value)
    assert same(value, codec.loads(codec.dumps(value)))


@SETTINGS
@given(
    changes=st.lists(st.dictionaries(keys, values, max_size=3), min_size=1, max_size=4),
    flags=st.lists(st.frozensets(st.sampled_from(["special", "breached", "faq"])), min_size=4, max_size=4),
    made=st.lists(st.lists(decisions, max_size=2), min_size=4, max_size=4),
    timers=st.lists(
        st.dictionaries(st.sampled_from(["response", "answer"]), st.none() | deadlines), min_size=4
    ),
    actor=actors(),
)
def test_histories_round_trip_and_replay_to_the_decoded_snapshot(
    changes: list[dict[str, Any]],
    flags: list[frozenset[str]],
    made: list[list[Decision]],
    timers: list[dict[str, Deadline | None]],
    actor: Actor,
) -> None:
    desk = Desk(clock=FixedClock(MONDAY))
    case = desk.open(
        "consultation", actor=actor, customer={"id": "C1", "name": "华纺"}, channel="phone", question="q"
    )
    history = list(desk.history(case.id))
    for i, facts in enumerate(changes):
        event = Event(
            seq=case.version + 1,
            case_id=case.id,
            kind=case.kind,
            trigger="note",
            at=MONDAY + timedelta(hours=i),
            actor=actor,
            source=case.state,
            dest=case.state,
            data={"n": i},
            decisions=tuple(made[i]),
            changes=facts,
            flags_on=flags[i],
            flags_off=flags[i - 1] - flags[i],
            deadlines={k: (attrs.evolve(d, name=k) if d else None) for k, d in timers[i].items()},
            key=f"k{i}" if i % 2 else None,
        )
        history.append(event)
        case = apply_event(case, event)
    decoded = [codec.loads_event(codec.dumps_event(e)) for e in history]
    assert decoded == history
    # the fast path writes exactly what the general encoder writes
    assert [codec.dumps_event(e) for e in history] == [codec.dumps(e) for e in history]
    assert codec.dumps_case(case) == codec.dumps(case)
    snapshot = codec.loads_case(codec.dumps_case(case))
    assert snapshot == case
    assert replay(decoded) == snapshot
    assert codec.dumps_case(snapshot) == codec.dumps_case(case)  # stable text


# ---------------------------------------------------------------------------- examples


def test_money_is_exact_text_and_no_float_is_written() -> None:
    text = codec.dumps({"fee": Money("12.3"), "ratio": Decimal("0.125"), "n": 3})
    assert text == '{"fee":{"$t":"Money","v":"12.30"},"ratio":{"$t":"Decimal","v":"0.125"},"n":3}'
    json.loads(text, parse_float=lambda s: pytest.fail(f"float written: {s}"))


def test_the_china_zone_comes_back_by_name() -> None:
    back = codec.loads(codec.dumps(MONDAY))
    assert back.tzinfo is CHINA_TZ
    other = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert codec.loads(codec.dumps(other)).utcoffset() == timedelta(hours=-5)


def test_a_real_desk_history_round_trips() -> None:
    desk = Desk(clock=FixedClock(MONDAY))
    agent = Actor("a1", Role.AGENT, "王丽")
    case = desk.open(
        "consultation",
        actor=agent,
        customer={"id": "C1", "name": "华纺织造", "phone": "0575-8888-0001"},
        channel="email",
        question="张力传感器如何校准?",
        product={
            "model": "TX-900",
            "line": "smart_equipment",
            "purchase_date": date(2025, 6, 1),
            "components": [{"name": "sensor", "warranty_months": 24, "value": "860.50"}],
        },
    )
    desk.fire(case.id, "refer", actor=agent, to="zhao.gang")
    case = desk.fire(
        case.id, "answer", actor=agent, answer="菜单 > 传感器 > 校准", faq_candidate=True, key="m-1"
    )
    text = codec.dumps_case(case)
    assert "张力传感器" in text  # readable, not \\u-escaped
    assert codec.loads_case(text) == case
    assert [codec.loads_event(codec.dumps_event(e)) for e in desk.history(case.id)] == list(
        desk.history(case.id)
    )
    assert codec.loads_case(text.encode()) == case


def test_unknown_and_unstorable_values_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot store a value of type object"):
        codec.dumps({"x": object()})
    with pytest.raises(ValueError, match="unknown codec tag 'Spaceship'"):
        codec.loads('{"$t":"Spaceship","v":1}')
    with pytest.raises(ValueError, match="expected an encoded Event, got Customer"):
        codec.loads_event(codec.dumps(Customer("C1")))
    with pytest.raises(ValueError, match="Out of range float"):
        codec.dumps(float("nan"))


@attrs.frozen
class _Quote:
    amount: Money
    valid_until: date
    _note: str = ""


def test_register_adds_an_attrs_value_type() -> None:
    codec.register(_Quote, "TestQuote")
    quote = _Quote(Money("99.90"), date(2026, 4, 1), note="incl. VAT")
    assert codec.loads(codec.dumps({"q": quote}))["q"] == quote
    codec.register(_Quote, "TestQuote")  # registering again is harmless
    with pytest.raises(ValueError, match="already used by Actor"):
        codec.register(_Quote, "Actor")
    with pytest.raises(TypeError, match="not an attrs class"):
        codec.register(dict)


def test_case_and_event_types_are_tagged() -> None:
    desk = Desk(clock=FixedClock(MONDAY))
    case = desk.open(
        "consultation", actor=Actor("a1", Role.AGENT), customer={"id": "C"}, channel="phone", question="q"
    )
    assert json.loads(codec.dumps_case(case))["$t"] == "Case"
    assert json.loads(codec.dumps_event(desk.history(case.id)[0]))["$t"] == "Event"
    assert isinstance(codec.loads_case(codec.dumps_case(case)), Case)

"""The in-memory store's deadline index against a plain scan of the stored cases.

The index is a sorted list updated by bisection, with entries replaced in place
when only the state changes; whatever order deadlines are started, moved, paused,
cleared or restarted with the same instant, ``due`` must list exactly what a scan
of the current snapshots lists (with the current state).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales_core import CHINA_TZ, Actor, Role
from aftersales_core.events import Event
from aftersales_core.model import Case, Customer, Deadline
from aftersales_core.store import MemoryStore
from aftersales_core.store.memory import _SortedIndex

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
AGENT = Actor("agent-1", Role.AGENT)
NAMES = ("response", "resolution")


def _deadline(name: str, minutes: int, paused: bool, rule: str = "SLA-2") -> Deadline:
    due = T0 + timedelta(minutes=minutes)
    return Deadline(name, due, rule, T0, 1, "test", False, T0 if paused else None)


def _scan(store: MemoryStore, before: datetime) -> list[tuple[datetime, str, str, str, str]]:
    out = []
    for cid in store.case_ids():
        case = store.load(cid)
        for d in case.deadlines.values():
            if d.paused_since is None and d.due < before:
                out.append((d.due, cid, d.name, case.state, d.rule))
    return sorted(out)


#: (case number, deadline name, minutes or None to clear, paused, new state)
_steps = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.sampled_from(NAMES),
        st.one_of(st.none(), st.integers(0, 6)),  # few instants: restarts at the same due happen
        st.booleans(),
        st.sampled_from(("a", "b")),
    ),
    max_size=120,
)


class _TinyBlocks(_SortedIndex):
    """Blocks of at most four entries: the examples split and empty blocks often."""

    LOAD = 2


@settings(max_examples=150, deadline=None)
@given(steps=_steps, probes=st.lists(st.integers(-1, 8), min_size=1, max_size=4))
def test_due_matches_a_scan_after_any_updates(
    steps: list[tuple[int, str, int | None, bool, str]], probes: list[int]
) -> None:
    store = MemoryStore()
    store._index = _TinyBlocks()
    cases: dict[int, Case] = {}
    for n, name, minutes, paused, state in steps:
        case = cases.get(n)
        if case is None:
            case = Case(f"C-{n}", "complaint", state, 0, T0, T0, Customer("X"), None, {})
        deadlines = dict(case.deadlines)
        if minutes is None:
            deadlines.pop(name, None)
        else:
            # the rule differs from step to step: a deadline restarted at the same instant
            deadlines[name] = _deadline(name, minutes, paused, rule=f"R-{len(cases)}-{state}")
        new = attrs.evolve(case, version=case.version + 1, state=state, deadlines=deadlines)
        event = Event(new.version, new.id, new.kind, "note", T0, AGENT, case.state, state)
        store.append(new, (event,), expected_version=case.version)
        cases[n] = new
        for probe in probes:
            before = T0 + timedelta(minutes=probe)
            listed = [
                (i.due, i.case_id, i.deadline.name, i.state, i.deadline.rule) for i in store.due(before)
            ]
            assert listed == _scan(store, before)


def test_a_moved_deadline_leaves_one_entry() -> None:
    store = MemoryStore()
    case = Case("C-1", "complaint", "a", 0, T0, T0, Customer("X"), None, {})
    for i in range(1, 2_000):
        new = attrs.evolve(case, version=i, deadlines={"response": _deadline("response", i, False)})
        store.append(
            new, (Event(i, "C-1", "complaint", "note", T0, AGENT, "a", "a"),), expected_version=i - 1
        )
        case = new
    assert len(store._index) == 1
    assert [i.deadline.due for i in store.due(T0 + timedelta(days=30))] == [case.deadlines["response"].due]

"""The store port's contract (DESIGN §5), as tests to run on your own adapter.

Subclass :class:`StoreContract` in your test suite and say how to make a store;
pytest (or any runner that collects ``test_*`` methods of ``Test*`` classes) runs
every check on it. The library applies the same class to its in-memory store and
to :class:`~aftersales_core.store.sql.SqlStore` on SQLite and PostgreSQL::

    from aftersales_core.testing import StoreContract

    class TestErpStore(StoreContract):
        def make_store(self):
            return ErpStore(test_database())

        def reopen(self, store):           # optional: a second handle on the same data
            return ErpStore(store.database)

The checks build their data through a real :class:`~aftersales_core.desk.Desk`
with a fixed clock (consultations), plus a few hand-made events where a workflow
cannot reach a situation (a paused deadline, a second case kind). They use plain
``assert`` and import neither pytest nor hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from aftersales_core.clock import CHINA_TZ, FixedClock
from aftersales_core.desk import Desk
from aftersales_core.engine import apply_event, replay
from aftersales_core.errors import CaseNotFound, ConcurrencyConflict
from aftersales_core.events import Event
from aftersales_core.model import Actor, Case, Customer, Role
from aftersales_core.money import Money
from aftersales_core.store import DueItem, KeyRecord, Store

__all__ = ["StoreContract"]

_AGENT = Actor("agent-1", Role.AGENT, "王丽")
_SUPERVISOR = Actor("sup-1", Role.CS_SUPERVISOR, "陈杰")
#: Monday 2 March 2026, 09:00 in China: an ordinary working week follows
_MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)


def _intake(customer: str = "C-CONTRACT") -> dict[str, Any]:
    return {
        "customer": {"id": customer, "name": "华纺织造", "phone": "0575-8888-0001"},
        "channel": "phone",
        "question": "Does the store keep its contract?",
        "product": {
            "model": "TX-900",
            "line": "smart_equipment",
            "serial": "SN-0042",
            "purchase_date": "2025-06-01",
            "components": [{"name": "tension sensor", "warranty_months": 24, "value": "860.50"}],
        },
    }


def _note(case: Case, at: datetime, **changes: Any) -> Event:
    """A hand-made event that records facts and keeps the state (for direct appends)."""
    return Event(
        seq=case.version + 1,
        case_id=case.id,
        kind=case.kind,
        trigger="note",
        at=at,
        actor=_AGENT,
        source=case.state,
        dest=case.state,
        changes=changes,
    )


E = TypeVar("E", bound=BaseException)


def _raises(kind: type[E], call: Callable[..., object], *args: Any, **kwargs: Any) -> E:
    """The ``kind`` error that ``call(*args, **kwargs)`` raises (AssertionError if none)."""
    try:
        call(*args, **kwargs)
    except kind as err:
        return err
    raise AssertionError(f"{getattr(call, '__name__', call)!s} did not raise {kind.__name__}")


class StoreContract:
    """What every :class:`~aftersales_core.store.Store` must do.

    Implement :meth:`make_store` (a new, empty store per call). Override
    :meth:`reopen` if your store persists, so the checks also read through a
    second handle; override :meth:`dispose` if a store needs more than its
    ``close()`` (called when it has one).
    """

    # ------------------------------------------------------------------ hooks
    def make_store(self) -> Store:
        """A new, empty store."""
        raise NotImplementedError("implement make_store() in your StoreContract subclass")

    def reopen(self, store: Store) -> Store:
        """Another handle on ``store``'s data (default: the same object)."""
        return store

    def dispose(self, store: Store) -> None:
        """Release a store made by :meth:`make_store` or :meth:`reopen`."""
        close = getattr(store, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def fresh(self) -> Iterator[Store]:
        """A store from :meth:`make_store`, disposed of afterwards."""
        store = self.make_store()
        try:
            yield store
        finally:
            self.dispose(store)

    @contextmanager
    def again(self, store: Store) -> Iterator[Store]:
        """A second handle on ``store`` from :meth:`reopen`, disposed of afterwards."""
        other = self.reopen(store)
        try:
            yield other
        finally:
            if other is not store:
                self.dispose(other)

    def desk(self, store: Store, at: datetime = _MONDAY) -> Desk:
        """A desk with the built-in policies on ``store``, its clock standing at ``at``."""
        return Desk(store=store, clock=FixedClock(at))

    def assert_unchanged(self, store: Store, case: Case, due_before: datetime) -> list[DueItem]:
        """``case`` is stored exactly as given, with a history that replays to it."""
        assert store.load(case.id) == case
        history = list(store.events(case.id))
        assert [e.seq for e in history] == list(range(1, case.version + 1))
        assert replay(history) == case
        return store.due(due_before)

    # ------------------------------------------------------------------ ids
    def test_new_ids_are_unique_and_prefixed(self) -> None:
        with self.fresh() as store:
            ids = [store.new_id("CON") for _ in range(40)] + [store.new_id("CPL") for _ in range(10)]
            assert len(set(ids)) == len(ids)
            assert all(i.startswith("CON") for i in ids[:40])
            assert all(i.startswith("CPL") for i in ids[40:])
            desk = self.desk(store)
            opened = desk.open("consultation", actor=_AGENT, **_intake())
            assert opened.id not in ids
            assert store.new_id("CON") != opened.id

    # ------------------------------------------------------------------ round trips
    def test_open_round_trips(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, **_intake())
            assert case.version == 1
            assert store.load(case.id) == case
            (event,) = store.events(case.id)
            assert (event.seq, event.trigger, event.case_id, event.dest) == (1, "open", case.id, case.state)
            assert replay([event]) == case
            with self.again(store) as other:
                assert other.load(case.id) == case
                assert tuple(other.events(case.id)) == (event,)
                product = other.load(case.id).product
                assert product is not None
                assert product.components[0].value == Money("860.50")

    def test_versions_and_sequences_follow_each_fire(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, **_intake())
            steps: list[tuple[str, Actor, dict[str, Any]]] = [
                ("refer", _AGENT, {"to": "zhao.gang"}),
                ("answer", _AGENT, {"answer": "Menu > Sensors > Calibrate."}),
                ("close", _AGENT, {"satisfaction": 4}),
                ("review", _SUPERVISOR, {"notes": "FAQ entry drafted"}),
            ]
            for version, (trigger, actor, data) in enumerate(steps, start=2):
                case = desk.fire(case.id, trigger, actor=actor, **data)
                assert case.version == version
                assert store.load(case.id) == case
            history = store.events(case.id)
            assert [e.seq for e in history] == [1, 2, 3, 4, 5]
            assert [e.trigger for e in history] == ["open", "refer", "answer", "close", "review"]
            assert case.state == "reviewed"

    def test_history_replays_to_the_snapshot(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            a = desk.open("consultation", actor=_AGENT, **_intake("C-A"))
            b = desk.open("consultation", actor=_AGENT, **_intake("C-B"))
            desk.fire(a.id, "refer", actor=_AGENT, to="li.na", contact="email")
            desk.fire(b.id, "answer", actor=_AGENT, answer="Hold RESET for 5 s.", faq_candidate=True)
            desk.fire(a.id, "answer", actor=_AGENT, answer="Replace the belt.")
            desk.fire(a.id, "close", actor=_AGENT, satisfaction=5, comment="thanks")
            for cid in (a.id, b.id):
                assert replay(store.events(cid)) == store.load(cid)
                with self.again(store) as other:
                    assert replay(other.events(cid)) == other.load(cid) == store.load(cid)

    def test_values_are_stored_exactly(self) -> None:
        with self.fresh() as store:
            case = self.desk(store).open("consultation", actor=_AGENT, **_intake())
            offset = timezone(timedelta(hours=5, minutes=30))
            facts = {
                "fee": Money("12.30"),
                "ratio": Decimal("0.125"),
                "parts": ("belt", "roller"),
                "meta": {"visits": 2, "urgent": True, "note": None},
                "seen_at": datetime(2026, 3, 2, 6, 30, tzinfo=offset),
            }
            event = _note(case, _MONDAY + timedelta(hours=1), **facts)
            new = apply_event(case, event)
            store.append(new, [event], expected_version=1)
            with self.again(store) as other:
                loaded = other.load(case.id)
                assert loaded == new
                assert loaded.fact("fee") == Money("12.30")
                assert str(loaded.fact("ratio")) == "0.125"
                assert loaded.fact("parts") == ("belt", "roller")
                assert loaded.fact("seen_at").utcoffset() == timedelta(hours=5, minutes=30)
                assert other.events(case.id)[-1] == event

    # ------------------------------------------------------------------ unknown things
    def test_unknown_case_and_key(self) -> None:
        with self.fresh() as store:
            assert _raises(CaseNotFound, store.load, "CON-404").case_id == "CON-404"
            assert _raises(CaseNotFound, store.events, "CON-404").case_id == "CON-404"
            assert store.lookup_key("never-used") is None
            assert list(store.case_ids()) == []
            assert store.due(_MONDAY + timedelta(days=365)) == []

    # ------------------------------------------------------------------ concurrency
    def test_stale_version_conflicts_and_writes_nothing(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, **_intake())
            case = desk.fire(case.id, "refer", actor=_AGENT, to="zhao.gang")  # version 2
            later = _MONDAY + timedelta(days=30)
            due = store.due(later)
            event = _note(case, _MONDAY + timedelta(hours=2), note="from a stale reader")
            for stale in (1, 3, 0):
                stale_event = attrs.evolve(event, seq=stale + 1)
                err = _raises(
                    ConcurrencyConflict,
                    store.append,
                    apply_event(case, event),
                    [stale_event],
                    expected_version=stale,
                    key=f"stale-{stale}",
                )
                assert (err.case_id, err.expected, err.actual) == (case.id, stale, 2)
                assert self.assert_unchanged(store, case, later) == due
                assert store.lookup_key(f"stale-{stale}") is None
            # the right version still goes through afterwards
            store.append(apply_event(case, event), [event], expected_version=2)
            assert store.load(case.id).version == 3

    def test_reused_key_conflicts_and_writes_nothing(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, **_intake())
            case = desk.fire(case.id, "refer", actor=_AGENT, to="zhao.gang", key="erp-msg-1")
            record = store.lookup_key("erp-msg-1")
            assert record == KeyRecord("erp-msg-1", case.id, 2, "refer")
            later = _MONDAY + timedelta(days=30)
            due = store.due(later)
            event = _note(case, _MONDAY + timedelta(hours=3), note="redelivered")
            err = _raises(
                ConcurrencyConflict,
                store.append,
                apply_event(case, event),
                [event],
                expected_version=2,
                key="erp-msg-1",
            )
            assert err.case_id == case.id
            assert self.assert_unchanged(store, case, later) == due
            assert store.lookup_key("erp-msg-1") == record
            # a key used on another case conflicts too
            other = desk.open("consultation", actor=_AGENT, **_intake("C-OTHER"))
            note = _note(other, _MONDAY + timedelta(hours=4), note="x")
            _raises(
                ConcurrencyConflict,
                store.append,
                apply_event(other, note),
                [note],
                expected_version=1,
                key="erp-msg-1",
            )
            self.assert_unchanged(store, other, later)

    def test_opening_an_existing_id_conflicts(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, **_intake())
            first = store.events(case.id)[0]
            twin = attrs.evolve(first, at=first.at + timedelta(hours=1))
            err = _raises(
                ConcurrencyConflict,
                store.append,
                apply_event(None, twin),
                [twin],
                expected_version=0,
                key="twin",
            )
            assert (err.case_id, err.expected, err.actual) == (case.id, 0, 1)
            self.assert_unchanged(store, case, _MONDAY + timedelta(days=30))
            assert store.lookup_key("twin") is None
            assert list(store.case_ids()) == [case.id]

    def test_several_events_in_one_append(self) -> None:
        with self.fresh() as store:
            case = self.desk(store).open("consultation", actor=_AGENT, **_intake())
            e2 = _note(case, _MONDAY + timedelta(hours=1), step=2)
            mid = apply_event(case, e2)
            e3 = _note(mid, _MONDAY + timedelta(hours=2), step=3)
            end = apply_event(mid, e3)
            store.append(end, [e2, e3], expected_version=1, key="batch")
            assert store.load(case.id) == end
            assert list(store.events(case.id))[1:] == [e2, e3]
            assert store.lookup_key("batch") == KeyRecord("batch", case.id, 3, "note")

    def test_idempotent_fire_through_the_store(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            case = desk.open("consultation", actor=_AGENT, key="mail-1", **_intake())
            assert desk.open("consultation", actor=_AGENT, key="mail-1", **_intake()) == case
            first = desk.fire(case.id, "answer", actor=_AGENT, answer="¥35", key="erp-msg-8812")
            again = desk.fire(case.id, "answer", actor=_AGENT, answer="¥35", key="erp-msg-8812")
            assert again == first
            assert len(store.events(case.id)) == 2
            desk.fire(case.id, "close", actor=_AGENT, satisfaction=5)
            with self.again(store) as other:
                replayed = self.desk(other).fire(
                    case.id, "answer", actor=_AGENT, answer="¥35", key="erp-msg-8812"
                )
                assert replayed == first
                assert len(other.events(case.id)) == 3
                assert list(other.case_ids()) == [case.id]

    # ------------------------------------------------------------------ deadlines
    def test_due_is_earliest_first_and_strictly_before(self) -> None:
        with self.fresh() as store:
            opened = []
            for day in (2, 0, 1):  # Wednesday, Monday, Tuesday: response due the next working day
                desk = self.desk(store, _MONDAY + timedelta(days=day))
                opened.append(desk.open("consultation", actor=_AGENT, **_intake(f"C-{day}")))
            later = _MONDAY + timedelta(days=60)
            everything = store.due(later)
            assert [i.case_id for i in everything] == [opened[1].id, opened[2].id, opened[0].id]
            assert [i.due for i in everything] == sorted(c.deadlines["response"].due for c in opened)
            for item in everything:
                case = store.load(item.case_id)
                assert (item.kind, item.state) == (case.kind, case.state)
                assert item.deadline == case.deadlines[item.deadline.name]
            # strictly before: the deadline due at the cut is not listed
            assert [i.case_id for i in store.due(everything[1].due)] == [everything[0].case_id]
            assert store.due(everything[0].due) == []
            # referring replaces the response deadline by the answer deadline; answering ends the clock
            desk = self.desk(store, _MONDAY + timedelta(days=2, hours=1))
            desk.fire(opened[0].id, "refer", actor=_AGENT, to="zhao.gang")
            desk.fire(opened[1].id, "answer", actor=_AGENT, answer="Done.")
            now_due = {i.case_id: i.deadline.name for i in store.due(later)}
            assert now_due == {opened[0].id: "answer", opened[2].id: "response"}
            with self.again(store) as other:
                assert other.due(later) == store.due(later)

    def test_ties_in_due_are_ordered_by_case_id(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            ids = [desk.open("consultation", actor=_AGENT, **_intake(f"C-{i}")).id for i in range(4)]
            listed = [i.case_id for i in store.due(_MONDAY + timedelta(days=30))]
            assert listed == sorted(ids)

    def test_paused_deadlines_are_not_listed(self) -> None:
        with self.fresh() as store:
            case = self.desk(store).open("consultation", actor=_AGENT, **_intake())
            running = case.deadlines["response"]
            later = _MONDAY + timedelta(days=30)
            assert [i.case_id for i in store.due(later)] == [case.id]
            paused_at = _MONDAY + timedelta(hours=1)
            pause = attrs.evolve(
                _note(case, paused_at),
                trigger="wait_for_customer",
                deadlines={"response": attrs.evolve(running, paused_since=paused_at)},
            )
            paused = apply_event(case, pause)
            store.append(paused, [pause], expected_version=1)
            assert store.due(later) == []
            assert store.load(case.id).deadlines["response"].paused_since == paused_at
            resume = attrs.evolve(
                _note(paused, paused_at + timedelta(hours=1)),
                trigger="customer_replied",
                deadlines={"response": attrs.evolve(running, due=running.due + timedelta(hours=1))},
            )
            store.append(apply_event(paused, resume), [resume], expected_version=2)
            assert [i.due for i in store.due(later)] == [running.due + timedelta(hours=1)]

    # ------------------------------------------------------------------ listing
    def test_case_ids_by_kind_in_creation_order(self) -> None:
        with self.fresh() as store:
            desk = self.desk(store)
            first = desk.open("consultation", actor=_AGENT, **_intake("C-1")).id
            memo_id = store.new_id("MEM")
            opening = Event(
                seq=1,
                case_id=memo_id,
                kind="memo",
                trigger="open",
                at=_MONDAY,
                actor=_AGENT,
                source="",
                dest="new",
                data={"customer": Customer("C-2"), "product": None},
            )
            store.append(apply_event(None, opening), [opening], expected_version=0)
            last = desk.open("consultation", actor=_AGENT, **_intake("C-3")).id
            assert list(store.case_ids()) == [first, memo_id, last]
            assert list(store.case_ids("consultation")) == [first, last]
            assert list(store.case_ids("memo")) == [memo_id]
            assert list(store.case_ids("repair")) == []
            assert store.load(memo_id).kind == "memo"

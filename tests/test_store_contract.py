"""One store contract, every store: in memory, SQLite, PostgreSQL (DESIGN §5, STYLE 5).

The SQL store runs the contract four ways: on an engine it makes from a URL, on an
engine the host made, joined to a host connection whose transaction stays open
(so conflicts must be undone by SAVEPOINTs), and on PostgreSQL.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aftersales_core import CHINA_TZ, Actor, AfterSalesError, Desk, FixedClock, Role
from aftersales_core.events import Event
from aftersales_core.model import Case
from aftersales_core.store import DueItem, MemoryStore, Store
from aftersales_core.store.sql import SqlStore
from aftersales_core.testing.store_contract import StoreContract
from postgres_server import pg_server, pg_url  # noqa: F401  (fixtures)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
AGENT = Actor("agent-1", Role.AGENT)
SUPERVISOR = Actor("sup-1", Role.CS_SUPERVISOR)


class TestMemoryStore(StoreContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, tmp_path: object) -> None:
        self.url = f"sqlite:///{tmp_path}/cases.db"

    def make_store(self) -> Store:
        return SqlStore(self.url)

    def reopen(self, store: Store) -> Store:
        return SqlStore(self.url, create=False)


class TestSqliteHostEngineStore(StoreContract):
    """An engine the host configured itself (pysqlite's default transaction mode)."""

    @pytest.fixture(autouse=True)
    def _engine(self, tmp_path: object) -> Iterator[None]:
        self.engine = sa.create_engine(f"sqlite:///{tmp_path}/host.db")
        yield
        self.engine.dispose()

    def make_store(self) -> Store:
        return SqlStore(self.engine)

    def reopen(self, store: Store) -> Store:
        return SqlStore(self.engine)


class _Joined(StoreContract):
    """Everything inside one open host transaction, rolled back at the end."""

    engine: sa.Engine

    def make_store(self) -> Store:
        self.connection = self.engine.connect()
        return SqlStore(connection=self.connection)

    def dispose(self, store: Store) -> None:
        self.connection.rollback()
        self.connection.close()


class TestSqliteJoinedStore(_Joined):
    @pytest.fixture(autouse=True)
    def _engine(self, tmp_path: object) -> Iterator[None]:
        self.engine = sa.create_engine(f"sqlite:///{tmp_path}/joined.db")
        yield
        self.engine.dispose()


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str) -> None:  # noqa: F811  (the fixture)
        self.url = pg_url

    def make_store(self) -> Store:
        return SqlStore(self.url)

    def reopen(self, store: Store) -> Store:
        return SqlStore(self.url, create=False)


@pytest.mark.postgres
class TestPostgresJoinedStore(_Joined):
    @pytest.fixture(autouse=True)
    def _engine(self, pg_url: str) -> Iterator[None]:  # noqa: F811  (the fixture)
        self.engine = sa.create_engine(pg_url)
        yield
        self.engine.dispose()


# ---------------------------------------------------------------------------- the contract has teeth


class _KeylessStore(MemoryStore):
    """Forgets idempotency keys."""

    def append(
        self, case: Case, events: Sequence[Event], /, *, expected_version: int, key: str | None = None
    ) -> None:
        super().append(case, events, expected_version=expected_version, key=None)


class _PartialStore(MemoryStore):
    """Writes the events before it checks the version."""

    def append(
        self, case: Case, events: Sequence[Event], /, *, expected_version: int, key: str | None = None
    ) -> None:
        if case.id in self._events:
            self._events[case.id].extend(events)
        super().append(case, events, expected_version=expected_version, key=key)


class _InclusiveDueStore(MemoryStore):
    """Lists deadlines due at ``before`` too."""

    def due(self, before: datetime, /) -> list[DueItem]:
        return super().due(before + timedelta(microseconds=1))


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (_KeylessStore, "test_reused_key_conflicts_and_writes_nothing"),
        (_KeylessStore, "test_idempotent_fire_through_the_store"),
        (_PartialStore, "test_stale_version_conflicts_and_writes_nothing"),
        (_InclusiveDueStore, "test_due_is_earliest_first_and_strictly_before"),
    ],
)
def test_the_contract_catches_a_broken_store(broken: type[MemoryStore], check: str) -> None:
    class Contract(StoreContract):
        def make_store(self) -> Store:
            return broken()

    getattr(TestMemoryStore(), check)()  # passes on the real store
    with pytest.raises(AssertionError):
        getattr(Contract(), check)()


# ---------------------------------------------------------------------------- two stores, one behaviour


class StoresAgree(RuleBasedStateMachine):
    """The same calls on a MemoryStore and an SqlStore give the same results and errors."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="aftersales-agree-")
        self.sql = SqlStore(f"sqlite:///{self.tmp}/agree.db")
        self.clock = FixedClock(MONDAY)
        self.desks = [Desk(store=MemoryStore(), clock=self.clock), Desk(store=self.sql, clock=self.clock)]
        self.ids: list[str] = []

    def both(self, call: Callable[[Desk], Any]) -> Any:
        outcomes = []
        for desk in self.desks:
            try:
                outcomes.append(("ok", call(desk)))
            except AfterSalesError as err:
                outcomes.append((type(err).__name__, str(err)))
        assert outcomes[0] == outcomes[1]
        return outcomes[0]

    @rule(customer=st.sampled_from(["C1", "C2"]), key=st.none() | st.sampled_from(["mail-1", "mail-2"]))
    def open(self, customer: str, key: str | None) -> None:
        kind, result = self.both(
            lambda d: d.open(
                "consultation",
                actor=AGENT,
                key=key,
                customer={"id": customer},
                channel="email",
                question="Belt price?",
            )
        )
        if kind == "ok" and result.id not in self.ids:
            self.ids.append(result.id)

    @precondition(lambda self: bool(self.ids))
    @rule(
        data=st.data(),
        step=st.sampled_from(
            [
                ("refer", AGENT, {"to": "zhao.gang"}),
                ("answer", AGENT, {"answer": "¥35"}),
                ("close", AGENT, {"satisfaction": 4}),
                ("review", SUPERVISOR, {"notes": "ok"}),
                ("answer", AGENT, {}),  # invalid input
            ]
        ),
        key=st.none() | st.sampled_from(["msg-1", "msg-2", "msg-3"]),
    )
    def fire(self, data: st.DataObject, step: tuple[str, Actor, dict[str, Any]], key: str | None) -> None:
        case_id = data.draw(st.sampled_from(self.ids))
        trigger, actor, payload = step
        self.both(lambda d: d.fire(case_id, trigger, actor=actor, key=key, **payload))

    @rule(hours=st.integers(min_value=1, max_value=72))
    def later(self, hours: int) -> None:
        self.clock.set(self.clock.now() + timedelta(hours=hours))
        self.both(lambda d: d.tick())

    @invariant()
    def same_state(self) -> None:
        self.both(lambda d: list(d.store.case_ids()))
        for cid in self.ids:
            self.both(lambda d, cid=cid: (d.get(cid), d.history(cid)))
        self.both(lambda d: d.due(self.clock.now() + timedelta(days=30)))
        for key in ("mail-1", "mail-2", "msg-1", "msg-2", "msg-3"):
            self.both(lambda d, key=key: d.store.lookup_key(key))

    def teardown(self) -> None:
        self.sql.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


StoresAgree.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
TestStoresAgree = StoresAgree.TestCase

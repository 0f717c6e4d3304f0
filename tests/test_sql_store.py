"""SqlStore beyond the port contract: schema versions, joining the host's
transaction, the outbox, exact money, the retry helper (DESIGN §5, FIN-1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from aftersales_core import (
    CHINA_TZ,
    Actor,
    ConcurrencyConflict,
    Desk,
    Event,
    FixedClock,
    InvalidInput,
    Money,
    Role,
    StoreError,
)
from aftersales_core.engine import apply_event
from aftersales_core.store import MemoryStore, Store
from aftersales_core.store.sql import SCHEMA_VERSION, SqlStore, retrying
from postgres_server import pg_server, pg_url  # noqa: F401  (fixtures)

AGENT = Actor("agent-1", Role.AGENT, "王丽")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
INTAKE: dict[str, Any] = {
    "customer": {"id": "C1", "name": "华纺织造"},
    "channel": "phone",
    "question": "Price of spare belts?",
    "product": {
        "model": "TX-900",
        "line": "smart_equipment",
        "components": [{"name": "belt", "value": "860.50"}],
    },
}

erp = sa.MetaData()
orders = sa.Table(
    "erp_orders", erp, sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.Text)
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cases.db"
    found: str = request.getfixturevalue("pg_url")
    return found


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    with SqlStore(url) as s:
        yield s


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(url)
    erp.create_all(eng)
    yield eng
    eng.dispose()


def desk_on(store: Store) -> Desk:
    return Desk(store=store, clock=FixedClock(MONDAY))


def count_orders(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one())


# ---------------------------------------------------------------------------- schema


def test_schema_version_is_recorded(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT value FROM aftersales_meta WHERE name = 'schema_version'"
        ).scalar()
    assert found == str(SCHEMA_VERSION)


def test_unknown_schema_version_is_refused(url: str) -> None:
    SqlStore(url).close()
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("UPDATE aftersales_meta SET value = '999' WHERE name = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version '999'.*knows version 1"):
        SqlStore(url)
    with pytest.raises(StoreError, match="schema version"):
        SqlStore(eng)
    eng.dispose()


def test_empty_database_without_create_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="create=True"):
        SqlStore(url, create=False)


def test_unusable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SqlStore(f"sqlite:///{tmp_path}/missing-dir/cases.db")


def test_needs_exactly_one_target(url: str) -> None:
    with pytest.raises(TypeError, match="exactly one"):
        SqlStore()
    eng = sa.create_engine(url)
    with eng.connect() as conn, pytest.raises(TypeError, match="exactly one"):
        SqlStore(url, connection=conn)
    eng.dispose()


# ---------------------------------------------------------------------------- the host's transaction


def test_joined_connection_commits_with_the_host(engine: sa.Engine) -> None:
    SqlStore(engine).close()
    with engine.connect() as conn:
        conn.execute(orders.insert().values(id=1, note="erp order"))
        case = desk_on(SqlStore(connection=conn)).open("consultation", actor=AGENT, **INTAKE)
        conn.commit()
    with SqlStore(engine) as after:
        assert after.load(case.id) == case
        assert after.pending() == 1
    assert count_orders(engine) == 1


def test_joined_connection_rolls_back_with_the_host(engine: sa.Engine) -> None:
    SqlStore(engine).close()
    with engine.connect() as conn:
        conn.execute(orders.insert().values(id=1, note="erp order"))
        store = SqlStore(connection=conn)
        case = desk_on(store).open("consultation", actor=AGENT, **INTAKE)
        assert store.load(case.id) == case  # visible inside the transaction
        conn.rollback()
    with SqlStore(engine) as after:
        assert list(after.case_ids()) == []
        assert after.pending() == 0
    assert count_orders(engine) == 0


def test_joined_session_commits_and_rolls_back_with_the_host(engine: sa.Engine) -> None:
    store = SqlStore(engine)
    with Session(engine) as session:
        session.execute(orders.insert().values(id=1, note="kept"))
        kept = desk_on(store.joined(session)).open("consultation", actor=AGENT, **INTAKE)
        session.commit()
    with Session(engine) as session:
        session.execute(orders.insert().values(id=2, note="dropped"))
        dropped = desk_on(SqlStore(session=session)).open("consultation", actor=AGENT, **INTAKE)
        session.rollback()
    assert list(store.case_ids()) == [kept.id]
    assert dropped.id != kept.id
    assert count_orders(engine) == 1
    store.close()


def test_conflict_inside_the_host_transaction_keeps_the_hosts_work(engine: sa.Engine) -> None:
    store = SqlStore(engine)
    case = desk_on(store).open("consultation", actor=AGENT, key="mail-1", **INTAKE)
    with engine.connect() as conn:
        conn.execute(orders.insert().values(id=1, note="before"))
        joined = store.joined(conn)
        event = attrs.evolve(
            store.events(case.id)[0], seq=2, trigger="note", source="received", changes={"x": 1}, key=None
        )
        with pytest.raises(ConcurrencyConflict):  # the key was used: undone by a SAVEPOINT
            joined.append(apply_event(case, event), [event], expected_version=1, key="mail-1")
        conn.execute(orders.insert().values(id=2, note="after"))  # the transaction is still usable
        joined.append(apply_event(case, event), [event], expected_version=1, key="mail-2")
        conn.commit()
    assert count_orders(engine) == 2
    assert [e.seq for e in store.events(case.id)] == [1, 2]
    assert store.lookup_key("mail-2") is not None
    store.close()


# ---------------------------------------------------------------------------- outbox


def test_dispatch_delivers_pending_events_in_order_and_marks_them_done(store: SqlStore) -> None:
    desk = desk_on(store)
    a = desk.open("consultation", actor=AGENT, **INTAKE)
    b = desk.open("consultation", actor=AGENT, **INTAKE)
    desk.fire(a.id, "refer", actor=AGENT, to="zhao.gang")
    desk.fire(b.id, "answer", actor=AGENT, answer="¥35")
    desk.fire(a.id, "answer", actor=AGENT, answer="Replace the belt.")
    assert store.pending() == 5
    seen: list[Event] = []
    assert store.dispatch(seen.append, limit=2) == 2
    assert store.pending() == 3
    assert store.dispatch(seen.append) == 3
    assert store.dispatch(seen.append) == 0
    assert [(e.case_id, e.seq) for e in seen] == [(a.id, 1), (b.id, 1), (a.id, 2), (b.id, 2), (a.id, 3)]
    assert seen[2] == store.events(a.id)[1]


def test_a_failing_subscriber_keeps_the_rest_pending(store: SqlStore) -> None:
    desk = desk_on(store)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    desk.fire(case.id, "refer", actor=AGENT, to="zhao.gang")
    desk.fire(case.id, "answer", actor=AGENT, answer="done")
    seen: list[int] = []

    def flaky(event: Event) -> None:
        if event.seq == 2 and 2 not in seen:
            seen.append(-2)  # remember the failure once
            raise ConnectionError("mail server down")
        seen.append(event.seq)

    with pytest.raises(ConnectionError):
        store.dispatch(flaky)
    assert seen == [1, -2]
    assert store.pending() == 2
    seen.append(2)  # the next delivery succeeds
    assert store.dispatch(lambda e: seen.append(e.seq)) == 2
    assert seen == [1, -2, 2, 2, 3]


def test_dispatch_of_a_joined_store_sees_committed_events_only(engine: sa.Engine) -> None:
    store = SqlStore(engine)
    with engine.connect() as conn:
        joined = store.joined(conn)
        desk_on(joined).open("consultation", actor=AGENT, **INTAKE)
        if engine.dialect.name == "sqlite":
            conn.commit()  # SQLite allows one writer: dispatching marks rows, so commit first
        else:
            assert joined.dispatch(lambda e: None) == 0  # not committed yet
            conn.commit()
    assert store.dispatch(lambda e: None) == 1
    store.close()


@pytest.mark.postgres
def test_concurrent_dispatchers_skip_each_others_rows(pg_url: str) -> None:  # noqa: F811
    with SqlStore(pg_url) as first, SqlStore(pg_url) as second:
        desk = desk_on(first)
        for _ in range(3):
            desk.open("consultation", actor=AGENT, **INTAKE)
        inner: list[int] = []
        outer: list[int] = []

        def subscriber(event: Event) -> None:
            outer.append(event.seq)
            if len(outer) == 1:  # while the first dispatcher holds its rows
                inner.append(second.dispatch(lambda e: None))

        assert first.dispatch(subscriber, limit=2) == 2
        assert inner == [1]  # the other dispatcher took the third row only
        assert first.pending() == 0


# ---------------------------------------------------------------------------- money and values


def test_money_is_stored_as_exact_decimal_text(store: SqlStore) -> None:
    desk = desk_on(store)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    with store.engine.connect() as conn:
        snapshot = conn.exec_driver_sql("SELECT snapshot FROM aftersales_cases").scalar_one()
        body = conn.exec_driver_sql("SELECT body FROM aftersales_events").scalar_one()
        if store.engine.dialect.name == "sqlite":  # stored as text, never REAL
            assert conn.exec_driver_sql("SELECT typeof(snapshot) FROM aftersales_cases").scalar() == "text"
            assert conn.exec_driver_sql("SELECT typeof(body) FROM aftersales_events").scalar() == "text"

    def no_floats(text: str) -> Any:
        return json.loads(text, parse_float=lambda s: pytest.fail(f"a float was stored: {s}"))

    for text in (snapshot, body):
        assert '{"$t":"Money","v":"860.50"}' in text
        no_floats(text)
    product = store.load(case.id).product
    assert product is not None
    assert product.components[0].value == Money("860.50")


def test_a_value_the_codec_cannot_store_is_refused_before_writing(store: SqlStore) -> None:
    desk = desk_on(store)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    event = attrs.evolve(
        store.events(case.id)[0], seq=2, trigger="note", source="received", changes={"odd": object()}
    )
    with pytest.raises(TypeError, match="cannot store a value of type object"):
        store.append(apply_event(case, event), [event], expected_version=1)
    assert store.load(case.id) == case
    assert store.pending() == 1


def test_a_refused_row_that_no_writer_explains_is_a_store_error(store: SqlStore) -> None:
    desk = desk_on(store)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    opening = store.events(case.id)[0]
    broken = attrs.evolve(opening, case_id="CON-X")
    faulty = attrs.evolve(apply_event(None, broken), kind=None)  # NOT NULL column: not a conflict
    with pytest.raises(StoreError, match="refused case 'CON-X'"):
        store.append(faulty, [broken], expected_version=0)
    assert list(store.case_ids()) == [case.id]


def test_deadline_index_holds_running_deadlines_only(store: SqlStore) -> None:
    desk = desk_on(store)
    a = desk.open("consultation", actor=AGENT, **INTAKE)
    b = desk.open("consultation", actor=AGENT, **INTAKE)
    desk.fire(a.id, "answer", actor=AGENT, answer="done")
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT case_id, name FROM aftersales_deadlines")]
        next_due = {r[0]: r[1] for r in conn.exec_driver_sql("SELECT id, next_due FROM aftersales_cases")}
    assert rows == [(b.id, "response")]
    assert next_due[a.id] is None
    assert next_due[b.id] is not None


def test_an_overlong_idempotency_key_names_the_field(store: SqlStore) -> None:
    desk = desk_on(store)
    case = desk.open("consultation", actor=AGENT, **INTAKE)
    with pytest.raises(InvalidInput) as err:
        desk.fire(case.id, "answer", actor=AGENT, answer="x", key="k" * 501)
    assert err.value.field == "key"
    assert store.load(case.id) == case


# ---------------------------------------------------------------------------- ids, threads and settings


def test_new_ids_are_unique_across_store_instances(url: str) -> None:
    with SqlStore(url) as one, SqlStore(url) as two:
        ids = [s.new_id("CON") for _ in range(20) for s in (one, two)]
    assert len(set(ids)) == 40


def test_threads_share_a_store(url: str) -> None:
    with SqlStore(url) as store:
        desk = desk_on(store)
        ids = [desk.open("consultation", actor=AGENT, **INTAKE).id for _ in range(6)]
        errors: list[BaseException] = []

        def work(case_id: str) -> None:
            try:
                local = desk_on(store)
                local.fire(case_id, "refer", actor=AGENT, to="zhao.gang", key=f"{case_id}-1")
                local.fire(case_id, "answer", actor=AGENT, answer="done", key=f"{case_id}-2")
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(cid,)) for cid in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert {store.load(cid).state for cid in ids} == {"answered"}
        assert store.pending() == 18


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    with SqlStore(f"sqlite:///{tmp_path}/cases.db", sqlite_pragmas={"busy_timeout": 1234}) as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert "cases.db" in repr(store)
    with pytest.raises(StoreError, match="pragma"):
        SqlStore(f"sqlite:///{tmp_path}/other.db", sqlite_pragmas={"synchronous": "OFF; DROP TABLE x"})


# ---------------------------------------------------------------------------- retrying


def test_retrying_refires_on_the_case_as_another_worker_left_it(url: str) -> None:
    with SqlStore(url) as mine, SqlStore(url) as theirs:
        case = desk_on(mine).open("consultation", actor=AGENT, **INTAKE)
        real_append = mine.append
        calls: list[int] = []

        def racing_append(*args: Any, **kwargs: Any) -> None:
            calls.append(kwargs["expected_version"])
            if len(calls) == 1:  # another worker refers the case first
                desk_on(theirs).fire(case.id, "refer", actor=AGENT, to="zhao.gang")
            real_append(*args, **kwargs)

        mine.append = racing_append  # type: ignore[method-assign]
        fire = retrying(desk_on(mine).fire, attempts=3)
        done = fire(case.id, "answer", actor=AGENT, answer="Replace the belt.", key="erp-7")
        assert [e.trigger for e in theirs.events(case.id)] == ["open", "refer", "answer"]
    assert calls == [1, 2]
    assert done.version == 3
    assert done.fact("referred_to") == "zhao.gang"  # the other worker's refer was not lost


def test_retrying_gives_up_and_respects_expected_version() -> None:
    attempts: list[int] = []

    def always_stale(case_id: str, /, *, expected_version: int | None = None) -> str:
        attempts.append(1)
        raise ConcurrencyConflict(case_id, 1, 2)

    with pytest.raises(ConcurrencyConflict):
        retrying(always_stale, attempts=4)("CON-1")
    assert len(attempts) == 4
    attempts.clear()
    with pytest.raises(ConcurrencyConflict):
        retrying(always_stale, attempts=4)("CON-1", expected_version=1)
    assert len(attempts) == 1
    with pytest.raises(ValueError, match="at least 1"):
        retrying(always_stale, attempts=0)


def test_the_index_follows_each_deadline_of_a_complaint_as_memory_does(store: SqlStore) -> None:
    """Only the deadlines an event changed are rewritten: the rest of the case's rows stay right."""
    from aftersales_core.workflows import get_workflow

    wf = get_workflow("complaint")
    steps = [
        ("route", AGENT, {}),  # ends the response deadline, the resolution deadline runs on
        ("promote_special", AGENT, {"flag": "media"}),  # restarts resolution under the urgent target
        ("start", AGENT, {"owner": "eng-7"}),
        ("propose_resolution", AGENT, {"remedy": "replace"}),
        ("customer_accepts", AGENT, {}),  # ends resolution
    ]
    memory = MemoryStore()
    desks = [desk_on(store), desk_on(memory)]
    ids = [d.open("complaint", actor=AGENT, **dict(wf.example)).id for d in desks]
    later = datetime(2026, 12, 31, tzinfo=CHINA_TZ)

    def listed(s: SqlStore | MemoryStore) -> list[tuple[str, str, datetime]]:
        return [(i.deadline.name, i.state, i.due) for i in s.due(later)]

    assert listed(store) == listed(memory)
    assert len(listed(store)) == 2
    for trigger, actor, data in steps:
        for desk, cid in zip(desks, ids, strict=True):
            desk.fire(cid, trigger, actor=actor, **data)
        assert listed(store) == listed(memory), trigger
    assert listed(store) == []

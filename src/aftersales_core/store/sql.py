"""SQL store on SQLAlchemy 2 (DESIGN §5): SQLite embedded, PostgreSQL for several workers.

Needs the ``sql`` extra (``pip install aftersales_core[sql]``; PostgreSQL also the
``postgres`` extra, psycopg 3)::

    store = SqlStore("sqlite:///aftersales.db")                       # embedded default
    store = SqlStore("postgresql+psycopg://erp@db-host/erp")          # several workers
    desk = Desk(store=store)

What it guarantees, on SQLite and PostgreSQL alike:

* **Atomic appends with optimistic concurrency.** ``append`` writes the events,
  the snapshot, the idempotency key and the outbox rows in one transaction. A
  stale ``expected_version`` (the case row is updated ``WHERE version =
  :expected``; a new case relies on the primary key) or a key used before raises
  :class:`~aftersales_core.errors.ConcurrencyConflict` and writes nothing.
  :func:`retrying` re-reads and fires again for callers that want that.
* **Exactly-once effects under at-least-once delivery.** The idempotency key is
  stored in the same transaction as the events, so a redelivered message finds
  it and ``Desk.fire`` returns the first result.
* **An outbox.** Every event also gets an outbox row in its transaction;
  :meth:`SqlStore.dispatch` delivers pending rows to a subscriber after commit,
  at least once, and marks them done.
* **Joining the host's transaction.** ``SqlStore(session=...)``,
  ``SqlStore(connection=...)`` or ``store.joined(session_or_connection)`` writes
  through the ERP's own SQLAlchemy ``Session`` or ``Connection``: the ERP's writes
  and the case's events commit or roll back together. Each append runs in a
  SAVEPOINT there, so a conflict leaves the host's transaction usable.
* **Exact money.** Events and snapshots are JSON (:mod:`aftersales_core.codec`);
  amounts are decimal text such as ``"12.30"``, never a float.
* **A known schema.** The schema version is recorded in ``aftersales_meta``; a
  database with another version is refused with :class:`~aftersales_core.errors.StoreError`.

Tables (all prefixed ``aftersales_``): ``cases`` (snapshot, version, kind, state,
next deadline), ``events`` (unique per case and sequence), ``keys`` (idempotency
keys), ``outbox``, ``deadlines`` (running deadlines, indexed by due instant, so
``due`` never scans cases), ``counters`` (case numbers on SQLite; PostgreSQL uses a
sequence) and ``meta``.

SQLite: an engine the store creates from a URL runs in WAL mode with a busy
timeout and ``synchronous=NORMAL`` (see ``sqlite_pragmas``; ``NORMAL`` survives a
crash of the process, while a power loss may drop the last commits — pass
``{"synchronous": "FULL"}`` to rule that out), keeps one connection per thread,
and writes open with ``BEGIN IMMEDIATE`` so that concurrent processes queue
instead of failing with "database is locked". Engines passed in are used as
configured (writes still open with ``BEGIN IMMEDIATE``).

In-process subscribers of ``Desk.subscribe`` hear of an event as soon as
``append`` returns; with a joined store that is before the host commits, so
anything that must only see committed events should use the outbox.
"""

from __future__ import annotations

import functools
import operator
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool, PoolProxiedConnection

from aftersales_core import codec
from aftersales_core.errors import CaseNotFound, ConcurrencyConflict, InvalidInput, StoreError
from aftersales_core.events import Event
from aftersales_core.model import Case
from aftersales_core.store import DueItem, KeyRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["SCHEMA_VERSION", "SqlStore", "metadata", "retrying"]

#: The schema this code reads and writes; recorded in ``aftersales_meta``.
SCHEMA_VERSION = 1

P = ParamSpec("P")
R = TypeVar("R")

Subscriber = Callable[[Event], None]


# --------------------------------------------------------------------------- schema

#: The store's tables (``metadata.create_all`` is what ``create=True`` runs).
metadata = sa.MetaData()

# Case ids and deadline names sort byte-wise (as in Python) on every backend.
_ID = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
_NAME = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
# BIGINT keys, but INTEGER on SQLite where only that is the autoincrementing rowid
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INSTANT = sa.DateTime(timezone=True)

_meta = sa.Table(
    "aftersales_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
_counters = sa.Table(
    "aftersales_counters",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
_case_number = sa.Sequence("aftersales_case_number", metadata=metadata)
_cases = sa.Table(
    "aftersales_cases",
    metadata,
    sa.Column("pk", _SERIAL, primary_key=True, autoincrement=True),  # creation order
    sa.Column("id", _ID, nullable=False, unique=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("state", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("next_due", _INSTANT, nullable=True, index=True),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Index("aftersales_cases_kind", "kind", "pk"),
)
_events = sa.Table(
    "aftersales_events",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("trigger", sa.String(64), nullable=False),
    sa.Column("at", _INSTANT, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
_keys = sa.Table(
    "aftersales_keys",
    metadata,
    sa.Column("key", sa.String(500), primary_key=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("trigger", sa.String(64), nullable=False),
    sqlite_with_rowid=False,
)
_outbox = sa.Table(
    "aftersales_outbox",
    metadata,
    sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
    sa.Column("case_id", _ID, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("aftersales_outbox_pending", "done", "id"),
)
_deadlines = sa.Table(
    "aftersales_deadlines",
    metadata,
    sa.Column("case_id", _ID, primary_key=True),
    sa.Column("name", _NAME, primary_key=True),
    sa.Column("due", _INSTANT, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("aftersales_deadlines_due", "due", "case_id", "name"),
    sqlite_with_rowid=False,
)

_MAX_KEY = 500
_CACHE_SIZE = 1024


# --------------------------------------------------------------------------- statements


class _Rows(Protocol):
    """What a statement returns: a DBAPI cursor or SQLAlchemy's ``CursorResult``."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Sequence[Any]: ...


#: Where statements run: a DBAPI cursor (the store's own transactions, one cursor per
#: transaction) or the host's SQLAlchemy ``Connection`` (a joined transaction).
_Db = DBAPICursor | Connection


class _Sql:
    """A statement compiled once for a dialect.

    In the store's own transactions it runs on the pooled DBAPI connection (the hot
    path skips SQLAlchemy's per-call compilation, result and type processing, about
    four fifths of a statement's cost on SQLite); in a host's transaction it runs
    through the host's ``Connection.exec_driver_sql``, so the host's engine events
    and logging see it.
    """

    __slots__ = ("defaults", "order", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # literal values SQLAlchemy made into parameters (``value + 1``, ``OFFSET 0``)
        self.defaults: dict[str, Any] = {k: v for k, v in compiled.params.items() if v is not None}
        names = tuple(getattr(compiled, "positiontup", None) or ()) if dialect.positional else ()
        # positional drivers take a tuple in the compiled order; the others the dict itself
        self.order: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None
        if len(names) == 1:
            only = names[0]
            self.order = lambda values: (values[only],)
        elif names:
            self.order = operator.itemgetter(*names)

    def params(self, values: Mapping[str, Any]) -> Any:
        merged = {**self.defaults, **values} if self.defaults else values
        return merged if self.order is None else self.order(merged)

    def __call__(self, db: _Db, /, **values: Any) -> _Rows:
        if isinstance(db, Connection):
            return db.exec_driver_sql(self.sql, self.params(values))
        db.execute(self.sql, self.params(values))
        return cast(_Rows, db)

    def many(self, db: _Db, rows: Sequence[Mapping[str, Any]]) -> None:
        params = [self.params(r) for r in rows]
        if isinstance(db, Connection):
            db.exec_driver_sql(self.sql, params)
        else:
            db.executemany(self.sql, params)


def _b(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name)


class _Statements:
    """Every statement the store runs, compiled for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        c, e, k, o, d = _cases.c, _events.c, _keys.c, _outbox.c, _deadlines.c
        self.sequences = bool(dialect.supports_sequences)

        def sql(statement: sa.ClauseElement) -> _Sql:
            return _Sql(statement, dialect)

        self.meta_get = sql(sa.select(_meta.c.value).where(_meta.c.name == _b("name")))
        self.counter_bump = sql(
            _counters.update().where(_counters.c.name == _b("name")).values(value=_counters.c.value + 1)
        )
        self.counter_get = sql(sa.select(_counters.c.value).where(_counters.c.name == _b("name")))
        self.next_number = sql(sa.select(_case_number.next_value())) if self.sequences else None
        self.case_insert = sql(
            _cases.insert()
            .inline()
            .values(
                id=_b("id"),
                kind=_b("kind"),
                state=_b("state"),
                version=_b("version"),
                next_due=_b("next_due"),
                snapshot=_b("snapshot"),
            )
        )
        self.case_update = sql(  # the deadlines did not change: leave next_due and its index alone
            _cases.update()
            .where(c.id == _b("b_id"), c.version == _b("expected"))
            .values(state=_b("state"), version=_b("version"), snapshot=_b("snapshot"))
        )
        self.case_update_due = sql(
            _cases.update()
            .where(c.id == _b("b_id"), c.version == _b("expected"))
            .values(
                state=_b("state"), version=_b("version"), next_due=_b("next_due"), snapshot=_b("snapshot")
            )
        )
        self.case_version = sql(sa.select(c.version).where(c.id == _b("id")))
        self.case_snapshot = sql(sa.select(c.snapshot).where(c.id == _b("id")))
        self.case_ids = sql(sa.select(c.id).order_by(c.pk))
        self.case_ids_of = sql(sa.select(c.id).where(c.kind == _b("kind")).order_by(c.pk))
        self.event_insert = sql(
            _events.insert()
            .inline()
            .values(case_id=_b("case_id"), seq=_b("seq"), trigger=_b("trigger"), at=_b("at"), body=_b("body"))
        )
        self.event_bodies = sql(sa.select(e.body).where(e.case_id == _b("id")).order_by(e.seq))
        self.key_insert = sql(
            _keys.insert()
            .inline()
            .values(key=_b("key"), case_id=_b("case_id"), seq=_b("seq"), trigger=_b("trigger"))
        )
        self.key_get = sql(sa.select(k.case_id, k.seq, k.trigger).where(k.key == _b("key")))
        self.outbox_insert = sql(_outbox.insert().inline().values(case_id=_b("case_id"), seq=_b("seq")))
        self.outbox_pending = sql(
            sa.select(o.id, e.body)
            .select_from(_outbox.join(_events, sa.and_(e.case_id == o.case_id, e.seq == o.seq)))
            .where(o.done == sa.false())
            .order_by(o.id)
            .limit(_b("limit"))
            .with_for_update(skip_locked=True, of=_outbox)  # PostgreSQL; SQLite has no row locks
        )
        self.outbox_done = sql(_outbox.update().where(o.id == _b("b_id")).values(done=sa.true()))
        self.outbox_count = sql(sa.select(sa.func.count()).select_from(_outbox).where(o.done == sa.false()))
        self.deadline_clear = sql(_deadlines.delete().where(d.case_id == _b("id"), d.name == _b("name")))
        self.deadline_insert = sql(
            _deadlines.insert()
            .inline()
            .values(case_id=_b("case_id"), name=_b("name"), due=_b("due"), body=_b("body"))
        )
        self.due = sql(
            sa.select(d.case_id, c.kind, c.state, d.body)
            .select_from(_deadlines.join(_cases, c.id == d.case_id))
            .where(d.due < _b("before"))
            .order_by(d.due, d.case_id, d.name)
        )


_COMPILED: dict[tuple[str, str, str, bool], _Statements] = {}


def _statements_for(dialect: Dialect) -> _Statements:
    key = (dialect.name, dialect.driver, dialect.paramstyle, dialect.positional)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _Statements(dialect)
    return found


def _sqlite_instant(value: datetime) -> str:
    """UTC text in SQLAlchemy's SQLite format: sorts like the instants it names."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.year < 1000:  # isoformat() pads years to four digits too, but be explicit
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat(" ", "microseconds")  # the same text as strftime, several times faster


def _aware_instant(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the store


class SqlStore:
    """The store port on a SQL database through SQLAlchemy 2.

    Pass exactly one of: a database URL or :class:`~sqlalchemy.engine.Engine`
    (the store opens and commits its own transactions), ``session=`` an ORM
    ``Session`` or ``connection=`` a Core ``Connection`` (the store joins that
    transaction; the host commits). ``create`` makes missing tables; an existing
    schema of another version is refused with ``StoreError``.
    ``engine_options`` go to :func:`sqlalchemy.create_engine` when a URL is given;
    ``sqlite_pragmas`` override the SQLite settings (``journal_mode``,
    ``synchronous``, ``busy_timeout`` in ms) of an engine made from a URL.
    """

    def __init__(
        self,
        url_or_engine: str | URL | Engine | None = None,
        /,
        *,
        session: Session | None = None,
        connection: Connection | None = None,
        create: bool = True,
        engine_options: Mapping[str, Any] | None = None,
        sqlite_pragmas: Mapping[str, str | int] | None = None,
    ) -> None:
        given = [x for x in (url_or_engine, session, connection) if x is not None]
        if len(given) != 1:
            raise TypeError("SqlStore needs exactly one of: a URL or Engine, session=..., connection=...")
        self._owns_engine = False
        self._host: Session | Connection | None = None
        if session is not None:
            bind = session.get_bind()
            engine = bind.engine if isinstance(bind, Connection) else bind
            self._host = session
        elif connection is not None:
            engine = connection.engine
            self._host = connection
        elif isinstance(url_or_engine, Engine):
            engine = url_or_engine
        else:
            assert url_or_engine is not None
            engine = _make_engine(url_or_engine, engine_options or {}, sqlite_pragmas or {})
            self._owns_engine = True
        self.engine: Engine = engine
        dialect = engine.dialect
        self._sqlite = dialect.name == "sqlite"
        self._sql = _statements_for(dialect)
        self._instant: Callable[[datetime], Any] = _sqlite_instant if self._sqlite else _aware_instant
        self._dbapi: Any = dialect.loaded_dbapi
        self._cache: dict[str, tuple[str, Case]] = {}
        # a SQLite file engine the store made: each thread keeps its connection
        self._local: threading.local | None = (
            threading.local() if self._owns_engine and _is_sqlite_file(engine.url) else None
        )
        self._leases: weakref.WeakSet[_Lease] = weakref.WeakSet()
        self._pid = os.getpid()
        try:
            self._prepare(create)
        except BaseException:
            self.close()
            raise

    @classmethod
    def _view(cls, parent: SqlStore, host: Session | Connection | None) -> SqlStore:
        view = cls.__new__(cls)
        view.__dict__.update(parent.__dict__)
        view._owns_engine = False
        view._host = host
        view._cache = {}
        return view

    def joined(self, host: Session | Connection, /) -> SqlStore:
        """A store that works inside the host's ``Session`` or ``Connection``
        transaction (the schema was checked by this store already)::

            with Session(store.engine) as session, session.begin():
                session.add(order)                          # the ERP's own write
                Desk(store=store.joined(session)).fire(...)  # commits with it
        """
        return SqlStore._view(self, host)

    def close(self) -> None:
        """Release the engine's connections, if the store made the engine."""
        if self._owns_engine:
            for lease in list(self._leases):
                lease.release()
            self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        joined = ", joined" if self._host is not None else ""
        return f"SqlStore({self._url()!r}{joined})"

    # ------------------------------------------------------------------ connections
    def _host_connection(self) -> Connection:
        host = self._host
        assert host is not None
        return host if isinstance(host, Connection) else host.connection()

    @contextmanager
    def _reading(self) -> Iterator[_Db]:
        """A connection to read from: the host's, or a pooled one (SQLite reads run
        outside a transaction; others end with the pool's rollback)."""
        if self._host is not None:
            try:
                yield self._host_connection()
            except DBAPIError as exc:
                raise _store_error(exc) from exc
            return
        db = self._checkout()
        try:
            yield db.cursor()
        except self._dbapi.Error as exc:
            self._discard_if_broken(db, exc)
            raise _store_error(exc) from exc
        finally:
            self._checkin(db)

    @contextmanager
    def _writing(self) -> Iterator[_Db]:
        """One write transaction: the store's own (``BEGIN IMMEDIATE`` on SQLite)
        or a SAVEPOINT in the host's. A unique-constraint violation becomes
        ``_Clash`` with everything of this transaction undone; other database
        errors become StoreError."""
        if self._host is not None:
            try:
                conn = self._host_connection()
                if self._sqlite:
                    _begin_immediate(conn)
                nested = (
                    conn.begin_nested() if isinstance(self._host, Connection) else self._host.begin_nested()
                )
                with nested:
                    yield conn
            except IntegrityError as exc:
                raise _Clash(exc) from None
            except DBAPIError as exc:
                raise _store_error(exc) from exc
            return
        db = self._checkout()
        try:
            try:
                cursor = db.cursor()
                if self._sqlite and not db.in_transaction:
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                db.commit()
            except BaseException:
                with suppress(self._dbapi.Error):
                    db.rollback()
                raise
        except self._dbapi.IntegrityError as exc:
            raise _Clash(exc) from None
        except self._dbapi.Error as exc:
            self._discard_if_broken(db, exc)
            raise _store_error(exc) from exc
        finally:
            self._checkin(db)

    def _checkout(self) -> PoolProxiedConnection:
        local = self._local
        if local is not None:
            lease: _Lease | None = getattr(local, "lease", None)
            if lease is not None and lease.db is not None and lease.db.is_valid and lease.pid == os.getpid():
                return lease.db
            if lease is not None and lease.pid != os.getpid():
                _INHERITED.append(lease)  # a forked child never closes its parent's connection
            lease = local.lease = _Lease(self._connect())
            self._leases.add(lease)
            return lease.db  # type: ignore[return-value]
        return self._connect()

    def _connect(self) -> PoolProxiedConnection:
        if self._owns_engine and self._pid != os.getpid():
            # forked: the pooled connections belong to the parent (SQLAlchemy's advice)
            self.engine.dispose(close=False)
            self._pid = os.getpid()
        try:
            return self.engine.raw_connection()
        except DBAPIError as exc:
            raise _store_error(exc) from exc

    def _checkin(self, db: PoolProxiedConnection) -> None:
        if self._local is None:
            db.close()

    def _discard_if_broken(self, db: PoolProxiedConnection, exc: BaseException) -> None:
        """Take a connection the server dropped out of the pool (as SQLAlchemy does)."""
        if self.engine.dialect.is_disconnect(exc, db.dbapi_connection, None):  # type: ignore[arg-type]
            db.invalidate(exc)
            if self._local is not None:
                self._local.lease = None

    @contextmanager
    def _ddl(self) -> Iterator[Connection]:
        """A SQLAlchemy connection in a write transaction, for schema work."""
        try:
            if self._host is not None:
                conn = self._host_connection()
                if self._sqlite:
                    _begin_immediate(conn)
                nested = (
                    conn.begin_nested() if isinstance(self._host, Connection) else self._host.begin_nested()
                )
                with nested:
                    yield conn
                return
            with self.engine.connect() as conn:
                if self._sqlite:
                    _begin_immediate(conn)
                yield conn
                conn.commit()
        except DBAPIError as exc:
            raise _store_error(exc) from exc

    def _prepare(self, create: bool) -> None:
        with self._ddl() as conn:
            if conn.dialect.name == "postgresql":
                # serialise schema creation between processes starting together
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7274031)")
            if not sa.inspect(conn).has_table(_meta.name):
                if not create:
                    raise StoreError(
                        f"no aftersales_core tables in {self._url()}; pass create=True to make them"
                    )
                metadata.create_all(conn)
                conn.execute(_meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
                conn.execute(_counters.insert().values(name="case", value=0))
                return
            row = self._sql.meta_get(conn, name="schema_version").fetchone()
            found = row[0] if row is not None else None
        if found != str(SCHEMA_VERSION):
            raise StoreError(
                f"the database has aftersales_core schema version {found!r}; this aftersales_core "
                f"knows version {SCHEMA_VERSION} only. Use a matching aftersales_core release "
                "(or migrate the database); nothing was changed"
            )

    # ------------------------------------------------------------------ the Store protocol
    def new_id(self, prefix: str, /) -> str:
        """A case id unique across processes: ``PREFIX-000042`` from a database
        counter (a sequence on PostgreSQL, a counter row on SQLite)."""
        sql = self._sql
        while True:
            if sql.next_number is not None:
                with self._reading() as db:
                    number = sql.next_number(db).fetchone()[0]
                    case_id = f"{prefix}-{number:06d}"
                    taken = sql.case_version(db, id=case_id).fetchone() is not None
            else:
                with self._writing() as db:
                    sql.counter_bump(db, name="case")
                    number = sql.counter_get(db, name="case").fetchone()[0]
                    case_id = f"{prefix}-{number:06d}"
                    taken = sql.case_version(db, id=case_id).fetchone() is not None
            if not taken:
                return case_id

    def load(self, case_id: str, /) -> Case:
        with self._reading() as db:
            row = self._sql.case_snapshot(db, id=case_id).fetchone()
        if row is None:
            raise CaseNotFound(case_id)
        text: str = row[0]
        cached = self._cache.get(case_id)
        if cached is not None and cached[0] == text:
            return cached[1]
        case = codec.loads_case(text)
        self._remember(case_id, text, case)
        return case

    def _remember(self, case_id: str, text: str, case: Case) -> None:
        cache = self._cache
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[case_id] = (text, case)

    def events(self, case_id: str, /) -> Sequence[Event]:
        with self._reading() as db:
            rows = self._sql.event_bodies(db, id=case_id).fetchall()
        if not rows:
            raise CaseNotFound(case_id)
        return tuple(codec.loads_event(body) for (body,) in rows)

    def append(
        self, case: Case, events: Sequence[Event], /, *, expected_version: int, key: str | None = None
    ) -> None:
        """Store ``events`` and the snapshot ``case`` in one transaction (see the module doc)."""
        if key is not None and len(key) > _MAX_KEY:
            raise InvalidInput("key", f"an idempotency key has at most {_MAX_KEY} characters, not {len(key)}")
        # everything that can fail on the Python side happens before the transaction
        instant = self._instant
        snapshot = codec.dumps_case(case)
        event_rows = [
            {
                "case_id": case.id,
                "seq": e.seq,
                "trigger": e.trigger,
                "at": instant(e.at),
                "body": codec.dumps_event(e),
            }
            for e in events
        ]
        outbox_rows = [{"case_id": case.id, "seq": e.seq} for e in events]
        reindex = expected_version == 0 or any(e.deadlines for e in events)
        # the index rows to rewrite: all of a new case's, else those the events changed
        changed = None if expected_version == 0 or not reindex else {n for e in events for n in e.deadlines}
        deadline_rows = (
            [
                {"case_id": case.id, "name": d.name, "due": instant(d.due), "body": codec.dumps(d)}
                for d in case.deadlines.values()
                if d.paused_since is None and (changed is None or d.name in changed)
            ]
            if reindex
            else []
        )
        row = {"state": case.state, "version": case.version, "snapshot": snapshot}
        if reindex:
            nxt = case.next_deadline
            row["next_due"] = instant(nxt.due) if nxt is not None else None
        sql = self._sql
        try:
            with self._writing() as db:
                if expected_version == 0:
                    sql.case_insert(db, id=case.id, kind=case.kind, **row)
                else:
                    update = sql.case_update_due if reindex else sql.case_update
                    if update(db, b_id=case.id, expected=expected_version, **row).rowcount != 1:
                        raise _Clash
                if len(event_rows) == 1:
                    sql.event_insert(db, **event_rows[0])
                    sql.outbox_insert(db, **outbox_rows[0])
                elif event_rows:
                    sql.event_insert.many(db, event_rows)
                    sql.outbox_insert.many(db, outbox_rows)
                if key is not None:
                    trigger = events[-1].trigger if events else ""
                    sql.key_insert(db, key=key, case_id=case.id, seq=case.version, trigger=trigger)
                if reindex:
                    for name in changed or ():  # each changed deadline: its row goes, a running one returns
                        sql.deadline_clear(db, id=case.id, name=name)
                    if len(deadline_rows) == 1:
                        sql.deadline_insert(db, **deadline_rows[0])
                    elif deadline_rows:
                        sql.deadline_insert.many(db, deadline_rows)
        except _Clash as clash:
            actual = self._version(case.id)
            if (
                clash.error is not None
                and actual == expected_version
                and (key is None or not self.lookup_key(key))
            ):
                # a constraint failed that no other writer explains: not a conflict to retry
                raise StoreError(f"the database refused case {case.id!r}: {clash.error}") from clash.error
            raise ConcurrencyConflict(case.id, expected_version, actual) from None
        self._remember(case.id, snapshot, case)

    def _version(self, case_id: str) -> int:
        with self._reading() as db:
            row = self._sql.case_version(db, id=case_id).fetchone()
        return int(row[0]) if row is not None else 0

    def lookup_key(self, key: str, /) -> KeyRecord | None:
        with self._reading() as db:
            row = self._sql.key_get(db, key=key).fetchone()
        return None if row is None else KeyRecord(key, row[0], row[1], row[2])

    def due(self, before: datetime, /) -> list[DueItem]:
        with self._reading() as db:
            rows = self._sql.due(db, before=self._instant(before)).fetchall()
        return [DueItem(cid, kind, state, codec.loads(body)) for cid, kind, state, body in rows]

    def case_ids(self, kind: str | None = None, /) -> Iterator[str]:
        with self._reading() as db:
            rows = (
                self._sql.case_ids(db) if kind is None else self._sql.case_ids_of(db, kind=kind)
            ).fetchall()
        return iter([cid for (cid,) in rows])

    # ------------------------------------------------------------------ the outbox
    def dispatch(self, subscriber: Subscriber, /, *, limit: int = 100) -> int:
        """Deliver up to ``limit`` pending outbox events to ``subscriber``, oldest
        first, and mark them done; returns how many were delivered.

        Call it after commit (from a worker loop or the host's scheduler); it uses
        its own transactions on the store's engine even on a joined store. Delivery
        is at least once: a crash between delivering and marking delivers again, so
        subscribers should be idempotent (``event.case_id``/``event.seq`` identify
        an event). If the subscriber raises, the events delivered before are
        marked done and the error propagates; the failed one stays pending.

        One dispatcher delivers in outbox order, so each case's events in their
        order. Several may run at once: on PostgreSQL they skip the rows another
        holds (sharing the work; across them the order is not kept), on SQLite
        they may deliver a row twice.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        store = self if self._host is None else SqlStore._view(self, None)
        sql = self._sql
        delivered: list[int] = []
        failure: BaseException | None = None

        def deliver(rows: Sequence[Any]) -> None:
            nonlocal failure
            for outbox_id, body in rows:
                try:
                    subscriber(codec.loads_event(body))
                except BaseException as exc:
                    failure = exc
                    return
                delivered.append(outbox_id)

        if self._sqlite:  # no row locks: read, deliver, then mark in a short write
            with store._reading() as db:
                rows = sql.outbox_pending(db, limit=limit).fetchall()
            deliver(rows)
            if delivered:
                with store._writing() as db:
                    sql.outbox_done.many(db, [{"b_id": i} for i in delivered])
        else:
            with store._writing() as db:  # rows stay locked (others skip them) until marked
                deliver(sql.outbox_pending(db, limit=limit).fetchall())
                if delivered:
                    sql.outbox_done.many(db, [{"b_id": i} for i in delivered])
        if failure is not None:
            raise failure
        return len(delivered)

    def pending(self) -> int:
        """How many outbox events wait for :meth:`dispatch`."""
        with self._reading() as db:
            return int(self._sql.outbox_count(db).fetchone()[0])


#: leases a forked child found in its thread-locals: kept, never closed
_INHERITED: list[_Lease] = []


class _Lease:
    """A connection one thread keeps for a store (SQLite file engines the store
    made). It goes back when the thread ends, the store closes or the process forks."""

    __slots__ = ("__weakref__", "db", "pid")

    def __init__(self, db: PoolProxiedConnection) -> None:
        self.db: PoolProxiedConnection | None = db
        self.pid = os.getpid()

    def release(self) -> None:
        db, self.db = self.db, None
        # never touch a parent's connection; at exit the driver may be gone already
        if db is not None and self.pid == os.getpid() and not sys.is_finalizing():
            with suppress(Exception):
                db.close()

    def __del__(self) -> None:
        self.release()


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file::memory:")
        and url.query.get("mode") != "memory"
    )


class _Clash(Exception):
    """A stale version, or a constraint failed (``error``): nothing was written (internal)."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__(error)
        self.error = error


def _begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock now, so concurrent writers queue on ``busy_timeout``
    instead of failing later; a transaction already under way is left as it is."""
    dbapi = conn.connection.dbapi_connection
    if not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _store_error(exc: DBAPIError) -> StoreError:
    return StoreError(f"the database refused the operation: {exc.orig!r}")


_SQLITE_PRAGMAS: dict[str, str | int] = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "busy_timeout": 30_000,
}


def _make_engine(url: str | URL, options: Mapping[str, Any], pragmas: Mapping[str, str | int]) -> Engine:
    parsed = sa.make_url(url)
    if _is_sqlite_file(parsed):
        # each thread keeps one connection (see _Lease): no pool to size or to wait for
        options = {"poolclass": NullPool, **options}
    engine = sa.create_engine(parsed, **options)
    if engine.dialect.name == "sqlite":
        settings = {**_SQLITE_PRAGMAS, **pragmas}
        for name, value in settings.items():
            if not name.isidentifier() or not str(value).replace("_", "").isalnum():
                raise StoreError(f"sqlite pragma {name}={value!r} is not a plain setting")

        @sa_event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # the store issues BEGIN IMMEDIATE itself; reads run without a transaction
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # busy_timeout first: switching to WAL may have to wait for another process
            for name in sorted(settings, key=lambda n: n != "busy_timeout"):
                cursor.execute(f"PRAGMA {name} = {settings[name]}")
            cursor.close()

    return engine


# --------------------------------------------------------------------------- retrying


def retrying(func: Callable[P, R], /, *, attempts: int = 5) -> Callable[P, R]:
    """Wrap ``func`` (typically ``desk.fire``) to call it again, up to ``attempts``
    times in all, when it raises :class:`ConcurrencyConflict`. ``Desk.fire`` reads
    the case afresh on every call, so a retry re-applies the trigger to the case as
    another worker left it (its guards are checked again)::

        fire = retrying(desk.fire, attempts=5)
        fire(case_id, "answer", actor=agent, answer="...", key="erp-msg-8812")

    A call that passes ``expected_version`` is not retried: the caller asked to
    fail when the case moved on.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except ConcurrencyConflict:
                if attempt == attempts or kwargs.get("expected_version") is not None:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return call

"""Several processes on one SQL store: no lost updates, no double applications, and a
worker killed in the middle of a fire leaves nothing partial (DESIGN §5).

The workers are this file run as a script (``python test_store_stress.py worker
...``), so they are real processes with their own connections. They fire a
``tally`` workflow defined here: every ``add`` reads the running total from the
case and writes it back, so a lost update shows as a wrong total and a double
application as a message counted twice.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from aftersales_core import CHINA_TZ, Actor, ConcurrencyConflict, Desk, FixedClock, Money, Role, replay
from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow
from aftersales_core.intake import Amount, Input, IntakeBase
from aftersales_core.store.sql import SqlStore, retrying
from postgres_server import pg_server, pg_url  # noqa: F401  (fixtures)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
AGENT = Actor("agent-1", Role.AGENT)
HERE = Path(__file__).resolve()

CASES = 4
WORKERS = 4
MESSAGES = 200


# ---------------------------------------------------------------------------- a read-modify-write workflow


class TallyIntake(IntakeBase):
    pass


class AddIn(Input):
    msg: str
    n: int = Field(ge=1)
    amount: Amount


def record_add(ctx: Context) -> None:
    data = ctx.input(AddIn)
    ctx.set("total", ctx.fact("total", 0) + data.n)
    ctx.set("amount", ctx.fact("amount", Money(0)) + Money(data.amount))
    ctx.set("applied", (*ctx.fact("applied", ()), data.msg))


TALLY = Workflow(
    "tally",
    zh="计数",
    en="tally",
    states=(StateDef("open", "进行中", "open"), StateDef("done", "完成", "done", final=True)),
    transitions=(
        TransitionDef("add", "open", None, "G-2", "累加", "add a message", input=AddIn, effect=record_add),
        TransitionDef("finish", "open", "done", "G-1", "完成", "finish"),
    ),
    intake=TallyIntake,
    id_prefix="TAL",
)


def tally_desk(store: SqlStore) -> Desk:
    return Desk(store=store, clock=FixedClock(MONDAY), workflows={"tally": TALLY})


def open_cases(url: str, n: int) -> list[str]:
    with SqlStore(url) as store:
        desk = tally_desk(store)
        return [
            desk.open("tally", actor=AGENT, customer={"id": f"C{i}"}, channel="online").id for i in range(n)
        ]


def message(i: int, case_ids: list[str]) -> dict[str, Any]:
    return {
        "case": case_ids[i % len(case_ids)],
        "msg": f"m{i:03d}",
        "n": i + 1,
        "amount": f"{i % 7}.0{i % 10}",
    }


# ---------------------------------------------------------------------------- worker processes


def worker_fire(url: str, deliveries: list[dict[str, Any]]) -> dict[str, int]:
    """Fire every delivery (a message may come twice), retrying on conflicts."""
    began = time.monotonic()
    with SqlStore(url, create=False) as store:
        conflicts = 0
        append = store.append

        def counting_append(*args: Any, **kwargs: Any) -> None:
            nonlocal conflicts
            try:
                append(*args, **kwargs)
            except ConcurrencyConflict:
                conflicts += 1
                raise

        store.append = counting_append  # type: ignore[method-assign]
        fire = retrying(tally_desk(store).fire, attempts=1000)
        for d in deliveries:
            fire(d["case"], "add", actor=AGENT, key=d["msg"], msg=d["msg"], n=d["n"], amount=d["amount"])
        return {
            "deliveries": len(deliveries),
            "conflicts": conflicts,
            "ms": int(1000 * (time.monotonic() - began)),
        }


def worker_hang(url: str, case_id: str) -> None:
    """Fire once, stopping for good inside the transaction, after the snapshot
    update and the event and outbox inserts, before the key and the commit."""
    with SqlStore(url, create=False) as store:
        statements = copy.copy(store._sql)
        insert = statements.outbox_insert

        def hang_after(db: Any, **values: Any) -> Any:
            result = insert(db, **values)
            print("inside", flush=True)
            time.sleep(120)
            return result

        statements.outbox_insert = hang_after  # type: ignore[assignment]
        store._sql = statements
        tally_desk(store).fire(case_id, "add", actor=AGENT, key="killed", msg="killed", n=1000, amount="1")


def worker_loop(url: str, case_ids: list[str], start: int) -> None:
    """Fire until killed."""
    with SqlStore(url, create=False) as store:
        fire = retrying(tally_desk(store).fire, attempts=1000)
        for i in range(start, start + 100_000):
            cid = case_ids[i % len(case_ids)]
            fire(cid, "add", actor=AGENT, key=f"loop-{i}", msg=f"loop-{i}", n=1, amount="0.01")
            print(i, flush=True)


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@contextmanager
def watchdog(proc: subprocess.Popen[str], seconds: float = 120) -> Iterator[None]:
    """Kill a worker that hangs where it should not, so reading its output ends."""
    timer = threading.Timer(seconds, proc.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


# ---------------------------------------------------------------------------- checks


def check_store(url: str) -> dict[str, Any]:
    """Every case equals the replay of its history; every event has its outbox row
    and nothing else is there; returns the snapshots."""
    with SqlStore(url, create=False) as store:
        snapshots = {}
        total_events = 0
        for cid in store.case_ids():
            case = store.load(cid)
            history = store.events(cid)
            assert [e.seq for e in history] == list(range(1, case.version + 1)), cid
            assert replay(history) == case, cid
            total_events += len(history)
            snapshots[cid] = (case, history)
        assert store.pending() == total_events  # one outbox row per event, none for unwritten ones
        return snapshots


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/stress.db"
    found: str = request.getfixturevalue("pg_url")
    return found


# ---------------------------------------------------------------------------- the tests


@pytest.mark.slow
def test_workers_delivering_every_message_twice_lose_and_double_nothing(url: str) -> None:
    case_ids = open_cases(url, CASES)
    messages = [message(i, case_ids) for i in range(MESSAGES)]
    deliveries = messages + messages  # at-least-once delivery: everything twice
    random.Random(8).shuffle(deliveries)
    shares = [deliveries[w::WORKERS] for w in range(WORKERS)]
    started = time.monotonic()
    workers = [spawn("fire", url, json.dumps(share)) for share in shares]
    stats = []
    for proc in workers:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
        stats.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.monotonic() - started
    assert sum(s["deliveries"] for s in stats) == 2 * MESSAGES

    snapshots = check_store(url)
    for cid in case_ids:
        case, history = snapshots[cid]
        mine = [m for m in messages if m["case"] == cid]
        assert case.version == 1 + len(mine)  # no lost update, nothing applied twice
        assert case.fact("total") == sum(m["n"] for m in mine)
        assert case.fact("amount") == Money(sum(Decimal(m["amount"]) for m in mine))
        assert Counter(case.fact("applied")) == Counter(m["msg"] for m in mine)
        assert sorted(e.key for e in history[1:]) == sorted(m["msg"] for m in mine)
    conflicts = sum(s["conflicts"] for s in stats)
    print(
        f"\n{url.split(':')[0]}: {2 * MESSAGES} deliveries by {WORKERS} processes in {elapsed:.1f} s, "
        f"{conflicts} conflicts retried"
    )


@pytest.mark.slow
def test_a_worker_killed_inside_a_fire_leaves_no_partial_case(url: str) -> None:
    (case_id,) = open_cases(url, 1)
    with SqlStore(url) as store:
        tally_desk(store).fire(case_id, "add", actor=AGENT, key="first", msg="first", n=1, amount="1")
        before = store.load(case_id)
    proc = spawn("hang", url, case_id)
    try:
        with watchdog(proc):
            assert proc.stdout is not None
            line = proc.stdout.readline()  # the worker is inside the transaction now
        assert line.strip() == "inside", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    snapshots = check_store(url)
    case, history = snapshots[case_id]
    assert case == before
    assert [e.key for e in history] == [None, "first"]
    with SqlStore(url) as store:
        assert store.lookup_key("killed") is None
        # the store goes on: the same message, redelivered, is applied once
        after = tally_desk(store).fire(
            case_id, "add", actor=AGENT, key="killed", msg="killed", n=1000, amount="1"
        )
        assert after.version == before.version + 1
        assert after.fact("total") == 1001
    check_store(url)


@pytest.mark.slow
def test_workers_killed_at_random_moments_leave_whole_cases(url: str) -> None:
    case_ids = open_cases(url, 2)
    rng = random.Random(2026)
    start = 0
    for _round in range(3):
        proc = spawn("loop", url, json.dumps(case_ids), str(start))
        assert proc.stdout is not None
        with watchdog(proc):
            for _ in range(rng.randint(5, 30)):  # let it get going, then kill it wherever it is
                if not proc.stdout.readline():
                    break
        time.sleep(rng.uniform(0, 0.02))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "the worker ended before it was killed"
        snapshots = check_store(url)
        for cid in case_ids:
            case, history = snapshots[cid]
            assert case.fact("total", 0) == len(history) - 1 == len(case.fact("applied", ()))
        start += 100_000


# ---------------------------------------------------------------------------- worker entry point


def main(argv: list[str]) -> int:
    mode, url = argv[0], argv[1]
    if mode == "fire":
        print(json.dumps(worker_fire(url, json.loads(argv[2]))), flush=True)
    elif mode == "hang":
        worker_hang(url, argv[2])
    elif mode == "loop":
        worker_loop(url, json.loads(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"unknown worker mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

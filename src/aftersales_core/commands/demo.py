"""``aftersales demo``: a simulated month of a textile company's after-sales desk.

::

    aftersales demo                      # 20 working days from 2026-03-02, seed 1
    aftersales demo --days 5 --seed 42 --db /tmp/month.sqlite --quiet
    aftersales demo --scripted           # the short scripted consultation demo

The simulation (:mod:`aftersales_core.simulation`) runs on an embedded SQLite
database, recreated each run (``aftersales-demo.sqlite`` in the current directory
unless ``--db`` names another file; a file that is not an aftersales database is
never overwritten), shows a progress bar, and ends with the KPI table
(:mod:`aftersales_core.reporting`) and where the database is, for ``aftersales
kpi --db``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aftersales_core.commands.kpi import one_line_errors, open_database, render
from aftersales_core.errors import StoreError

__all__ = ["DEFAULT_DB", "START", "register", "run"]

DEFAULT_DB = "aftersales-demo.sqlite"
#: The simulated month starts on Monday 2026-03-02, 08:30 China time.
START = (2026, 3, 2, 8, 30)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= 250:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 250 working days")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="simulate a month of the after-sales desk and print its KPIs",
        description=(
            "Simulate working days of a textile company's after-sales desk (all four case kinds, "
            "escalations, breaches, quotes, take-backs, returns of every remedy) on an embedded "
            "SQLite database, then print the KPI table."
        ),
    )
    one_line_errors(p)
    p.add_argument(
        "--days", type=_days, default=20, metavar="N", help="working days to simulate (default 20)"
    )
    p.add_argument("--seed", type=_seed, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument(
        "--db",
        default=DEFAULT_DB,
        metavar="FILE",
        help=f"SQLite file, recreated each run (default {DEFAULT_DB})",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar and no tables: only the summary line"
    )
    p.add_argument("--scripted", action="store_true", help="run the short scripted consultation demo instead")
    p.set_defaults(func=run)


def _is_aftersales_db(path: Path) -> bool:
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'aftersales_meta'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None


def _fresh(path: Path) -> None:
    """Remove the previous demo database at ``path`` (never another kind of file)."""
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path} is not a file; give --db a file name")
        if path.stat().st_size and not _is_aftersales_db(path):
            raise StoreError(f"{path} exists and is not an aftersales database; give --db another file")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def _progress(days: int, quiet: bool) -> Iterator[Callable[[int, int, date], None] | None]:
    if quiet:
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:
        tty = sys.stderr.isatty()

        def plain(done: int, total: int, day: date) -> None:
            if tty:
                end = "\n" if done == total else ""
                sys.stderr.write(f"\rsimulating working day {done}/{total} ({day.isoformat()}){end}")
                sys.stderr.flush()

        yield plain
        return
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("working days  {task.fields[day]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("days", total=days, day="")

        def update(done: int, total: int, day: date) -> None:
            bar.update(task, completed=done, day=day.isoformat())

        yield update


def run(args: argparse.Namespace) -> int:
    if args.scripted:
        from aftersales_core.demo import run_demo

        return run_demo(out=sys.stdout)
    from aftersales_core.clock import CHINA_TZ, FixedClock
    from aftersales_core.desk import Desk
    from aftersales_core.reporting import faq_candidates, kpis
    from aftersales_core.simulation import simulate

    path = Path(args.db)
    _fresh(path)
    store = open_database(path, create=True)
    try:
        desk = Desk(store=store, clock=FixedClock(datetime(*START, tzinfo=CHINA_TZ)))
        with _progress(args.days, args.quiet) as progress:
            result = simulate(desk, args.days, args.seed, progress)
        table = kpis(store, desk.calendar)
        faq = faq_candidates(store, limit=5)
    finally:
        store.close()
    out = sys.stdout
    opened = ", ".join(f"{n} {kind}s" for kind, n in result.opened.items())
    summary = (
        f"Simulated {result.days} working days ({result.first_day.isoformat()} to "
        f"{result.last_day.isoformat()}, seed {result.seed}): {result.cases} cases ({opened}), "
        f"{result.events} events, {result.breaches} deadline breaches recorded."
    )
    if not args.quiet:
        out.write(summary + "\n")
        out.write("Paths taken:\n")
        by_kind: dict[str, list[str]] = {}
        for name, n in result.paths.items():
            kind, _, path_name = name.partition(".")
            by_kind.setdefault(kind, []).append(f"{path_name.replace('_', ' ')} {n}")
        for kind, taken in by_kind.items():
            lines = [""]
            for item in taken:  # wrap between items, never inside one
                if lines[-1] and len(lines[-1]) + len(item) > 90:
                    lines.append("")
                lines[-1] += f"{item}, "
            text = f"\n{'':16}".join(line.rstrip() for line in lines).rstrip(",")
            out.write(f"  {kind + ':':<14}{text}\n")
        out.write("\n")
        render(table, faq, out)
    for error in result.errors[:3]:
        sys.stderr.write(f"aftersales demo: warning: a scripted step was refused: {error}\n")
    where = path.resolve()
    if args.quiet:
        out.write(summary + "\n")
    out.write(f"Database: {where}  (explore it: aftersales kpi --db {where} --by person)\n")
    return 0

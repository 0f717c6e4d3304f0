"""``aftersales kpi``: performance figures (G-8) and FAQ candidates (G-9) from a database.

::

    aftersales kpi --db aftersales-demo.sqlite
    aftersales kpi --db aftersales-demo.sqlite --from 2026-03-09 --to 2026-03-13 --by person
    aftersales kpi --db aftersales-demo.sqlite --json > kpis.json

The figures are those of :func:`aftersales_core.reporting.kpis` (the module doc
defines each one): cases opened from ``--from`` to ``--to`` (both days included),
as of the end of ``--to``. Tables use ``rich`` when it is installed (the ``cli``
extra), plain text otherwise. A missing or unreadable database, or a bad argument,
prints one line and exits 2. This module also holds what the other subcommands
share: :func:`one_line_errors`, :func:`open_database` and :func:`render`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from aftersales_core.errors import AfterSalesError, InvalidInput, StoreError
from aftersales_core.money import Money

if TYPE_CHECKING:
    from aftersales_core.reporting import FaqCandidate, KpiRow, KpiTable
    from aftersales_core.store.sql import SqlStore

__all__ = ["one_line_errors", "open_database", "read_database", "register", "render", "run"]


# --------------------------------------------------------------------------- shared by the commands


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser`` report a bad argument as one line on stderr and exit 2
    (argparse would print the whole usage first)."""

    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

    parse_known = parser.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        # an unknown option would otherwise be reported by the top-level parser, with its usage
        parsed, extras = parse_known(args, namespace)
        if extras:
            error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    # argparse offers no hook for either: the subcommand's parser is given these two methods
    parser.error = error  # type: ignore[method-assign]
    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]
    return parser


def iso_date(text: str) -> date:
    """An argparse type: a ``YYYY-MM-DD`` day."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-02") from None


def open_database(path: str | Path, *, create: bool = False) -> SqlStore:
    """The SQLite database at ``path`` as a store; ``StoreError`` (one line naming
    the file) when it is missing, not a file, or not an aftersales database."""
    try:
        from aftersales_core.store.sql import SqlStore
    except ImportError:  # pragma: no cover - the sql extra is part of every install we test
        raise StoreError("databases need the sql extra: pip install 'aftersales_core[sql]'") from None
    file = Path(path)
    if not create and not file.exists():
        raise StoreError(f"no database at {file}")
    if file.exists() and not file.is_file():
        raise StoreError(f"{file} is not a database file")
    try:
        return SqlStore(f"sqlite:///{file}", create=create)
    except StoreError as exc:
        if str(exc).startswith("no aftersales_core tables"):
            raise StoreError(
                f"{file} is not an aftersales database (it has no aftersales_core tables)"
            ) from None
        raise StoreError(f"cannot open {file}: {exc}") from None


@contextmanager
def read_database(path: str | Path) -> Iterator[SqlStore]:
    """Open the database for reading; any failure to read it becomes one ``StoreError`` line."""
    store = open_database(path)
    try:
        yield store
    except AfterSalesError:
        raise
    except (sqlite3.Error, ValueError, LookupError, TypeError) as exc:
        raise StoreError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            raise StoreError(f"cannot read {path}: {exc.__class__.__name__}") from None
        raise
    finally:
        store.close()


# --------------------------------------------------------------------------- rendering


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _yuan(value: Money) -> str:
    return f"{value.amount:,.2f}"


Column = tuple[str, Callable[["KpiRow"], str]]

SERVICE: tuple[Column, ...] = (
    ("cases", lambda r: str(r.cases)),
    ("open", lambda r: str(r.open)),
    ("resolved", lambda r: _pct(r.resolution_rate)),
    ("1st resp. (wd)", lambda r: _num(r.first_response_days)),
    ("resolution (wd)", lambda r: _num(r.resolution_days)),
    ("SLA met", lambda r: _pct(r.sla_compliance)),
    ("satisfaction", lambda r: _num(r.satisfaction)),
    ("escalated", lambda r: _pct(r.escalation_rate)),
)
ACCOUNTS: tuple[Column, ...] = (
    ("complaints", lambda r: str(r.complaints)),
    ("returns", lambda r: str(r.returns)),
    ("repair time", lambda r: _num(r.repair_time_score)),
    ("repair quality", lambda r: _num(r.repair_quality_score)),
    ("cost ¥", lambda r: _yuan(r.cost)),
    ("charged ¥", lambda r: _yuan(r.charge)),
    ("refunded ¥", lambda r: _yuan(r.refunds)),
)


def _window(table: KpiTable) -> str:
    if table.start is None and table.end is None:
        return "all cases"
    start = f"from {table.start.date().isoformat()}" if table.start else ""
    end = f"to {(table.end - timedelta(days=1)).date().isoformat()}" if table.end else ""
    return " ".join(("cases opened", start, end)).replace("  ", " ")


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401  (only asks whether the cli extra is installed)
    except ImportError:
        return False
    return True


def render(
    table: KpiTable, faq: Sequence[FaqCandidate], out: TextIO, *, use_rich: bool | None = None
) -> None:
    """Print the KPI table (two parts: service figures, then what counts against
    each group with repair scores and money) and the FAQ candidates."""
    by = table.by
    parts: list[tuple[str, list[str], list[list[str]]]] = []
    for title, columns in (
        (f"Service by {by} (G-8), {_window(table)}", SERVICE),
        (f"Complaints, returns, repair reviews and money by {by} (G-8, FIN-2)", ACCOUNTS),
    ):
        headers = [by, *(name for name, _ in columns)]
        rows = [[r.group, *(cell(r) for _, cell in columns)] for r in (*table.rows, table.total)]
        parts.append((title, headers, rows))
    if faq:
        parts.append(
            (
                "FAQ candidates (CON-3, G-9), most asked first",
                ["#", "topic", "asked", "marked", "example question"],
                [[str(i), f.topic, str(f.asked), str(f.flagged), f.example] for i, f in enumerate(faq, 1)],
            )
        )
    if use_rich is None:
        use_rich = _has_rich()
    if use_rich:
        _rich_tables(parts, out)
    else:
        for title, headers, rows in parts:
            _plain_table(title, headers, rows, out)


def _rich_tables(parts: Sequence[tuple[str, list[str], list[list[str]]]], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out)
    if not console.is_terminal:
        console = Console(file=out, width=140)
    for title, headers, rows in parts:
        grid = Table(title=title, title_justify="left", show_lines=False)
        for i, h in enumerate(headers):
            numeric = i > 0 and h not in ("topic", "example question")
            grid.add_column(h, justify="right" if numeric else "left", no_wrap=numeric or i == 0)
        totalled = bool(rows) and rows[-1][0] == "total"
        for n, row in enumerate(rows):
            grid.add_row(
                *row,
                style="bold" if totalled and n == len(rows) - 1 else None,
                end_section=totalled and n == len(rows) - 2,
            )
        console.print(grid)
        console.print()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _plain_table(title: str, headers: list[str], rows: list[list[str]], out: TextIO) -> None:
    widths = [max(_width(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    left = {0, *(i for i, h in enumerate(headers) if h in ("topic", "example question"))}

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (w - _width(cell))
            padded.append(cell + pad if i in left else pad + cell)
        return "  ".join(padded).rstrip()

    out.write(f"{title}\n{line(headers)}\n{'  '.join('-' * w for w in widths)}\n")
    for row in rows:
        out.write(line(row) + "\n")
    out.write("\n")


# --------------------------------------------------------------------------- the command


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "kpi",
        help="KPI table (G-8) and FAQ candidates (G-9) from a database",
        description="Performance figures per department or person, folded from the recorded events.",
    )
    one_line_errors(p)
    p.add_argument(
        "--db", required=True, metavar="FILE", help="the SQLite database (e.g. from `aftersales demo`)"
    )
    p.add_argument("--from", dest="start", type=iso_date, metavar="DATE", help="first day of the window")
    p.add_argument(
        "--to", dest="end", type=iso_date, metavar="DATE", help="last day of the window (included)"
    )
    p.add_argument("--by", choices=("department", "person"), default="department", help="group the cases by")
    p.add_argument("--json", action="store_true", help="print JSON (the export format) instead of tables")
    p.add_argument("--faq", type=int, default=8, metavar="N", help="FAQ candidates to list (default 8)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aftersales_core.calendar import ChinaCalendar
    from aftersales_core.reporting import faq_candidates, kpis

    start: date | None = args.start
    end: date | None = args.end + timedelta(days=1) if args.end is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("--to", f"{args.end.isoformat()} is before --from {start.isoformat()}")
    if args.faq < 0:
        raise InvalidInput("--faq", "must be 0 or more")
    with read_database(args.db) as store:
        table = kpis(store, ChinaCalendar(), start=start, end=end, by=args.by)
        faq = faq_candidates(store, start=start, end=end, limit=args.faq)
    if args.json:
        doc = {"kpis": table.to_dict(), "faq": [f.to_dict() for f in faq]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        render(table, faq, sys.stdout)
    return 0

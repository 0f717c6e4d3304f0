"""``aftersales whatif``: replay stored cases under another policy file and report what differs.

::

    aftersales whatif --db aftersales.db --policies warranty-18.toml
    aftersales whatif --db postgresql+psycopg://erp@db-host/erp --policies p.json --case REP-000017

Each stored history is re-handled under the file's policies (a file with several
versions: each event under the version in force at its time) and compared with
what was recorded: decisions changed, money facts (``cost``, ``charge``...) and
events the new rules would refuse (:mod:`aftersales_core.whatif`). Nothing is
written to the database. Needs the ``sql`` extra. Exit 0 with the report's
summary; a bad file, URL or case id prints one line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aftersales_core.errors import StoreError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "whatif", help="replay stored cases under another policy file and report what would differ"
    )
    p.add_argument(
        "--db",
        required=True,
        metavar="URL_OR_SQLITE_FILE",
        help="a SQLAlchemy database URL, or the path of an existing SQLite file",
    )
    p.add_argument("--policies", required=True, metavar="FILE", help="the policy file (.json or .toml)")
    p.add_argument(
        "--case",
        action="append",
        dest="cases",
        metavar="ID",
        help="replay only this case (repeatable; default: every stored case)",
    )
    p.set_defaults(func=run)


def _url(db: str) -> str:
    if "://" in db:
        return db
    path = Path(db)
    if not path.is_file():
        raise StoreError(f"no database file {db!r} (give an existing SQLite file or a database URL)")
    return f"sqlite:///{path.resolve()}"


def run(args: argparse.Namespace) -> int:
    from aftersales_core.policies import PolicySet
    from aftersales_core.policies.config import load_policies

    policies = load_policies(args.policies)  # a bad file stops here, before the database is opened
    url = _url(args.db)
    try:
        import sqlalchemy.exc
    except ImportError:
        raise StoreError(
            "the whatif command needs the sql extra: pip install 'aftersales_core[sql]'"
        ) from None
    try:
        return _replay(url, policies, args.cases, PolicySet(version="recorded"))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot read the database {args.db!r}: {first}") from None
    except ImportError as exc:  # a database driver that is not installed
        raise StoreError(f"cannot open the database {args.db!r}: {exc}") from None


def _replay(url: str, policies: Any, cases: list[str] | None, recorded: Any) -> int:
    from aftersales_core.desk import Desk
    from aftersales_core.store.sql import SqlStore
    from aftersales_core.whatif import what_if

    with SqlStore(url, create=False) as store:
        for case_id in cases or ():
            store.load(case_id)  # CaseNotFound for an unknown id
        # ``recorded`` only labels the report: the histories carry their own decisions
        desk = Desk(policies=recorded, store=store)
        try:
            report = what_if(desk, policies, cases)
        except KeyError as exc:
            raise StoreError(f"the database holds cases of an unknown kind: {exc}") from None
    print(report.summary())
    return 0

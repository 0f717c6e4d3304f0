"""The ``aftersales`` command.

``aftersales demo`` runs a short scripted day of consultations through a
:class:`~aftersales_core.Desk` and prints what happened and the deadlines it
computed. Bad arguments give one clear line and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aftersales_core.errors import AfterSalesError

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from aftersales_core.demo import run_demo

    return run_demo(out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aftersales", description="After-sales service desk (aftersales_core)."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="run a scripted demo of the service desk")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AfterSalesError as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``aftersales`` command.

Each subcommand lives in its own module under :mod:`aftersales_core.commands`
with ``register(subparsers)``; this module only assembles them. Errors the
library raises, bad files and bad arguments print one clear line to stderr and
exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from aftersales_core.errors import AfterSalesError

__all__ = ["COMMANDS", "build_parser", "main"]

#: subcommand modules, in the order ``--help`` lists them
COMMANDS: tuple[str, ...] = ("demo", "kpi", "diagram", "policy", "whatif")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aftersales",
        description="After-sales service desk: consultations, complaints, repairs, returns.",
    )
    from aftersales_core.commands.kpi import one_line_errors

    one_line_errors(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"aftersales_core.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `aftersales policy schema | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0
    except (AfterSalesError, OSError) as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aftersales: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

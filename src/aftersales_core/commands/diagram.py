"""``aftersales diagram``: a workflow's Mermaid state diagram, generated from its definition.

::

    aftersales diagram complaint --lang zh          # print it
    aftersales diagram all --out docs/diagrams      # (re)write docs/diagrams/<kind>.<lang>.mmd

The files under ``docs/diagrams`` are exactly what this command prints, and a test
(``tests/test_diagram_files.py``) fails when one is out of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aftersales_core.commands.kpi import one_line_errors
from aftersales_core.workflows import BUILTIN_KINDS

__all__ = ["LANGS", "REGENERATE", "diagram_files", "register", "run"]

LANGS: tuple[str, ...] = ("en", "zh")
#: How to bring ``docs/diagrams`` up to date.
REGENERATE = "aftersales diagram all --out docs/diagrams"


def diagram_files(
    kinds: Iterable[str] = BUILTIN_KINDS, langs: Iterable[str] = LANGS, *, internal: bool = False
) -> dict[str, str]:
    """``{"<kind>.<lang>.mmd": mermaid text}`` for each workflow and language."""
    from aftersales_core.diagrams import mermaid
    from aftersales_core.workflows import get_workflow

    langs = tuple(langs)
    return {
        f"{kind}.{lang}.mmd": mermaid(get_workflow(kind), lang=lang, internal=internal)
        for kind in kinds
        for lang in langs
    }


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "diagram",
        help="print a workflow's Mermaid state diagram",
        description="Mermaid stateDiagram-v2 of a workflow, generated from its definition.",
    )
    one_line_errors(p)
    p.add_argument(
        "kind", metavar="KIND", choices=(*BUILTIN_KINDS, "all"), help=f"{', '.join(BUILTIN_KINDS)} or all"
    )
    p.add_argument("--lang", choices=LANGS, help="label language (default en; with --out both)")
    p.add_argument("--internal", action="store_true", help="list internal transitions as notes")
    p.add_argument("--out", metavar="DIR", help="write <kind>.<lang>.mmd files into DIR instead of printing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    kinds = BUILTIN_KINDS if args.kind == "all" else (args.kind,)
    if args.out is None:
        files = diagram_files(kinds, (args.lang or "en",), internal=args.internal)
        for name, text in files.items():
            if len(files) > 1:
                sys.stdout.write(f"%% {name}\n")
            sys.stdout.write(text)
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = diagram_files(kinds, (args.lang,) if args.lang else LANGS, internal=args.internal)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")
    return 0

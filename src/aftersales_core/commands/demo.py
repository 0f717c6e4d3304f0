"""``aftersales demo``: a scripted run of consultations through the desk."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("demo", help="run a demo of the service desk")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aftersales_core.demo import run_demo

    return run_demo(out=sys.stdout)

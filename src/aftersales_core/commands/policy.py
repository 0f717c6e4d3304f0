"""``aftersales policy``: check a policy file, print its JSON Schema or the SPEC defaults.

::

    aftersales policy check policies.toml   # ok: acme-2026.2 (2 version(s))
    aftersales policy schema > policy-file.schema.json
    aftersales policy defaults > policies.json

A file with a mistake prints one line naming the file, the key path and the reason
(``aftersales: policies.json: routing.rules[3].department: unknown department
'qa'; ...``) and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "policy", help="check a policy file, print its JSON Schema or the SPEC defaults"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate a policy file (.json or .toml)")
    check.add_argument("file", metavar="FILE", help="the policy file")
    check.set_defaults(func=run_check)
    schema = actions.add_parser("schema", help="print the JSON Schema of a policy file")
    schema.set_defaults(func=run_schema)
    defaults = actions.add_parser("defaults", help="print the SPEC defaults as a policy file")
    defaults.set_defaults(func=run_defaults)


def run_check(args: argparse.Namespace) -> int:
    from aftersales_core.policies import PolicyVersions
    from aftersales_core.policies.config import load_policies

    policies = load_policies(args.file)
    if isinstance(policies, PolicyVersions):
        print(f"ok: {policies.version} ({len(policies.versions)} version(s))")
        for effective, ps in policies.versions:
            print(f"  {ps.version}: effective {effective.isoformat()}")
    else:
        print(f"ok: {policies.version} (1 version(s))")
    return 0


def run_schema(args: argparse.Namespace) -> int:
    from aftersales_core.policies.config import policy_schema

    json.dump(policy_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def run_defaults(args: argparse.Namespace) -> int:
    from aftersales_core.policies.config import DEFAULTS_FILE

    sys.stdout.write(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return 0

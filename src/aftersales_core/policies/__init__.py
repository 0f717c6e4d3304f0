"""Business rules as pluggable policy objects (DESIGN §4).

:class:`PolicySet` holds one policy per slot. Every slot defaults to the built-in
policy configured with the SPEC's numbers; replace any slot with your own object
or plain function::

    from aftersales_core.policies import PolicySet
    policies = PolicySet(version="acme-2026.1", sla=my_sla)
"""

from __future__ import annotations

from typing import Any

import attrs

from aftersales_core.policies.base import Composable, FirstMatch, decide
from aftersales_core.policies.permissions import (
    PermissionPolicy,
    PermissionRequest,
    PermissionTable,
    Permit,
    default_permissions,
)
from aftersales_core.policies.sla import SlaPolicy, SlaRequest, SlaTable, Target, default_sla

__all__ = [
    "Composable",
    "FirstMatch",
    "PermissionPolicy",
    "PermissionRequest",
    "PermissionTable",
    "Permit",
    "PolicySet",
    "SlaPolicy",
    "SlaRequest",
    "SlaTable",
    "Target",
    "decide",
    "default_permissions",
    "default_sla",
]


@attrs.frozen
class PolicySet:
    """One policy per slot, and the version every decision records."""

    version: str = "spec-defaults-1"
    permissions: PermissionPolicy = attrs.field(factory=default_permissions)
    sla: SlaPolicy = attrs.field(factory=default_sla)
    # -- slots added by the workflow modules (one line each) --

    def replace(self, **slots: Any) -> PolicySet:
        """A copy with some slots replaced (and, typically, a new ``version``)."""
        return attrs.evolve(self, **slots)

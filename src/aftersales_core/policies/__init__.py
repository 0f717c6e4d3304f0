"""Business rules as pluggable policy objects (DESIGN §4).

:class:`PolicySet` holds one policy per slot. Every slot defaults to the built-in
policy configured with the SPEC's numbers; replace any slot with your own object
or plain function::

    from aftersales_core.policies import PolicySet
    policies = PolicySet(version="acme-2026.1", sla=my_sla)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from aftersales_core.policies.base import Composable, FirstMatch, decide
from aftersales_core.policies.escalation import (
    DEFAULT_LADDER,
    EscalationCause,
    EscalationLadder,
    EscalationPolicy,
    EscalationRequest,
    Level,
    default_escalation,
)
from aftersales_core.policies.fees import (
    FeeBasis,
    FeeItem,
    FeeLine,
    FeePolicy,
    FeeRequest,
    FeeSchedule,
    LineKind,
    PricedLine,
    default_fees,
    price_line,
)
from aftersales_core.policies.permissions import (
    PermissionPolicy,
    PermissionRequest,
    PermissionTable,
    Permit,
    default_permissions,
)
from aftersales_core.policies.promotion import (
    IndividualAfter,
    Promotion,
    PromotionPolicy,
    PromotionRequest,
    RiskFlag,
    SpecialOnRisk,
    default_promotion,
)
from aftersales_core.policies.returns import (
    EligibilityPolicy,
    EligibilityRequest,
    Finding,
    FindingRule,
    FindingTable,
    InspectionPolicy,
    InspectionRequest,
    Problem,
    Remedy,
    ReturnLadder,
    ReturnRules,
    ReturnsPolicy,
    Rung,
    Severity,
    default_findings,
    default_returns,
    three_guarantees,
)
from aftersales_core.policies.routing import (
    ANY_PARTNER,
    DEFAULT_ROUTES,
    Category,
    DefaultRoute,
    Route,
    RoutingPolicy,
    RoutingRequest,
    RoutingTable,
    default_routing,
)
from aftersales_core.policies.settlement import (
    CollectOnSiteBelow,
    SettlementMethod,
    SettlementPolicy,
    SettlementRequest,
    default_settlement,
)
from aftersales_core.policies.sla import SlaPolicy, SlaRequest, SlaTable, Target, default_sla
from aftersales_core.policies.warranty import (
    WHOLE_PRODUCT,
    MaintenanceAgreement,
    WarrantyBasis,
    WarrantyPolicy,
    WarrantyPromotion,
    WarrantyRequest,
    WarrantyTable,
    decide_warranty,
    default_warranty,
)

if TYPE_CHECKING:
    from aftersales_core.policies.config import dump_policies, load_policies, policy_schema, write_policies

__all__ = [
    "ANY_PARTNER",
    "DEFAULT_LADDER",
    "DEFAULT_ROUTES",
    "WHOLE_PRODUCT",
    "Category",
    "CollectOnSiteBelow",
    "Composable",
    "DefaultRoute",
    "EligibilityPolicy",
    "EligibilityRequest",
    "EscalationCause",
    "EscalationLadder",
    "EscalationPolicy",
    "EscalationRequest",
    "FeeBasis",
    "FeeItem",
    "FeeLine",
    "FeePolicy",
    "FeeRequest",
    "FeeSchedule",
    "Finding",
    "FindingRule",
    "FindingTable",
    "FirstMatch",
    "IndividualAfter",
    "InspectionPolicy",
    "InspectionRequest",
    "Level",
    "LineKind",
    "MaintenanceAgreement",
    "PermissionPolicy",
    "PermissionRequest",
    "PermissionTable",
    "Permit",
    "PolicySet",
    "PolicyVersions",
    "PricedLine",
    "Problem",
    "Promotion",
    "PromotionPolicy",
    "PromotionRequest",
    "Remedy",
    "ReturnLadder",
    "ReturnRules",
    "ReturnsPolicy",
    "RiskFlag",
    "Route",
    "RoutingPolicy",
    "RoutingRequest",
    "RoutingTable",
    "Rung",
    "SettlementMethod",
    "SettlementPolicy",
    "SettlementRequest",
    "Severity",
    "SlaPolicy",
    "SlaRequest",
    "SlaTable",
    "SpecialOnRisk",
    "Target",
    "WarrantyBasis",
    "WarrantyPolicy",
    "WarrantyPromotion",
    "WarrantyRequest",
    "WarrantyTable",
    "decide",
    "decide_warranty",
    "default_escalation",
    "default_fees",
    "default_findings",
    "default_permissions",
    "default_promotion",
    "default_returns",
    "default_routing",
    "default_settlement",
    "default_sla",
    "default_warranty",
    "dump_policies",
    "load_policies",
    "policy_schema",
    "price_line",
    "three_guarantees",
    "write_policies",
]

# Policy files (pydantic models of every section) load on first use (PEP 562), so
# that importing the policies stays cheap.
_CONFIG = frozenset({"dump_policies", "load_policies", "policy_schema", "write_policies"})


def __getattr__(name: str) -> Any:
    if name not in _CONFIG:
        raise AttributeError(f"module 'aftersales_core.policies' has no attribute {name!r}")
    from aftersales_core.policies import config

    value = getattr(config, name)
    globals()[name] = value
    return value


@attrs.frozen
class PolicySet:
    """One policy per slot, and the version every decision records."""

    version: str = "spec-defaults-1"
    permissions: PermissionPolicy = attrs.field(factory=default_permissions)
    sla: SlaPolicy = attrs.field(factory=default_sla)
    # -- slots added by the workflow modules (one line each) --
    returns: ReturnsPolicy = attrs.field(factory=default_returns)
    routing: RoutingPolicy = attrs.field(factory=default_routing)
    escalation: EscalationPolicy = attrs.field(factory=default_escalation)
    promotion: PromotionPolicy = attrs.field(factory=default_promotion)
    warranty: WarrantyPolicy = attrs.field(factory=default_warranty)
    fees: FeePolicy = attrs.field(factory=default_fees)
    settlement: SettlementPolicy = attrs.field(factory=default_settlement)

    def replace(self, **slots: Any) -> PolicySet:
        """A copy with some slots replaced (and, typically, a new ``version``)."""
        return attrs.evolve(self, **slots)


def _versions(value: Any) -> tuple[tuple[datetime, PolicySet], ...]:
    return tuple(sorted(((when, ps) for when, ps in value), key=lambda pair: pair[0]))


@attrs.frozen
class PolicyVersions:
    """Policy sets with the instants they take effect.

    A case is decided under the version in force when the deciding event
    happened; a later version never changes decisions already recorded (they are
    in the events). ``Desk(policies=PolicyVersions(...))`` picks the version per
    event::

        PolicyVersions([(datetime(2026, 1, 1, tzinfo=CHINA_TZ), v1),
                        (datetime(2026, 7, 1, tzinfo=CHINA_TZ), v2)])
    """

    versions: tuple[tuple[datetime, PolicySet], ...] = attrs.field(converter=_versions)

    def __attrs_post_init__(self) -> None:
        from aftersales_core.errors import PolicyConfigError

        if not self.versions:
            raise PolicyConfigError("versions", "at least one policy version is needed")
        names = [ps.version for _, ps in self.versions]
        for i, (when, ps) in enumerate(self.versions):
            if when.tzinfo is None:
                raise PolicyConfigError(f"versions[{i}].effective", "needs a timezone-aware instant")
            if not isinstance(ps, PolicySet):
                raise PolicyConfigError(f"versions[{i}]", f"expected a PolicySet, got {type(ps).__name__}")
        if len(set(names)) != len(names):
            raise PolicyConfigError("versions", f"version names must be unique: {names}")

    @property
    def latest(self) -> PolicySet:
        return self.versions[-1][1]

    @property
    def version(self) -> str:
        return self.latest.version

    def at(self, when: datetime) -> PolicySet:
        """The version in force at ``when`` (the first one before it takes effect)."""
        chosen = self.versions[0][1]
        for effective, ps in self.versions:
            if effective <= when:
                chosen = ps
            else:
                break
        return chosen

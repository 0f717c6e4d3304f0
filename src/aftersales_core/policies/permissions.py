"""Who may do what (G-7).

:class:`PermissionTable` holds :class:`Permit` rows; the first row that matches
the case kind, trigger and (optionally) a case flag names the roles that may fire
it. Triggers that no row names are open to every human role (agents record
requests). ``amount_limits`` cap what a role may approve (RET-3 compensation,
REP-13 valuable parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import attrs

from aftersales_core.events import Decision
from aftersales_core.model import Actor, Role
from aftersales_core.money import Money
from aftersales_core.policies.base import decide

if TYPE_CHECKING:
    from aftersales_core.model import Case

__all__ = [
    "HUMAN_ROLES",
    "SUPERVISORS",
    "PermissionPolicy",
    "PermissionRequest",
    "PermissionTable",
    "Permit",
    "default_permissions",
]

HUMAN_ROLES: frozenset[Role] = frozenset(r for r in Role if r is not Role.SYSTEM)
SUPERVISORS: frozenset[Role] = frozenset(r for r in Role if r.is_supervisor_or_above)
MANAGERS: frozenset[Role] = frozenset({Role.MANAGER, Role.LEADERSHIP})
_SYSTEM = Role.SYSTEM  # a module global: reading an enum member off its class is slow


@attrs.frozen
class PermissionRequest:
    actor: Actor
    kind: str
    trigger: str
    case: Case | None = None


class PermissionPolicy(Protocol):
    """Decides whether ``request.actor`` may fire ``request.trigger``; result is a bool."""

    def __call__(self, request: PermissionRequest, /) -> Decision: ...

    def limit_for(self, role: Role, what: str, /) -> Money | None:
        """The largest amount ``role`` may approve for ``what`` (None: no limit)."""
        ...


def _sorted_roles(roles: frozenset[Role]) -> str:
    return "frozenset({" + ", ".join(repr(r) for r in sorted(roles)) + "})"


def _roles(value: object) -> frozenset[Role]:
    if isinstance(value, str):
        return frozenset({Role(value)})
    return frozenset(Role(v) for v in value)  # type: ignore[attr-defined]


@attrs.frozen
class Permit:
    """Only ``roles`` may fire ``trigger`` on cases of ``kind`` (``"*"``: any kind),
    when the case carries ``flag`` (if given)."""

    trigger: str
    # sorted in the repr: it is a decision's source text, which must not depend on set order
    roles: frozenset[Role] = attrs.field(converter=_roles, repr=_sorted_roles)
    kind: str = "*"
    flag: str | None = None
    rule: str = "G-7"

    def matches(self, request: PermissionRequest) -> bool:
        if self.trigger != request.trigger or self.kind not in ("*", request.kind):
            return False
        if self.flag is None:
            return True
        return request.case is not None and self.flag in request.case.flags


def _limits(value: Mapping[str, Mapping[str, object]] | None) -> dict[str, dict[Role, Money]]:
    out: dict[str, dict[Role, Money]] = {}
    for what, per_role in (value or {}).items():
        out[what] = {
            Role(r): Money(v if isinstance(v, Decimal | int | str | Money) else str(v))
            for r, v in per_role.items()
        }
    return out


def _permits(value: Iterable[Permit]) -> tuple[Permit, ...]:
    return tuple(value)


def _triggers(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class PermissionTable:
    """First matching :class:`Permit` decides; unnamed triggers are open to humans."""

    permits: tuple[Permit, ...] = attrs.field(converter=_permits, default=())
    amount_limits: Mapping[str, Mapping[Role, Money]] = attrs.field(factory=dict, converter=_limits)
    system_triggers: frozenset[str] = attrs.field(default=frozenset({"breach"}), converter=_triggers)
    # (kind, trigger) -> the rows that may apply, and prebuilt decisions: the table is
    # immutable, so both are computed once (this check runs on every fire).
    _rows: dict[tuple[str, str], tuple[tuple[int, Permit], ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )
    _decisions: dict[tuple[int, bool], Decision] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __call__(self, request: PermissionRequest, /) -> Decision:
        return self.check(request.actor, request.kind, request.trigger, request.case)

    def check(self, actor: Actor, kind: str, trigger: str, case: Case | None = None, /) -> Decision:
        """The decision for one request, without building a :class:`PermissionRequest`
        (the desk calls this directly on every fire when the slot holds a table)."""
        role = actor.role
        if role is not _SYSTEM and trigger not in self.system_triggers:
            key = (kind, trigger)
            rows = self._rows.get(key)
            if rows is None:
                rows = self._rows[key] = tuple(
                    (i, p)
                    for i, p in enumerate(self.permits)
                    if p.trigger == trigger and p.kind in ("*", kind)
                )
            for i, permit in rows:
                if permit.flag is None or (case is not None and permit.flag in case.flags):
                    return self._decision(i, role in permit.roles)
            found = self._decisions.get((-1, True))
            return found if found is not None else self._decision(-1, True)
        if role is _SYSTEM:
            ok = trigger in self.system_triggers
            return decide(
                "permissions",
                "G-7",
                ok,
                "the system fires only time-based triggers" if not ok else "system trigger",
                source="system_triggers",
            )
        return decide(
            "permissions",
            "G-7",
            False,
            f"{trigger} is fired by the system only",
            source="system_triggers",
        )

    def _decision(self, index: int, ok: bool) -> Decision:
        found = self._decisions.get((index, ok))
        if found is None:
            if index < 0:
                found = decide("permissions", "G-7", True, "open to every role", source="default")
            else:
                permit = self.permits[index]
                who = ", ".join(sorted(r.value for r in permit.roles))
                reason = f"{permit.trigger} is reserved to: {who}"
                found = decide("permissions", permit.rule, ok, reason, source=permit)
            self._decisions[(index, ok)] = found
        return found

    def limit_for(self, role: Role, what: str, /) -> Money | None:
        per_role = self.amount_limits.get(what)
        if per_role is None:
            return None
        return per_role.get(role, Money(0))


def default_permissions() -> PermissionTable:
    """G-7 defaults: supervisors assess, assign, dispatch and review; managers
    decide on special cases; compensation limits per role (CNY)."""
    sup = SUPERVISORS
    return PermissionTable(
        permits=(
            Permit("cancel", MANAGERS, kind="complaint", flag="special", rule="CPL-4"),
            Permit("review", sup),
            Permit("reroute", sup, kind="complaint"),
            Permit("decide", sup, kind="complaint", rule="CPL-6"),
            Permit("promote_special", sup | {Role.AGENT}, kind="complaint", rule="CPL-4"),
            Permit(
                "dispatch",
                {Role.SERVICE_SUPERVISOR, Role.TECH_SUPERVISOR, Role.MANAGER},
                kind="repair",
                rule="REP-5",
            ),
            Permit("approve_part", sup, kind="repair", rule="REP-13"),
            Permit("approve", sup, kind="return", rule="RET-2"),
            Permit("reject", sup, kind="return", rule="RET-2"),
            Permit("receive_goods", {Role.WAREHOUSE} | sup, kind="return", rule="RET-2"),
            Permit("refund", {Role.FINANCE} | sup, kind="return", rule="RET-2"),
            Permit("ship_exchange", {Role.WAREHOUSE} | sup, kind="return", rule="RET-2"),
            Permit("approve_compensation", sup, kind="return", rule="RET-3"),
        ),
        amount_limits={
            "compensation": {
                "agent": "0",
                "cs_supervisor": "2000",
                "service_supervisor": "2000",
                "tech_supervisor": "2000",
                "manager": "20000",
                "leadership": "1000000",
            },
            "part": {
                "technician": "500",
                "engineer": "500",
                "service_supervisor": "5000",
                "tech_supervisor": "5000",
                "manager": "50000",
                "leadership": "1000000",
            },
        },
    )

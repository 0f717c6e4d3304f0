"""Complaints (投诉), SPEC §3: CPL-1..7 with the closed loop of G-1.

::

    received ─route─▶ routed ─start─▶ investigating ─propose_resolution─▶ resolution_proposed
                        ▲    reroute      │     ▲        customer_rejects          │
                        └─────────────────┘     └──────────────────────────────────┤
                                                                                   │ customer_accepts
                                                                                   ▼ or decide
                          reviewed ◀─review─ closed ◀─record_feedback─ resolved ◀──┘

    decide (CPL-6) also settles a dispute from investigating once a resolution was proposed;
    in every open state: escalate, promote_special, breach (the case stays), cancel ─▶ cancelled

Intake (CPL-1) records customer, channel, product (if any), category,
description, partner and risk flags, names an owner (the intake actor unless
``owner`` is given) and starts two deadlines from the SLA policy: ``response``
(``complaint.response``, met by ``route`` or ``start``) and ``resolution``
(``complaint.resolution``, met when the complaint is resolved — by the
customer's acceptance or an authorised decision, CPL-6). A special case (CPL-4)
sets the fact ``priority`` to ``"urgent"`` and restarts ``resolution`` under the
``complaint.resolution@urgent`` target.

The policies asked, each recorded as a decision with its rule and reason:

* routing (CPL-2) on ``route`` — facts ``department`` and ``routing_rule`` (the
  row that matched);
* escalation (CPL-3) at intake, on ``escalate`` and on a ``breach`` (fired by
  ``Desk.tick``) — facts ``level`` (0 = handler), ``level_name``, ``level_role``;
  an ``urgent`` intake is reported up at once;
* promotion (CPL-4, CPL-5) at intake, on ``promote_special`` and on
  ``customer_rejects`` — flags ``special`` / ``individual``.

Who may fire what is the permission policy's business (G-7): by default only a
supervisor or above may ``reroute``, ``decide`` or ``review``, and only a manager
may ``cancel`` a special case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pydantic

from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow, guard
from aftersales_core.errors import InvalidInput, PolicyConfigError, RuleViolation
from aftersales_core.intake import Input, IntakeBase, Text
from aftersales_core.model import Priority
from aftersales_core.policies.base import decide
from aftersales_core.policies.escalation import EscalationCause, EscalationLadder, EscalationRequest
from aftersales_core.policies.promotion import Promotion, PromotionRequest, RiskFlag
from aftersales_core.policies.routing import Category, RoutingRequest, known_departments
from aftersales_core.workflows.common import BreachIn, FeedbackIn, breach_row, record_breach, record_feedback

__all__ = [
    "WORKFLOW",
    "CancelIn",
    "ComplaintIntake",
    "ComplaintReviewIn",
    "DecideIn",
    "EscalateIn",
    "PromoteIn",
    "ProposeIn",
    "RejectIn",
    "RerouteIn",
    "StartIn",
]


# ---------------------------------------------------------------- inputs


class ComplaintIntake(IntakeBase):
    """CPL-1: what a complaint records when it is received."""

    category: Category
    description: Text
    partner: str = ""  # intermediary / retailer concerned (CPL-2); else the customer's own
    risk_flags: tuple[RiskFlag, ...] = ()  # CPL-4: crisis, media, litigation, credibility
    urgent: bool = False  # CPL-3: report up at once
    owner: str = ""  # who is responsible (明确责任人); default: the intake actor

    @pydantic.field_validator("risk_flags")
    @classmethod
    def _unique(cls, v: tuple[RiskFlag, ...]) -> tuple[RiskFlag, ...]:
        return tuple(sorted(set(v)))


class RerouteIn(Input):
    department: Text
    reason: Text


class StartIn(Input):
    owner: str = ""  # the person in the department who takes it on
    note: str = ""


class ProposeIn(Input):
    remedy: Text  # e.g. "replace", "refund part", "re-train the installer"
    detail: str = ""


class RejectIn(Input):
    reason: Text


class DecideIn(Input):
    """CPL-6: an authorised role settles the dispute; the reason is recorded."""

    reason: Text
    remedy: str = ""  # default: the last proposed remedy


class EscalateIn(Input):
    reason: Text
    to: str | None = None  # a level name, e.g. "leadership"
    requested_by_customer: bool = False
    urgent: bool = False


class PromoteIn(Input):
    flag: RiskFlag
    note: str = ""


class ComplaintReviewIn(Input):
    """CPL-7 / G-8: analysis of a closed complaint."""

    root_cause: Text
    preventive_measures: Text
    responsible_department: Text  # the department the complaint counts against (G-8)
    notes: str = ""
    case_report: bool = False


class CancelIn(Input):
    reason: Text


class _Level(NamedTuple):
    level: int
    name: str
    role: str


def _level_of(result: Any) -> _Level:
    """Read an escalation decision's result ``{"level", "name", "role"}`` (CPL-3)."""
    if isinstance(result, dict | Mapping):  # dict first: Mapping is an ABC (slow to check)
        level, name, role = result.get("level"), result.get("name", ""), result.get("role", "")
        if type(level) is int and level >= 0 and isinstance(name, str) and isinstance(role, str):
            return _Level(level, name, role)
    raise PolicyConfigError(
        "escalation", f"a decision's result must be {{'level', 'name', 'role'}}, got {result!r}"
    )


# ---------------------------------------------------------------- policy helpers


def _routing_request(ctx: Context) -> RoutingRequest:
    case = ctx.case
    return RoutingRequest(
        category=case.intake["category"],
        channel=case.intake["channel"],
        product_line=case.product.line if case.product is not None else None,
        partner=case.intake.get("partner") or case.customer.partner,
        customer=case.customer.id,
    )


# module globals: reading an enum member off its class is slow, and these run on every open
_INTAKE, _URGENT, _BREACH = EscalationCause.INTAKE, EscalationCause.URGENT, EscalationCause.BREACH
_NORMAL = Priority.NORMAL.value


def _level(ctx: Context) -> int:
    return int(ctx.fact("level", 0))


def _ask_escalation(
    ctx: Context,
    level: int,
    cause: EscalationCause,
    to: str | None = None,
    reason: str = "",
    deadline: str | None = None,
) -> None:
    """Ask the escalation policy (CPL-3) and record the level it gives."""
    policy = ctx.policies.escalation
    if type(policy) is EscalationLadder:  # the built-in ladder answers without a request object
        decision = policy.decide_for(level, cause, to, reason, deadline)
    else:
        decision = policy(EscalationRequest(level, cause, to, reason, deadline))
    if decision is None:
        if cause is _BREACH:
            return  # the policy does not escalate on breaches
        raise PolicyConfigError(
            "escalation", f"the escalation policy gave no level for a {cause.value!r} request"
        )
    rung = _level_of(decision.result)
    current = _level(ctx)
    if cause is not _INTAKE:
        if rung.level < current:
            raise PolicyConfigError(
                "escalation", f"the policy lowered the level from {current} to {rung.level}"
            )
        if rung.level == current and cause is not _BREACH:
            raise RuleViolation("CPL-3", f"escalation must go up the ladder; the policy kept level {current}")
    ctx.record(decision)
    ctx.set("level", rung.level)
    ctx.set("level_name", rung.name)
    ctx.set("level_role", rung.role)


_PROMOTIONS = tuple((p, p.value) for p in Promotion)  # enum iteration is slow; this runs per open
_NONE: frozenset[Any] = frozenset()


def _promote(ctx: Context) -> None:
    """Ask the promotion policy (CPL-4, CPL-5) until it has nothing more to add."""
    flags = ctx.fact("risk_flags", ())
    risks = frozenset([RiskFlag(f) for f in flags]) if flags else _NONE
    rejections = int(ctx.fact("rejections", 0))
    for _ in _PROMOTIONS:
        flagged = ctx.case.flags or ctx.flags_on
        promoted = frozenset([p for p, value in _PROMOTIONS if ctx.has_flag(value)]) if flagged else _NONE
        decision = ctx.policies.promotion(PromotionRequest(risks, rejections, promoted))
        if decision is None:
            return
        try:
            promotion = Promotion(decision.result)
        except ValueError:
            raise PolicyConfigError(
                "promotion",
                f"a decision's result must be one of special, individual; got {decision.result!r}",
            ) from None
        if promotion in promoted:
            return
        ctx.record(decision)
        ctx.flag(promotion.value)
        if promotion is Promotion.SPECIAL:
            _make_urgent(ctx)


def _make_urgent(ctx: Context) -> None:
    """CPL-4: top priority; a running resolution deadline restarts under the urgent target."""
    ctx.set("priority", Priority.URGENT.value)
    if "resolution" in ctx.deadlines:
        breached = tuple(ctx.fact("breached", ()))
        if "resolution" in breached:  # the new deadline can be breached (and escalate) again
            ctx.set("breached", tuple(n for n in breached if n != "resolution"))
        ctx.start_deadline("resolution", stage="resolution")


def _check_department(ctx: Context, field: str, department: str) -> None:
    known = known_departments(ctx.policies.routing)
    if department not in known:
        raise InvalidInput(field, f"unknown department {department!r}; known: {', '.join(sorted(known))}")


# ---------------------------------------------------------------- guards


@guard("CPL-3", "the complaint is already at the top of the escalation ladder; it cannot go higher")
def below_top(ctx: Context) -> bool:
    try:
        probe = ctx.policies.escalation(EscalationRequest(_level(ctx), EscalationCause.MANUAL))
    except RuleViolation:
        return False
    return probe is not None


@guard("CPL-6", "no resolution has been proposed yet: propose one before deciding the dispute")
def disputed(ctx: Context) -> bool:
    return int(ctx.fact("proposals", 0)) > 0


# ---------------------------------------------------------------- effects


def on_open(ctx: Context) -> None:
    """CPL-1: owner, priority, risk flags, first level and deadlines."""
    data = ctx.input(ComplaintIntake)
    ctx.set("owner", data.owner or ctx.actor.id)
    ctx.set("priority", _NORMAL)
    ctx.set("risk_flags", tuple([f.value for f in data.risk_flags]))
    ctx.set("rejections", 0)
    ctx.set("proposals", 0)
    _promote(ctx)
    cause = _URGENT if data.urgent else _INTAKE
    _ask_escalation(ctx, 0, cause, reason="urgent at intake" if data.urgent else "")
    ctx.start_deadline("response", stage="response")
    ctx.start_deadline("resolution", stage="resolution")


def route_by_policy(ctx: Context) -> None:
    """CPL-2: the routing policy names the department; the response is given."""
    request = _routing_request(ctx)
    decision = ctx.policies.routing(request)
    if decision is None:
        raise PolicyConfigError(
            "routing",
            f"no routing rule decided for category {request.category.value!r}; end the routing "
            "chain with a RoutingTable or a DefaultRoute",
        )
    if not isinstance(decision.result, str) or not decision.result:
        raise PolicyConfigError(
            "routing", f"a routing decision's result is a department, got {decision.result!r}"
        )
    ctx.record(decision)
    ctx.set("department", decision.result)
    ctx.set("routing_rule", decision.source)
    if request.partner:
        ctx.set("partner", request.partner)  # CPL-2: coordinate with that partner
    ctx.clear_deadline("response")


def reroute(ctx: Context) -> None:
    """CPL-2 / G-7: a supervisor sends the complaint to another department."""
    data = ctx.input(RerouteIn)
    _check_department(ctx, "department", data.department)
    if data.department == ctx.fact("department"):
        raise RuleViolation("CPL-2", f"the complaint is already with {data.department!r}")
    ctx.record(
        decide(
            "routing",
            "CPL-2",
            data.department,
            f"rerouted from {ctx.fact('department')!r} by {ctx.actor.id} ({ctx.actor.role.value}): "
            f"{data.reason}",
            source=f"reroute by {ctx.actor.id}",
        )
    )
    ctx.set("department", data.department)
    ctx.set("routing_rule", f"reroute by {ctx.actor.id}")


def start_investigation(ctx: Context) -> None:
    data = ctx.input(StartIn)
    if data.owner:
        ctx.set("owner", data.owner)
    ctx.clear_deadline("response")


def propose(ctx: Context) -> None:
    """CPL-6: the handler proposes a resolution for the customer to accept or reject."""
    data = ctx.input(ProposeIn)
    ctx.set("proposal", data.remedy)
    if data.detail:
        ctx.set("proposal_detail", data.detail)
    ctx.set("proposals", int(ctx.fact("proposals", 0)) + 1)
    ctx.set("proposed_by", ctx.actor.id)


def accept(ctx: Context) -> None:
    """CPL-6: the customer accepted; the complaint is resolved."""
    ctx.set("resolution", ctx.fact("proposal"))
    ctx.set("resolution_basis", "accepted")
    ctx.clear_deadline("resolution")


def reject(ctx: Context) -> None:
    """CPL-5: another round; enough rejections make an individual case."""
    data = ctx.input(RejectIn)
    ctx.set("rejections", int(ctx.fact("rejections", 0)) + 1)
    ctx.set("rejection_reason", data.reason)
    _promote(ctx)


def decide_dispute(ctx: Context) -> None:
    """CPL-6: an authorised role resolves the dispute, with its reason on record."""
    data = ctx.input(DecideIn)
    ctx.set("resolution", data.remedy or ctx.fact("proposal"))
    ctx.set("resolution_basis", "decided")
    ctx.set("decided_by", ctx.actor.id)
    ctx.set("decision_reason", data.reason)
    ctx.clear_deadline("resolution")


def record_review(ctx: Context) -> None:
    """CPL-7 / G-8: root cause, preventive measures, department concerned."""
    data = ctx.input(ComplaintReviewIn)
    _check_department(ctx, "responsible_department", data.responsible_department)
    ctx.set("root_cause", data.root_cause)
    ctx.set("preventive_measures", data.preventive_measures)
    ctx.set("responsible_department", data.responsible_department)
    ctx.set("reviewed_by", ctx.actor.id)
    if data.notes:
        ctx.set("review_notes", data.notes)
    if data.case_report:
        ctx.flag("case_report")


def escalate(ctx: Context) -> None:
    """CPL-3: one level up, or to the level asked for by the customer or an urgent matter."""
    data = ctx.input(EscalateIn)
    if data.urgent:
        cause = EscalationCause.URGENT
    elif data.requested_by_customer:
        cause = EscalationCause.CUSTOMER
    else:
        cause = EscalationCause.MANUAL
    _ask_escalation(ctx, _level(ctx), cause, to=data.to, reason=data.reason)


def promote_special(ctx: Context) -> None:
    """CPL-4: a risk flag raised after intake."""
    data = ctx.input(PromoteIn)
    flags = tuple(ctx.fact("risk_flags", ()))
    if data.flag.value not in flags:
        ctx.set("risk_flags", tuple(sorted((*flags, data.flag.value))))
    _promote(ctx)


def cancel(ctx: Context) -> None:
    data = ctx.input(CancelIn)
    ctx.set("cancel_reason", data.reason)
    ctx.set("cancelled_by", ctx.actor.id)


def breach_and_escalate(ctx: Context) -> None:
    """SLA-2 / CPL-3: record the breach once and let the escalation policy react."""
    record_breach(ctx)
    name = ctx.input(BreachIn).deadline
    _ask_escalation(ctx, _level(ctx), _BREACH, deadline=name)


# ---------------------------------------------------------------- definition

STATES = (
    StateDef("received", "已受理", "received"),
    StateDef("routed", "已分流", "routed"),
    StateDef("investigating", "处理中", "investigating"),
    StateDef("resolution_proposed", "待客户确认", "resolution proposed"),
    StateDef("resolved", "已解决", "resolved"),
    StateDef("closed", "已关闭", "closed", final=True),
    StateDef("reviewed", "已复盘", "reviewed", final=True),
    StateDef("cancelled", "已撤销", "cancelled", final=True),
)

_OPEN_WORK = ("routed", "investigating")

TRANSITIONS = (
    TransitionDef("route", "received", "routed", "CPL-2", "分流", "route", effect=route_by_policy),
    TransitionDef(
        "reroute",
        _OPEN_WORK,
        "routed",
        "CPL-2",
        "改派",
        "reroute to another department",
        input=RerouteIn,
        example={"department": "rnd", "reason": "a design fault, not a batch fault"},
        effect=reroute,
    ),
    TransitionDef(
        "start",
        "routed",
        "investigating",
        "CPL-1",
        "开始处理",
        "start investigating",
        input=StartIn,
        example={"owner": "eng-7", "note": "samples requested"},
        effect=start_investigation,
    ),
    TransitionDef(
        "propose_resolution",
        "investigating",
        "resolution_proposed",
        "CPL-6",
        "提出解决方案",
        "propose a resolution",
        input=ProposeIn,
        example={"remedy": "replace", "detail": "replace the 3 faulty rolls"},
        effect=propose,
    ),
    TransitionDef(
        "customer_accepts",
        "resolution_proposed",
        "resolved",
        "CPL-6",
        "客户接受",
        "customer accepts",
        effect=accept,
    ),
    TransitionDef(
        "customer_rejects",
        "resolution_proposed",
        "investigating",
        "CPL-5",
        "客户拒绝",
        "customer rejects",
        input=RejectIn,
        example={"reason": "a replacement takes too long"},
        effect=reject,
    ),
    TransitionDef(
        "decide",
        ("investigating", "resolution_proposed"),
        "resolved",
        "CPL-6",
        "裁定",
        "decide the dispute",
        guards=(disputed,),
        input=DecideIn,
        example={"reason": "offer matches the contract terms", "remedy": "replace"},
        effect=decide_dispute,
    ),
    TransitionDef(
        "record_feedback",
        "resolved",
        "closed",
        "CPL-7",
        "回访(满意度)",
        "record customer feedback",
        input=FeedbackIn,
        example={"satisfaction": 4, "comment": "resolved quickly"},
        effect=record_feedback,
    ),
    TransitionDef(
        "review",
        "closed",
        "reviewed",
        "CPL-7",
        "复盘",
        "review",
        input=ComplaintReviewIn,
        example={
            "root_cause": "coating line temperature drift",
            "preventive_measures": "daily calibration of the coating line",
            "responsible_department": "production",
        },
        effect=record_review,
    ),
    TransitionDef(
        "escalate",
        "*",
        None,
        "CPL-3",
        "升级",
        "escalate",
        guards=(below_top,),
        input=EscalateIn,
        example={"reason": "customer asks for the manager", "requested_by_customer": True},
        effect=escalate,
    ),
    TransitionDef(
        "promote_special",
        "*",
        None,
        "CPL-4",
        "升级为专案",
        "promote to special case",
        input=PromoteIn,
        example={"flag": "media", "note": "local TV called"},
        effect=promote_special,
    ),
    TransitionDef(
        "cancel",
        "*",
        "cancelled",
        "G-2",
        "撤销",
        "cancel",
        input=CancelIn,
        example={"reason": "the customer withdrew the complaint"},
        effect=cancel,
    ),
    breach_row(effect=breach_and_escalate),
)

WORKFLOW = Workflow(
    "complaint",
    zh="投诉",
    en="complaint",
    states=STATES,
    transitions=TRANSITIONS,
    intake=ComplaintIntake,
    on_open=on_open,
    id_prefix="CPL",
    example={
        "customer": {"id": "CUST-002", "name": "柯桥布艺", "phone": "0575-8888-0002"},
        "channel": "phone",
        "product": {"model": "FF-220 阻燃面料", "line": "functional_fabric"},
        "category": "quality",
        "description": "Flame-retardant coating peels after two washes.",
    },
)

"""Returns and exchanges (退换货), SPEC §5: RET-1..4 with the closed loop of G-1.

::

    requested ──approve──▶ approved ──receive_goods──▶ received ──inspect──▶ inspected
       ├──reject──▶ rejected ──review──▶ reviewed
       └──cancel──▶ cancelled ◀──cancel── approved

    inspected ──refund─────────▶ refunded    ─┐
              ──ship_exchange──▶ exchanged   ─┤  attribute (RET-4), then
              ──send_to_repair─▶ repaired    ─┼──close──▶ closed ──review──▶ reviewed
              ──compensate─────▶ compensated ─┘
    inspected ──close──▶ closed      (nothing owed: no defect, or user damage)

* **Eligibility** (RET-1) is decided when the request is opened, from the calendar
  days between delivery (else purchase) and the day the customer asked
  (``requested_on``, default the day of intake): a customer does not lose a right
  because the review took a few days. The decision, its ladder rung and the
  published rule text (zh/en) are recorded as the fact ``eligibility``;
  ``approve`` with a remedy the rung does not allow, and every ``reject``, cite it.
* **Inspection** (RET-3) records the finding; the returns policy says which
  remedies it permits (a quality defect by severity, as far as the ladder allows;
  user damage: no refund or exchange, a paid repair) and whom it points at. A
  remedy trigger the finding does not permit is refused citing the rule.
* **Compensation** (RET-3, G-7) within the actor's limit
  (``permissions.limit_for(role, "compensation")``) is approved by the actor;
  above it, an authorised role must ``approve_compensation`` first. Who approved
  which amount and why is recorded (fact ``compensation_approval``).
* **Responsibility** (RET-4): ``close`` is refused until ``attribute`` named the
  department (and optionally the person); quality causes are flagged
  ``production_feedback`` (G-9). ``close`` also records the customer's feedback (G-1).
* ``send_to_repair`` opens a linked repair case (fact ``repair_case``); the
  return can close while that repair goes on.

Deadlines: the eligibility review within 2 working days of intake, and a
refund within 3 working days of an inspection that permits the refund the
customer was approved for (SLA targets ``return.review``, ``return.refund``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import attrs
import pydantic
from pydantic import Field

from aftersales_core.engine import Context, Guard, StateDef, TransitionDef, Workflow, guard
from aftersales_core.errors import InvalidInput, PermissionDenied, PolicyConfigError, RuleViolation
from aftersales_core.intake import Amount, Input, IntakeBase, ProductIn, Text
from aftersales_core.model import Case, Department
from aftersales_core.money import Money
from aftersales_core.policies.base import decide
from aftersales_core.policies.returns import (
    EligibilityRequest,
    Finding,
    InspectionRequest,
    Problem,
    Remedy,
    Severity,
)
from aftersales_core.workflows.common import FeedbackIn, ReviewIn, breach_row, record_feedback

__all__ = [
    "WORKFLOW",
    "ApproveCompensationIn",
    "ApproveIn",
    "AttributeIn",
    "CancelIn",
    "CompensateIn",
    "InspectIn",
    "ReceiveIn",
    "RefundIn",
    "RejectIn",
    "ReturnIntake",
    "SendToRepairIn",
    "ShipExchangeIn",
    "applied_rules",
]

#: A money amount that must be more than zero.
PositiveAmount = Annotated[Amount, Field(gt=0)]

#: Departments whose causes are fed back to production and R&D (RET-4, G-9).
_QUALITY_DEPARTMENTS = frozenset({Department.PRODUCTION.value, Department.RND.value})


# ---------------------------------------------------------------- inputs


class ReturnIntake(IntakeBase):
    """A return or exchange request (RET-2). The product is required with its
    delivery and/or purchase date: RET-1 eligibility counts from them."""

    product: ProductIn  # required here, optional on IntakeBase
    description: Text
    remedy: Remedy  # what the customer asks for: refund, exchange or repair
    problem: Problem = Problem.QUALITY
    price: Amount | None = None  # the price paid; caps the refund
    requested_on: date | None = None  # the day the customer asked (default: the day of intake)

    @pydantic.field_validator("product")
    @classmethod
    def _dated(cls, product: ProductIn) -> ProductIn:
        if product.delivery_date is None and product.purchase_date is None:
            raise ValueError("a returned product needs its delivery_date or purchase_date (RET-1)")
        return product

    @pydantic.field_validator("remedy")
    @classmethod
    def _claimable(cls, remedy: Remedy) -> Remedy:
        if remedy is Remedy.COMPENSATION:
            raise ValueError("a customer asks for a refund, exchange or repair; compensation is decided")
        return remedy


class ApproveIn(Input):
    remedy: Remedy | None = None  # default: the remedy the customer asked for
    note: str = ""


class RejectIn(Input):
    reason: Text


class CancelIn(Input):
    reason: Text


class ReceiveIn(Input):
    tracking: str = ""
    note: str = ""


class InspectIn(Input):
    finding: Finding
    severity: Severity | None = Field(default=None, validate_default=True)
    notes: str = ""

    @pydantic.field_validator("severity")
    @classmethod
    def _severity_of_defect(cls, severity: Severity | None, info: pydantic.ValidationInfo) -> Severity | None:
        if severity is None and info.data.get("finding") is Finding.QUALITY_DEFECT:
            raise ValueError("a quality defect needs its severity: minor, moderate or severe (RET-3)")
        return severity


class RefundIn(Input):
    amount: PositiveAmount | None = None  # default: the price paid
    note: str = ""


class ShipExchangeIn(Input):
    serial: str = ""  # serial of the replacement unit
    carrier: str = ""
    tracking: str = ""


class SendToRepairIn(Input):
    fault: str = ""  # default: the request's description and the inspection notes
    note: str = ""


class ApproveCompensationIn(Input):
    amount: PositiveAmount
    reason: Text


class CompensateIn(Input):
    amount: PositiveAmount
    reason: Text


class AttributeIn(Input):
    department: Text | None = None  # default: the department the inspection finding points at
    person: str = ""
    cause: str = ""


# ---------------------------------------------------------------- helpers


def _eligibility(ctx: Context) -> Any:
    return ctx.fact("eligibility")


def _inspection(ctx: Context) -> Any:
    return ctx.fact("inspection")


def _quote(rec: Any) -> str:
    return f"{rec['en']} / {rec['zh']}"


def _remedy_names(decision_result: Any, key: str) -> tuple[str, ...]:
    try:
        return tuple(Remedy(r).value for r in decision_result[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyConfigError(f"returns result {key!r}", f"not a list of remedies: {exc}") from None


def _limit(ctx: Context) -> Money | None:
    return ctx.policies.permissions.limit_for(ctx.actor.role, "compensation")


@attrs.frozen
class CitingGuard(Guard):
    """A guard whose refusal quotes the rule recorded on the case (RET-1): ``cite``
    gives the rule id and the message from the case's facts."""

    cite: Callable[[Context], tuple[str, str]] | None = attrs.field(default=None, repr=False)

    def enforce(self, ctx: Context) -> None:
        if not self.check(ctx):
            rule, message = self.cite(ctx) if self.cite is not None else (self.rule, self.message)
            raise RuleViolation(rule, message)


def _cite_nothing_eligible(ctx: Context) -> tuple[str, str]:
    rec = _eligibility(ctx)
    return rec["rule"], f"nothing can be approved {rec['days']} days after {rec['basis']}: {_quote(rec)}"


def _anything_eligible(ctx: Context) -> bool:
    return bool(_eligibility(ctx)["remedies"])


anything_eligible = CitingGuard(
    "anything_eligible",
    "RET-1",
    "no remedy is eligible under the published return rules; reject the request citing them",
    _anything_eligible,
    cite=_cite_nothing_eligible,
)


def _permits(remedy: Remedy) -> CitingGuard:
    """The guard that ``remedy`` is permitted by the inspection finding (RET-3) and
    the ladder (RET-1); its refusal cites whichever rule excludes it."""

    def check(ctx: Context) -> bool:
        return remedy.value in _inspection(ctx)["remedies"]

    def cite(ctx: Context) -> tuple[str, str]:
        rec = _inspection(ctx)
        allowed = ", ".join(rec["remedies"]) or "nothing"
        if remedy.value in rec["offered"]:  # the finding would allow it; the ladder does not
            elig = _eligibility(ctx)
            return elig["rule"], (
                f"no {remedy.value} {elig['days']} days after {elig['basis']}: {_quote(elig)} "
                f"(permitted: {allowed})"
            )
        return rec["rule"], f"no {remedy.value} for {rec['finding']}: {_quote(rec)} (permitted: {allowed})"

    check.__name__ = f"{remedy.value}_permitted"
    return CitingGuard(
        check.__name__,
        "RET-3",
        f"the inspection finding does not permit {remedy.value}",
        check,
        cite=cite,
    )


refund_permitted = _permits(Remedy.REFUND)
exchange_permitted = _permits(Remedy.EXCHANGE)
repair_permitted = _permits(Remedy.REPAIR)
compensation_permitted = _permits(Remedy.COMPENSATION)


@guard("RET-4", "attribute the cause of the return to a department before closing it")
def attributed(ctx: Context) -> bool:
    return ctx.fact("attribution") is not None


@guard("RET-3", "the inspection found a problem that needs a remedy before the return closes")
def nothing_owed(ctx: Context) -> bool:
    rec = _inspection(ctx)
    return bool(rec["paid"]) or not rec["remedies"]


# ---------------------------------------------------------------- effects


def on_open(ctx: Context) -> None:
    """Decide RET-1 eligibility for the day the customer asked and start the review clock."""
    data = ctx.input(ReturnIntake)
    product = data.product
    today = ctx.now.date()
    asked = data.requested_on or today
    if asked > today:
        raise InvalidInput("requested_on", f"{asked.isoformat()} is in the future")
    basis = "delivery" if product.delivery_date is not None else "purchase"
    since = product.delivery_date or product.purchase_date
    assert since is not None  # ReturnIntake requires one of them
    if since > asked:
        raise InvalidInput(
            f"product.{basis}_date", f"{since.isoformat()} is after the request date {asked.isoformat()}"
        )
    days = (asked - since).days  # calendar days, the delivery day being day 0 (RET-1)
    decision = ctx.policies.returns.eligibility(
        EligibilityRequest(product.line.value, data.problem, days, product.to_domain())
    )
    ctx.record(decision)
    result = decision.result
    ctx.set(
        "eligibility",
        {
            "rule": decision.rule,
            "rung": result.get("rung"),
            "remedies": _remedy_names(result, "remedies"),
            "zh": result.get("zh", ""),
            "en": result.get("en", decision.reason),
            "days": days,
            "basis": basis,
            "since": since,
            "requested_on": asked,
        },
    )
    ctx.set("owner", ctx.actor.id)
    if data.price is not None:
        ctx.set("price", Money(data.price))
    ctx.start_deadline("review")


def record_approval(ctx: Context) -> None:
    data = ctx.input(ApproveIn)
    remedy = data.remedy or Remedy(ctx.case.intake["remedy"])
    rec = _eligibility(ctx)
    if remedy.value not in rec["remedies"]:
        raise RuleViolation(
            rec["rule"],
            f"{remedy.value} is not allowed {rec['days']} days after {rec['basis']}: {_quote(rec)} "
            f"(allowed: {', '.join(rec['remedies'])})",
        )
    ctx.set("approved_remedy", remedy.value)
    ctx.set("approved_by", ctx.actor.id)
    if data.note:
        ctx.set("approval_note", data.note)
    ctx.clear_deadline("review")


def record_rejection(ctx: Context) -> None:
    rec = _eligibility(ctx)
    ctx.set(
        "rejection",
        {
            "reason": ctx.input(RejectIn).reason,
            "by": ctx.actor.id,
            "rule": rec["rule"],
            "rung": rec["rung"],
            "zh": rec["zh"],
            "en": rec["en"],
        },
    )


def record_cancellation(ctx: Context) -> None:
    ctx.set("cancel_reason", ctx.input(CancelIn).reason)


def record_receipt(ctx: Context) -> None:
    data = ctx.input(ReceiveIn)
    ctx.set("received_by", ctx.actor.id)
    ctx.set("received_at", ctx.now)
    if data.tracking:
        ctx.set("inbound_tracking", data.tracking)
    if data.note:
        ctx.set("receipt_note", data.note)


def record_inspection(ctx: Context) -> None:
    """Ask the returns policy what the finding permits (RET-3) and whom it points at (RET-4)."""
    data = ctx.input(InspectIn)
    product = ctx.case.product
    decision = ctx.policies.returns.inspection(
        InspectionRequest(
            data.finding,
            data.severity,
            _eligibility(ctx)["remedies"],
            product.line.value if product is not None else "",
        )
    )
    ctx.record(decision)
    result = decision.result
    remedies = _remedy_names(result, "remedies")
    ctx.set(
        "inspection",
        {
            "finding": data.finding.value,
            "severity": data.severity.value if data.severity else None,
            "rule": decision.rule,
            "remedies": remedies,
            "offered": _remedy_names(result, "offered") if "offered" in result else remedies,
            "department": result.get("department"),
            "paid": bool(result.get("paid", False)),
            "zh": result.get("zh", ""),
            "en": result.get("en", decision.reason),
            "notes": data.notes,
            "by": ctx.actor.id,
        },
    )
    if result.get("production_feedback"):
        ctx.flag("production_feedback")
    if Remedy.REFUND.value in remedies and ctx.fact("approved_remedy") == Remedy.REFUND.value:
        ctx.start_deadline("refund")


def record_refund(ctx: Context) -> None:
    data = ctx.input(RefundIn)
    price: Money | None = ctx.fact("price")
    if data.amount is not None:
        amount = Money(data.amount)
    elif price is not None:
        amount = price
    else:
        raise InvalidInput("amount", "no price was recorded at intake; give the amount to refund")
    if price is not None and amount > price:
        raise RuleViolation("RET-2", f"a refund of {amount} exceeds the price paid, {price}")
    ctx.set("refund", amount)
    ctx.set("refunded_by", ctx.actor.id)
    ctx.set("refunded_at", ctx.now)
    if data.note:
        ctx.set("refund_note", data.note)
    ctx.clear_deadline("refund")


def record_exchange(ctx: Context) -> None:
    data = ctx.input(ShipExchangeIn)
    ctx.set("exchange", {"serial": data.serial, "carrier": data.carrier, "tracking": data.tracking})
    ctx.set("shipped_by", ctx.actor.id)
    ctx.set("shipped_at", ctx.now)
    ctx.clear_deadline("refund")


def open_repair(ctx: Context) -> None:
    """Open the linked repair case (RET-3) and record its id as ``repair_case``."""
    data = ctx.input(SendToRepairIn)
    case = ctx.case
    rec = _inspection(ctx)
    fault = data.fault or " — ".join(
        part
        for part in (
            str(case.intake["description"]),
            f"return inspection: {rec['finding']}" + (f" ({rec['notes']})" if rec["notes"] else ""),
            "user damage: paid repair (人为损坏，有偿维修)" if rec["paid"] else "",
        )
        if part
    )
    intake = _repair_intake(case, fault)
    # the warranty (REP-2) is judged on the day the customer asked, as eligibility was (RET-1)
    intake["reported_on"] = _eligibility(ctx)["requested_on"]
    ctx.set("repair_case", ctx.spawn("repair", intake))
    if data.note:
        ctx.set("repair_note", data.note)
    ctx.clear_deadline("refund")


def _repair_intake(case: Case, fault: str) -> dict[str, Any]:
    p = case.product
    assert p is not None  # a return always has its product
    product: dict[str, Any] = {
        "model": p.model,
        "line": p.line.value,
        "serial": p.serial,
        "purchase_date": p.purchase_date,
        "delivery_date": p.delivery_date,
        "components": tuple(
            {
                "name": c.name,
                "warranty_months": c.warranty_months,
                "serial": c.serial,
                "value": c.value.amount if isinstance(c.value, Money) else c.value,
            }
            for c in p.components
        ),
    }
    if p.contract:
        product["contract"] = p.contract
    return {
        "customer": attrs.asdict(case.customer),
        "channel": str(case.intake["channel"]),
        "product": product,
        "fault": fault,
    }


def record_compensation_approval(ctx: Context) -> None:
    """An authorised role approves a compensation up to its own limit (RET-3, G-7)."""
    data = ctx.input(ApproveCompensationIn)
    amount = Money(data.amount)
    limit = _limit(ctx)
    role = ctx.actor.role.value
    if limit is not None and amount > limit:
        raise PermissionDenied(
            ctx.actor.id,
            role,
            f"approve a compensation of {amount}",
            rule="RET-3",
            detail=f"the {role} limit is {limit}; a role with a higher limit must approve it",
        )
    ctx.record(
        decide(
            "permissions",
            "RET-3",
            True,
            f"{role} may approve compensation up to {limit if limit is not None else 'any amount'}",
            source="limit_for(compensation)",
        )
    )
    ctx.set(
        "compensation_approval",
        {"by": ctx.actor.id, "role": role, "amount": amount, "reason": data.reason, "at": ctx.now},
    )


def record_compensation(ctx: Context) -> None:
    """Pay a compensation covered by a recorded approval or by the actor's own limit (RET-3)."""
    data = ctx.input(CompensateIn)
    amount = Money(data.amount)
    approval = ctx.fact("compensation_approval")
    limit = _limit(ctx)
    if approval is None or approval["amount"] < amount:
        role = ctx.actor.role.value
        if limit is not None and amount > limit:
            approved = f"the approval covers {approval['amount']}" if approval else "nobody approved it"
            raise RuleViolation(
                "RET-3",
                f"a compensation of {amount} exceeds the {role} limit of {limit} and {approved}; "
                "a role whose limit covers it must approve_compensation first",
            )
        ctx.set(
            "compensation_approval",
            {"by": ctx.actor.id, "role": role, "amount": amount, "reason": data.reason, "at": ctx.now},
        )
    ctx.set("compensation", amount)
    ctx.set("compensation_reason", data.reason)
    ctx.set("compensated_by", ctx.actor.id)
    ctx.clear_deadline("refund")


def record_attribution(ctx: Context) -> None:
    """Attribute the cause to a department and optionally a person (RET-4, G-8)."""
    data = ctx.input(AttributeIn)
    rec = _inspection(ctx)
    department = data.department or rec["department"]
    if not department:
        raise InvalidInput(
            "department", f"the finding {rec['finding']!r} points at no department; name the one responsible"
        )
    ctx.set(
        "attribution",
        {
            "department": department,
            "person": data.person,
            "cause": data.cause or rec["finding"],
            "by": ctx.actor.id,
            "at": ctx.now,
        },
    )
    if department in _QUALITY_DEPARTMENTS:
        ctx.flag("production_feedback")


def record_review(ctx: Context) -> None:
    data = ctx.input(ReviewIn)
    ctx.set("review_notes", data.notes)
    ctx.set("reviewed_by", ctx.actor.id)


# ---------------------------------------------------------------- reading


def applied_rules(case: Case, *, lang: str = "zh") -> tuple[str, ...]:
    """The published rules applied to a return, as they can be shown to the customer
    (RET-1): the eligibility rung and, once inspected, the finding's rule."""
    out = []
    for name in ("eligibility", "inspection"):
        rec = case.fact(name)
        if rec is not None:
            out.append(f"{rec['rule']} {rec['zh'] if lang == 'zh' else rec['en']}")
    return tuple(out)


# ---------------------------------------------------------------- definition

REMEDIED = ("refunded", "exchanged", "repaired", "compensated")

STATES = (
    StateDef("requested", "已申请", "requested"),
    StateDef("approved", "已批准", "approved"),
    StateDef("rejected", "已驳回", "rejected", final=True),
    StateDef("received", "已收货", "goods received"),
    StateDef("inspected", "已检验", "inspected"),
    StateDef("refunded", "已退款", "refunded"),
    StateDef("exchanged", "已换货发出", "exchange shipped"),
    StateDef("repaired", "已转维修", "sent to repair"),
    StateDef("compensated", "已赔偿", "compensated"),
    StateDef("closed", "已关闭", "closed", final=True),
    StateDef("reviewed", "已复盘", "reviewed", final=True),
    StateDef("cancelled", "已撤销", "cancelled", final=True),
)

TRANSITIONS = (
    TransitionDef(
        "approve",
        "requested",
        "approved",
        "RET-1",
        "批准",
        "approve",
        guards=(anything_eligible,),
        input=ApproveIn,
        example={"remedy": "refund", "note": "within 7 days of delivery"},
        effect=record_approval,
    ),
    TransitionDef(
        "reject",
        "requested",
        "rejected",
        "RET-1",
        "驳回",
        "reject",
        input=RejectIn,
        example={"reason": "more than 15 days after delivery"},
        effect=record_rejection,
    ),
    TransitionDef(
        "cancel",
        ("requested", "approved"),
        "cancelled",
        "RET-2",
        "撤销(客户撤回)",
        "cancel (withdrawn by the customer)",
        input=CancelIn,
        example={"reason": "customer withdrew the request"},
        effect=record_cancellation,
    ),
    TransitionDef(
        "receive_goods",
        "approved",
        "received",
        "RET-2",
        "收货(仓库)",
        "receive goods (warehouse)",
        input=ReceiveIn,
        example={"tracking": "SF1234567890", "note": "outer carton dented"},
        effect=record_receipt,
    ),
    TransitionDef(
        "inspect",
        "received",
        "inspected",
        "RET-3",
        "检验",
        "inspect",
        input=InspectIn,
        example={"finding": "quality_defect", "severity": "severe", "notes": "weft sensor fails"},
        effect=record_inspection,
    ),
    TransitionDef(
        "approve_compensation",
        "inspected",
        None,
        "RET-3",
        "审批赔偿",
        "approve compensation",
        guards=(compensation_permitted,),
        input=ApproveCompensationIn,
        example={"amount": "5000.00", "reason": "two days of lost production"},
        effect=record_compensation_approval,
    ),
    TransitionDef(
        "refund",
        "inspected",
        "refunded",
        "RET-2",
        "退款(财务)",
        "refund (finance)",
        guards=(refund_permitted,),
        input=RefundIn,
        example={"amount": "86000.00"},
        effect=record_refund,
    ),
    TransitionDef(
        "ship_exchange",
        "inspected",
        "exchanged",
        "RET-2",
        "发出换货",
        "ship exchange",
        guards=(exchange_permitted,),
        input=ShipExchangeIn,
        example={"serial": "HX200-0099", "carrier": "SF", "tracking": "SF0987654321"},
        effect=record_exchange,
    ),
    TransitionDef(
        "send_to_repair",
        "inspected",
        "repaired",
        "RET-3",
        "转维修",
        "send to repair",
        guards=(repair_permitted,),
        input=SendToRepairIn,
        example={"fault": "weft sensor fails intermittently"},
        effect=open_repair,
    ),
    TransitionDef(
        "compensate",
        "inspected",
        "compensated",
        "RET-3",
        "赔偿",
        "compensate",
        guards=(compensation_permitted,),
        input=CompensateIn,
        example={"amount": "1500.00", "reason": "cloth spoiled by the defect"},
        effect=record_compensation,
    ),
    TransitionDef(
        "attribute",
        ("inspected", *REMEDIED),
        None,
        "RET-4",
        "追究责任",
        "attribute responsibility",
        input=AttributeIn,
        example={"department": "production", "person": "line-3 foreman", "cause": "sensor batch 2025-11"},
        effect=record_attribution,
    ),
    TransitionDef(
        "close",
        REMEDIED,
        "closed",
        "RET-4",
        "关闭(客户反馈)",
        "close with customer feedback",
        guards=(attributed,),
        input=FeedbackIn,
        example={"satisfaction": 4, "comment": "replacement works"},
        effect=record_feedback,
    ),
    TransitionDef(
        "close",
        "inspected",
        "closed",
        "RET-4",
        "关闭(客户反馈)",
        "close with customer feedback",
        guards=(attributed, nothing_owed),
        input=FeedbackIn,
        example={"satisfaction": 3},
        effect=record_feedback,
    ),
    TransitionDef(
        "review",
        ("closed", "rejected"),
        "reviewed",
        "G-1",
        "复盘",
        "review",
        input=ReviewIn,
        example={"notes": "sensor batch recalled"},
        effect=record_review,
    ),
    breach_row(),
)

WORKFLOW = Workflow(
    "return",
    zh="退换货",
    en="return / exchange",
    states=STATES,
    transitions=TRANSITIONS,
    intake=ReturnIntake,
    on_open=on_open,
    id_prefix="RET",
    example={
        "customer": {"id": "CUST-001", "name": "华纺织造", "phone": "0575-8888-0001"},
        "channel": "phone",
        "product": {
            "model": "HX-200",
            "line": "smart_equipment",
            "serial": "HX200-0042",
            "purchase_date": "2026-02-20",
            "delivery_date": "2026-02-26",  # day 4 at the testing kit's start, 2026-03-02
        },
        "description": "Weft sensor stops the loom every few minutes.",
        "remedy": "exchange",
        "problem": "quality",
        "price": "86000.00",
    },
)

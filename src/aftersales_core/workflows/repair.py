"""Repairs (维修), SPEC §4: REP-1..13 with FIN-1/2 and SLA-3.

::

    reported ──plan_remote──▶ remote_guidance ─────────────────────────────┐
       │                          │schedule_visit                           │
       └──schedule_visit──▶ visit_scheduled ──dispatch──▶ dispatched        │
                                                 │arrive                    │complete
                                                 ▼                          │
                 in_workshop ◀──take_back── on_site ──complete──▶ awaiting_signoff
                      └────────deliver─────────▲                            │sign_off
    quote (from remote_guidance / on_site / in_workshop) ─▶ awaiting_consent │
      consent / decline ─▶ back where the quote was made      awaiting_settlement (charge due)
                                                               │settle      │(nothing due)
                                                               ▼            ▼
                                                   awaiting_review ──review──▶ closed
    cancel (any open state) ─▶ cancelled

* **Intake** (REP-1) records the customer, the product (model, line, serial,
  purchase/delivery date, components) and the fault; the **warranty** is decided
  there, once, for the whole product and for each component (REP-2, the
  ``warranty`` policy), and kept as the fact ``warranty``:
  ``{"product": {...}, "motor": {"in_warranty": True, "until": ..., "basis": ...}}``.
  The ``completion`` deadline (REP-12, the committed time) starts at intake.
* **Triage** (REP-4): ``plan_remote`` starts the ``remote`` deadline (2 working
  days from the report); ``schedule_visit`` the ``visit`` deadline (3 working days
  in the same city, 5 in another). Same city: the input's ``same_city`` when given,
  else whether the customer's city equals the intake's ``service_city``; when
  neither tells, ``schedule_visit`` asks for ``same_city``.
* **Dispatch** (REP-5) names the technician and the dispatch order (派工单; numbered
  ``<case>-D<n>`` unless the ERP gives its own). **Arrival** (REP-6) records the ID
  the technician showed and ends the ``visit`` clock.
* **Fees** (REP-3, REP-7, FIN): every part drawn (``use_part``) and every hour of
  labour or trip (``record_work``) is a line priced by the ``fees`` policy for its
  component's warranty; costs and charges add up in the Money facts ``cost`` and
  ``charge`` (FIN-2), the lines in ``lines``. A line that would be charged needs an
  **accepted quote** covering it (same kind, item and component, enough quantity
  left): ``quote`` lists the chargeable lines (numbered ``Q1``, ``Q2``...), the case
  waits in ``awaiting_consent`` with its clocks paused (SLA-3), and ``consent`` /
  ``decline`` return to the state the quote was made in. The customer pays the
  quoted unit price, and however a quoted quantity is split over several lines
  the charges never exceed the quoted amount, not even by a fen. Without such a
  quote the work is refused (``RuleViolation`` REP-7).
* **Spare parts** (REP-13): a part line worth more than the actor's ``"part"``
  limit (permissions ``limit_for``) needs an ``approve_part`` by someone whose limit
  covers it; each approval serves one line.
* **Take-back** (REP-8) gives the customer a receipt; ``deliver`` brings the unit
  back and needs that receipt returned and any **loaner** (REP-9) back first.
* **Completion** (REP-10): test result, explanation of use and care, service
  report; then the customer signs (``sign_off``). **Settlement** (REP-11): the
  ``settlement`` policy chooses on-the-spot collection or invoicing; a repair with
  nothing to charge goes straight to review. **Review** (REP-12): the supervisor
  rates time and quality; whether the repair finished within the committed time is
  recorded at completion (``on_time``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import pydantic
from pydantic import Field

from aftersales_core.engine import Context, Guard, StateDef, TransitionDef, Workflow, guard
from aftersales_core.errors import InvalidInput, PermissionDenied, PolicyConfigError, RuleViolation
from aftersales_core.intake import Input, IntakeBase, ProductIn, Text
from aftersales_core.money import Money
from aftersales_core.policies.fees import (
    FeeLine,
    FeeRequest,
    LineKind,
    MoneyField,
    PricedLine,
    Quantity,
    price_line,
)
from aftersales_core.policies.settlement import SettlementMethod, SettlementRequest
from aftersales_core.policies.warranty import WHOLE_PRODUCT, decide_warranty
from aftersales_core.workflows.common import breach_row

__all__ = [
    "STATES",
    "TRANSITIONS",
    "WORKFLOW",
    "ApprovePartIn",
    "ArriveIn",
    "CancelIn",
    "CompleteIn",
    "ConsentIn",
    "DeclineIn",
    "DeliverIn",
    "DispatchIn",
    "FaultKind",
    "LoanerIn",
    "PlanRemoteIn",
    "QuoteIn",
    "RepairIntake",
    "RepairReviewIn",
    "ScheduleVisitIn",
    "SettleIn",
    "SignOffIn",
    "TakeBackIn",
    "UsePartIn",
    "WorkIn",
]


# ---------------------------------------------------------------- intake and inputs


class FaultKind(StrEnum):
    """What kind of fault was reported (REP-4): the first two are usually fixed
    remotely, the last two need a visit."""

    SOFTWARE = "software"
    PARAMETERS = "parameters"
    HARDWARE = "hardware"
    MECHANICAL = "mechanical"

    @property
    def zh(self) -> str:
        return {"software": "软件操作", "parameters": "参数设置", "hardware": "硬件", "mechanical": "机械"}[
            self.value
        ]


class RepairIntake(IntakeBase):
    """A repair report (REP-1). ``product`` is required, with its purchase or
    delivery date (the warranty counts from it, REP-2) and its components (each
    may carry its own warranty period); ``fault`` describes the symptoms.

    The customer's ``name``, ``phone``, ``address`` and ``city`` come with
    ``customer``. ``service_city`` is the city of the service point handling the
    case (same city or not decides the visit deadline, REP-4); ``reported_on`` the
    day the customer reported, when the case is entered later (default: today).
    """

    product: ProductIn  # required here, optional on IntakeBase
    fault: Text
    fault_kind: FaultKind | None = None
    service_city: str = ""
    reported_on: date | None = None

    @pydantic.field_validator("product")
    @classmethod
    def _repairable(cls, product: ProductIn) -> ProductIn:
        if product.purchase_date is None and product.delivery_date is None:
            raise ValueError("a repair needs the product's purchase_date or delivery_date (REP-1, REP-2)")
        names = [c.name for c in product.components]
        if WHOLE_PRODUCT in names:
            raise ValueError(f"{WHOLE_PRODUCT!r} names the whole product; give the component another name")
        if len(set(names)) != len(names):
            raise ValueError("component names must be unique within the product")
        return product


class PlanRemoteIn(Input):
    """Triage to remote guidance (REP-4)."""

    engineer: str = ""
    fault_kind: FaultKind | None = None
    note: str = ""


class ScheduleVisitIn(Input):
    """Triage to a visit scheduled with the customer (REP-4). ``same_city`` overrides
    the comparison of the customer's city with the intake's ``service_city``;
    ``visit_on`` beyond the deadline needs ``at_customer_request``."""

    same_city: bool | None = None
    visit_on: date | None = None
    at_customer_request: bool = False
    fault_kind: FaultKind | None = None
    note: str = ""


class DispatchIn(Input):
    """The supervisor assigns a technician with a dispatch order (派工单, REP-5)."""

    technician: Text
    order_no: str = ""  # the ERP's dispatch-order number; numbered <case>-D<n> when empty
    note: str = ""


class ArriveIn(Input):
    """The technician arrives and shows ID before starting (REP-6)."""

    badge: Text  # the ID (工作证) shown to the customer


class QuoteIn(Input):
    """A quote of the chargeable lines, for the customer's consent (REP-7)."""

    lines: tuple[FeeLine, ...] = Field(min_length=1, max_length=50)
    note: str = ""


class ConsentIn(Input):
    quote_no: Text
    signed_by: str = ""  # who accepted for the customer


class DeclineIn(Input):
    quote_no: Text
    reason: str = ""


class UsePartIn(Input):
    """A spare part drawn from stock and fitted (REP-7, REP-13)."""

    part: Text  # part number
    component: str = ""  # the component it serves ("" = the product as a whole)
    qty: Quantity = Decimal(1)
    unit_cost: MoneyField  # cost to the company per piece
    certificate: Text  # the replaced part's certificate (合格证), REP-7
    user_damage: bool = False
    draw_no: str = ""  # the stock draw slip (领料单)


class WorkIn(Input):
    """Labour hours or a trip, priced by the fee schedule (REP-7)."""

    kind: Literal["labour", "travel"] = "labour"
    item: Text = "labour"  # a fee-schedule code
    component: str = ""
    qty: Quantity = Decimal(1)
    user_damage: bool = False
    note: str = ""


class ApprovePartIn(Input):
    """Approval of a valuable part before it is drawn (REP-13)."""

    part: Text
    qty: Quantity = Decimal(1)
    unit_cost: MoneyField
    note: str = ""


class LoanerIn(Input):
    loaner: Text  # serial of the substitute unit (替补商品), REP-9


class TakeBackIn(Input):
    """The unit goes to the workshop; the customer gets a receipt (REP-8)."""

    receipt_no: str = ""
    reason: str = ""


class DeliverIn(Input):
    """The repaired unit comes back; the receipt is taken back (REP-8)."""

    receipt_no: str = ""


class CompleteIn(Input):
    """REP-10: tested, use and care explained, service report filled in."""

    test_result: Text
    explanation: Text
    report: Text


class SignOffIn(Input):
    """The customer signs the dispatch order / service report (REP-8, REP-10) and
    gives feedback (G-1)."""

    signed_by: Text
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    comment: str = ""


class SettleIn(Input):
    """REP-11: the receipt number (collected on the spot) or the invoice number;
    ``amount``, when given, must be the charge due."""

    reference: Text
    amount: MoneyField | None = None


class RepairReviewIn(Input):
    """The supervisor rates time and quality (REP-12); ``case_report`` asks for a
    written report of a hard or rare repair (疑难案例总结, G-9)."""

    time_rating: int = Field(ge=1, le=5)
    quality_rating: int = Field(ge=1, le=5)
    notes: str = ""
    case_report: bool = False


class CancelIn(Input):
    reason: Text


# ---------------------------------------------------------------- guards


@guard("REP-9", "the loaner is still with the customer: return_loaner first")
def loaner_returned(ctx: Context) -> bool:
    return not ctx.fact("loaner")


@guard("REP-9", "no loaner is out on this repair")
def loaner_out(ctx: Context) -> bool:
    return bool(ctx.fact("loaner"))


@guard("REP-8", "the customer's unit is in the workshop: deliver it back first")
def unit_not_held(ctx: Context) -> bool:
    return ctx.state != "in_workshop"


@guard("REP-8", "taking the unit back needs a receipt for the customer: give receipt_no", needs_data=True)
def receipt_given(ctx: Context) -> bool:
    return bool(ctx.input(TakeBackIn).receipt_no.strip())


@guard(
    "REP-8",
    "take back the customer's receipt: receipt_no must be the one given at take-back",
    needs_data=True,
)
def receipt_retrieved(ctx: Context) -> bool:
    return bool(ctx.input(DeliverIn).receipt_no.strip() == ctx.fact("receipt_no"))


@guard("REP-11", "the repair has a charge to settle")
def charge_due(ctx: Context) -> bool:
    return bool(ctx.fact("charge"))


@guard("REP-11", "the repair has nothing to charge")
def nothing_due(ctx: Context) -> bool:
    return not ctx.fact("charge")


def _quoted_from(state: str) -> Guard:
    """Selector: the pending quote was made in ``state`` (consent/decline go back there)."""

    def check(ctx: Context) -> bool:
        return bool(ctx.fact("quoted_from") == state)

    return Guard(f"quoted_from_{state}", "REP-7", f"the quote was not made in {state}", check)


_QUOTE_SOURCES = ("remote_guidance", "on_site", "in_workshop")
_QUOTED_FROM = {s: _quoted_from(s) for s in _QUOTE_SOURCES}


# ---------------------------------------------------------------- helpers


def _money(value: Any) -> Money:
    return value if isinstance(value, Money) else Money(0)


def _warranty(ctx: Context, component: str, field: str) -> Mapping[str, Any]:
    table: Mapping[str, Mapping[str, Any]] = ctx.fact("warranty") or {}
    name = component or WHOLE_PRODUCT
    if name not in table:
        known = ", ".join(repr(n) for n in table if n != WHOLE_PRODUCT) or "none"
        raise InvalidInput(field, f"{component!r} is not a component of this product (components: {known})")
    return table[name]


def _price(ctx: Context, line: FeeLine, prefix: str = "") -> PricedLine:
    """Price ``line`` with the fees policy for its component's warranty; records the decision."""
    w = _warranty(ctx, line.component, f"{prefix}component")
    product = ctx.case.product
    contract = product.contract if product is not None else ""
    priced = price_line(ctx.policies.fees, FeeRequest(line, bool(w["in_warranty"]), w.get("until"), contract))
    if priced is None:
        raise InvalidInput(
            f"{prefix}item", f"the fee schedule has no price for {line.kind.value} {line.item!r}"
        )
    line_priced, decision = priced
    ctx.record(decision)
    return line_priced


def _same_line(quoted: Mapping[str, Any], line: PricedLine) -> bool:
    return (quoted["kind"], quoted["item"], quoted["component"]) == (line.kind, line.item, line.component)


def _cover(ctx: Context, line: PricedLine) -> tuple[str, Money, Money]:
    """Find an accepted quote covering ``line`` (REP-7) and book the quantity on it.

    Returns the quote number, the quoted unit charge and the charge for this line:
    the quoted line's charge up to the quantity now used minus the charge up to the
    quantity used before, so that however a quoted quantity is split, the charges
    add up to exactly the quoted amount, never a fen more (FIN-1)."""
    quotes = list(ctx.fact("quotes", ()))
    for qi, quote in enumerate(quotes):
        if quote["status"] != "accepted":
            continue
        for li, quoted in enumerate(quote["lines"]):
            used = quoted["used"]
            if _same_line(quoted, line) and quoted["qty"] - used >= line.qty:
                lines = list(quote["lines"])
                lines[li] = {**quoted, "used": used + line.qty}
                quotes[qi] = {**quote, "lines": tuple(lines)}
                ctx.set("quotes", tuple(quotes))
                unit = _money(quoted["unit_charge"])
                charge = Money(unit.amount * (used + line.qty)) - Money(unit.amount * used)
                return str(quote["no"]), unit, charge
    what = f"{line.kind.value} {line.item}" + (f" for {line.component}" if line.component else "")
    raise RuleViolation(
        "REP-7",
        f"{what} would be charged {line.charge} ({line.reason}): quote it and get the customer's "
        "consent before doing the work",
    )


def _book(ctx: Context, line: PricedLine, **extra: Any) -> None:
    """Add a priced line to the case: charged only as an accepted quote covers it
    (REP-7); cost and charge accumulate apart (FIN-2)."""
    quote_no = ""
    if line.chargeable:
        quote_no, unit_charge, charge = _cover(ctx, line)
        line = line.model_copy(update={"unit_charge": unit_charge, "charge": charge})
    entry = {**line.model_dump(), "quote": quote_no, "by": ctx.actor.id, "at": ctx.now, **extra}
    ctx.set("lines", (*ctx.fact("lines", ()), entry))
    ctx.set("cost", _money(ctx.fact("cost")) + line.cost)
    ctx.set("charge", _money(ctx.fact("charge")) + line.charge)


def _check_part_value(ctx: Context, part: str, value: Money) -> None:
    """REP-13: a part worth more than the actor's limit needs an unused approval."""
    role = ctx.actor.role
    limit = ctx.policies.permissions.limit_for(role, "part")
    if limit is None or value <= limit:
        return
    approvals = list(ctx.fact("approvals", ()))
    for i, a in enumerate(approvals):
        if a["part"] == part and not a["used"] and _money(a["value"]) >= value:
            approvals[i] = {**a, "used": True}
            ctx.set("approvals", tuple(approvals))
            return
    raise RuleViolation(
        "REP-13",
        f"part {part} worth {value} is above the {role.value} limit of {limit}: "
        "a supervisor approves it first (approve_part)",
    )


def _replace_quote(ctx: Context, no: str, **changes: Any) -> None:
    ctx.set("quotes", tuple({**q, **changes} if q["no"] == no else q for q in ctx.fact("quotes", ())))


# ---------------------------------------------------------------- effects


def on_open(ctx: Context) -> None:
    """REP-1 intake; REP-2 warranty per component; REP-12 committed time."""
    data = ctx.input(RepairIntake)
    product = ctx.case.product
    assert product is not None  # required by RepairIntake
    today = ctx.now.date()
    on = data.reported_on or today
    if on > today:
        raise InvalidInput("reported_on", f"{on.isoformat()} is in the future")
    decisions = decide_warranty(ctx.policies.warranty, product, on=on)
    for decision in decisions.values():
        ctx.record(decision)
    ctx.set("warranty", {name: d.result for name, d in decisions.items()})
    ctx.set("owner", ctx.actor.id)
    ctx.set("cost", Money(0))
    ctx.set("charge", Money(0))
    ctx.start_deadline("completion")


def plan_remote(ctx: Context) -> None:
    data = ctx.input(PlanRemoteIn)
    ctx.set("triage", "remote")
    if data.fault_kind is not None:
        ctx.set("fault_kind", data.fault_kind)
    if data.engineer:
        ctx.set("engineer", data.engineer)
    if data.note:
        ctx.set("triage_note", data.note)
    ctx.start_deadline("remote", start=ctx.case.opened_at)


def schedule_visit(ctx: Context) -> None:
    data = ctx.input(ScheduleVisitIn)
    same = data.same_city
    if same is None:
        city = ctx.case.customer.city.strip()
        service = str(ctx.case.intake.get("service_city", "")).strip()
        if not city or not service:
            raise InvalidInput(
                "same_city",
                "cannot tell whether the customer is in the service city: give same_city, or record "
                "the customer's city and the service_city at intake",
            )
        same = city == service
    ctx.set("triage", "visit")
    ctx.set("same_city", same)
    if data.fault_kind is not None:
        ctx.set("fault_kind", data.fault_kind)
    if data.note:
        ctx.set("triage_note", data.note)
    ctx.clear_deadline("remote")
    # from the report; after remote guidance failed, from now
    start = ctx.case.opened_at if ctx.state == "reported" else ctx.now
    due = ctx.start_deadline(
        "visit", stage="visit_same_city" if same else "visit_other_city", start=start
    ).due.date()
    if data.visit_on is not None:
        if data.visit_on > due and not data.at_customer_request:
            raise RuleViolation(
                "REP-4",
                f"the visit must take place by {due.isoformat()}; a later day needs at_customer_request",
            )
        ctx.set("visit_on", data.visit_on)
        if data.at_customer_request:
            ctx.set("visit_at_customer_request", True)


def dispatch(ctx: Context) -> None:
    data = ctx.input(DispatchIn)
    orders = ctx.fact("dispatch_orders", ())
    order = data.order_no.strip() or f"{ctx.case.id}-D{len(orders) + 1}"
    ctx.set("dispatch_orders", (*orders, order))
    ctx.set("dispatch_order", order)
    ctx.set("technician", data.technician)
    ctx.set("dispatched_by", ctx.actor.id)
    ctx.set("dispatched_at", ctx.now)
    if data.note:
        ctx.set("dispatch_note", data.note)


def arrive(ctx: Context) -> None:
    ctx.set("badge", ctx.input(ArriveIn).badge)
    ctx.set("arrived_by", ctx.actor.id)
    ctx.set("arrived_at", ctx.now)
    ctx.clear_deadline("visit")


def approve_part(ctx: Context) -> None:
    data = ctx.input(ApprovePartIn)
    value = Money(data.unit_cost.amount * data.qty)
    limit = ctx.policies.permissions.limit_for(ctx.actor.role, "part")
    if limit is not None and value > limit:
        raise PermissionDenied(
            ctx.actor.id,
            ctx.actor.role.value,
            f"approve part {data.part} worth {value}",
            rule="REP-13",
            detail=f"limit {limit}",
        )
    approval = {"part": data.part, "value": value, "by": ctx.actor.id, "at": ctx.now, "used": False}
    ctx.set("approvals", (*ctx.fact("approvals", ()), approval))


def make_quote(ctx: Context) -> None:
    data = ctx.input(QuoteIn)
    priced = [_price(ctx, line, f"lines.{i}.") for i, line in enumerate(data.lines)]
    chargeable = [p for p in priced if p.chargeable]
    if not chargeable:
        raise RuleViolation(
            "REP-7",
            "nothing to quote: every line is free (within warranty, no user damage); do the work directly",
        )
    quotes = ctx.fact("quotes", ())
    no = f"Q{len(quotes) + 1}"
    quote = {
        "no": no,
        "lines": tuple({**p.model_dump(), "used": Decimal(0)} for p in chargeable),
        "total": sum((p.charge for p in chargeable), Money(0)),
        "status": "pending",
        "from": ctx.state,
        "by": ctx.actor.id,
        "at": ctx.now,
        "note": data.note,
    }
    ctx.set("quotes", (*quotes, quote))
    ctx.set("pending_quote", no)
    ctx.set("quoted_from", ctx.state)


def _pending(ctx: Context, quote_no: str) -> str:
    pending = str(ctx.fact("pending_quote") or "")
    if quote_no != pending:
        raise InvalidInput("quote_no", f"quote {quote_no!r} is not awaiting consent; {pending!r} is")
    return pending


def consent(ctx: Context) -> None:
    data = ctx.input(ConsentIn)
    no = _pending(ctx, data.quote_no)
    _replace_quote(ctx, no, status="accepted", decided_at=ctx.now, decided_by=data.signed_by or ctx.actor.id)
    ctx.set("pending_quote", "")


def decline(ctx: Context) -> None:
    data = ctx.input(DeclineIn)
    no = _pending(ctx, data.quote_no)
    _replace_quote(ctx, no, status="declined", decided_at=ctx.now, reason=data.reason)
    ctx.set("pending_quote", "")


def use_part(ctx: Context) -> None:
    data = ctx.input(UsePartIn)
    line = FeeLine(
        kind=LineKind.PART,
        item=data.part,
        component=data.component,
        qty=data.qty,
        unit_cost=data.unit_cost,
        user_damage=data.user_damage,
    )
    _warranty(ctx, data.component, "component")
    _check_part_value(ctx, data.part, Money(data.unit_cost.amount * data.qty))
    _book(ctx, _price(ctx, line), certificate=data.certificate, draw_no=data.draw_no)


def record_work(ctx: Context) -> None:
    data = ctx.input(WorkIn)
    line = FeeLine(
        kind=LineKind(data.kind),
        item=data.item,
        component=data.component,
        qty=data.qty,
        user_damage=data.user_damage,
    )
    _book(ctx, _price(ctx, line), note=data.note)


def lend_loaner(ctx: Context) -> None:
    ctx.set("loaner", ctx.input(LoanerIn).loaner)
    ctx.set("loaner_lent_at", ctx.now)


def return_loaner(ctx: Context) -> None:
    loaner = ctx.input(LoanerIn).loaner
    if loaner != ctx.fact("loaner"):
        raise InvalidInput("loaner", f"the loaner out is {ctx.fact('loaner')!r}, not {loaner!r}")
    ctx.set("loaner", "")
    ctx.set("loaner_returned_at", ctx.now)


def take_back(ctx: Context) -> None:
    data = ctx.input(TakeBackIn)
    ctx.set("receipt_no", data.receipt_no.strip())
    ctx.set("receipt_retrieved", False)
    ctx.set("taken_back_at", ctx.now)  # logged out of the customer's site, into the workshop
    ctx.set("taken_back_by", ctx.actor.id)
    if data.reason:
        ctx.set("take_back_reason", data.reason)


def deliver(ctx: Context) -> None:
    ctx.set("receipt_retrieved", True)
    ctx.set("delivered_at", ctx.now)
    ctx.set("delivered_by", ctx.actor.id)


def complete(ctx: Context) -> None:
    data = ctx.input(CompleteIn)
    ctx.set("test_result", data.test_result)
    ctx.set("explanation", data.explanation)
    ctx.set("service_report", data.report)
    ctx.set("completed_by", ctx.actor.id)
    ctx.set("completed_at", ctx.now)
    committed = ctx.deadlines.get("completion")
    ctx.set(
        "on_time",
        "completion" not in ctx.fact("breached", ()) and (committed is None or ctx.now <= committed.due),
    )
    for name in ("completion", "remote", "visit"):
        ctx.clear_deadline(name)


def sign_off(ctx: Context) -> None:
    data = ctx.input(SignOffIn)
    ctx.set("signed_by", data.signed_by)
    ctx.set("signed_at", ctx.now)
    if data.satisfaction is not None:
        ctx.set("satisfaction", data.satisfaction)
    if data.comment:
        ctx.set("feedback", data.comment)


def settle(ctx: Context) -> None:
    data = ctx.input(SettleIn)
    charge = _money(ctx.fact("charge"))
    if data.amount is not None and data.amount != charge:
        raise RuleViolation("REP-11", f"the amount {data.amount} is not the charge due, {charge}")
    decision = ctx.policies.settlement(SettlementRequest(charge, ctx.case))
    if decision is None:
        raise PolicyConfigError("settlement", f"no settlement rule decided how to settle {charge}")
    ctx.record(decision)
    method = SettlementMethod(decision.result)
    ctx.set("settlement", method)
    ctx.set("settlement_ref", data.reference)
    ctx.set("settled_by", ctx.actor.id)
    ctx.set("settled_at", ctx.now)
    if method is SettlementMethod.COLLECT_ON_SITE:
        ctx.set("collected", charge)
    elif method is SettlementMethod.INVOICE:
        ctx.set("invoiced", charge)


def review(ctx: Context) -> None:
    data = ctx.input(RepairReviewIn)
    ctx.set("time_rating", data.time_rating)
    ctx.set("quality_rating", data.quality_rating)
    ctx.set("reviewed_by", ctx.actor.id)
    if data.notes:
        ctx.set("review_notes", data.notes)
    if data.case_report:
        ctx.flag("case_report")


def cancel(ctx: Context) -> None:
    ctx.set("cancel_reason", ctx.input(CancelIn).reason)
    ctx.set("cancelled_by", ctx.actor.id)
    pending = ctx.fact("pending_quote")
    if pending:
        _replace_quote(ctx, pending, status="withdrawn")
        ctx.set("pending_quote", "")


# ---------------------------------------------------------------- definition

STATES = (
    StateDef("reported", "已报修", "reported"),
    StateDef("remote_guidance", "远程指导", "remote guidance"),
    StateDef("visit_scheduled", "已预约上门", "visit scheduled"),
    StateDef("dispatched", "已派工", "dispatched"),
    StateDef("on_site", "现场维修", "on site"),
    StateDef("in_workshop", "返厂维修", "in the workshop"),
    StateDef("awaiting_consent", "待客户确认报价", "awaiting consent to a quote", pauses_sla=True),
    StateDef("awaiting_signoff", "待客户签字", "awaiting the customer's signature"),
    StateDef("awaiting_settlement", "待结算", "awaiting settlement"),
    StateDef("awaiting_review", "待主管评价", "awaiting review"),
    StateDef("closed", "已关闭", "closed", final=True),
    StateDef("cancelled", "已取消", "cancelled", final=True),
)

_WORKING = ("on_site", "in_workshop")
_QUOTE_LINE = {
    "kind": "part",
    "item": "MTR-24",
    "component": "motor",
    "qty": 1,
    "unit_cost": "180.00",
    "user_damage": True,
}
_PART = {k: v for k, v in _QUOTE_LINE.items() if k not in ("kind", "item")}

TRANSITIONS = (
    TransitionDef(
        "plan_remote",
        "reported",
        "remote_guidance",
        "REP-4",
        "远程指导",
        "plan remote guidance",
        input=PlanRemoteIn,
        example={"engineer": "zhao.gang", "fault_kind": "parameters"},
        effect=plan_remote,
    ),
    TransitionDef(
        "schedule_visit",
        ("reported", "remote_guidance"),
        "visit_scheduled",
        "REP-4",
        "预约上门",
        "schedule a visit",
        input=ScheduleVisitIn,
        example={"same_city": True, "note": "customer available mornings"},
        effect=schedule_visit,
    ),
    TransitionDef(
        "dispatch",
        ("visit_scheduled", "dispatched"),
        "dispatched",
        "REP-5",
        "派工",
        "dispatch a technician",
        input=DispatchIn,
        example={"technician": "li.wei", "order_no": "PG-2026-0301"},
        effect=dispatch,
    ),
    TransitionDef(
        "arrive",
        "dispatched",
        "on_site",
        "REP-6",
        "到达现场(出示证件)",
        "arrive on site (ID shown)",
        input=ArriveIn,
        example={"badge": "TECH-0042"},
        effect=arrive,
    ),
    TransitionDef(
        "approve_part",
        ("dispatched", *_WORKING),
        None,
        "REP-13",
        "贵重配件审批",
        "approve a valuable part",
        input=ApprovePartIn,
        example={"part": "MTR-24", "qty": 1, "unit_cost": "980.00"},
        effect=approve_part,
    ),
    TransitionDef(
        "quote",
        _QUOTE_SOURCES,
        "awaiting_consent",
        "REP-7",
        "报价",
        "quote the chargeable work",
        input=QuoteIn,
        example={"lines": [_QUOTE_LINE], "note": "motor burnt out by a power surge"},
        effect=make_quote,
    ),
    *(
        TransitionDef(
            "consent",
            "awaiting_consent",
            source,
            "REP-7",
            "客户同意报价",
            "customer accepts the quote",
            when=_QUOTED_FROM[source],
            input=ConsentIn,
            example={"quote_no": "Q1", "signed_by": "张经理"},
            effect=consent,
        )
        for source in _QUOTE_SOURCES
    ),
    *(
        TransitionDef(
            "decline",
            "awaiting_consent",
            source,
            "REP-7",
            "客户拒绝报价",
            "customer declines the quote",
            when=_QUOTED_FROM[source],
            input=DeclineIn,
            example={"quote_no": "Q1", "reason": "too expensive"},
            effect=decline,
        )
        for source in _QUOTE_SOURCES
    ),
    TransitionDef(
        "use_part",
        _WORKING,
        None,
        "REP-7",
        "领用配件",
        "fit a spare part",
        input=UsePartIn,
        example={"part": "MTR-24", **_PART, "user_damage": False, "certificate": "CERT-MTR-0042"},
        effect=use_part,
    ),
    TransitionDef(
        "record_work",
        _QUOTE_SOURCES,
        None,
        "REP-7",
        "记录工时/差旅",
        "record labour or travel",
        input=WorkIn,
        example={"kind": "labour", "item": "labour", "component": "motor", "qty": "1.5"},
        effect=record_work,
    ),
    TransitionDef(
        "lend_loaner",
        _WORKING,
        None,
        "REP-9",
        "借出替补商品",
        "lend a loaner",
        guards=(loaner_returned,),
        input=LoanerIn,
        example={"loaner": "LN-JX9-07"},
        effect=lend_loaner,
    ),
    TransitionDef(
        "return_loaner",
        _WORKING,
        None,
        "REP-9",
        "归还替补商品",
        "loaner returned",
        guards=(loaner_out,),
        input=LoanerIn,
        example={"loaner": "LN-JX9-07"},
        effect=return_loaner,
    ),
    TransitionDef(
        "take_back",
        "on_site",
        "in_workshop",
        "REP-8",
        "带回维修(开具收据)",
        "take back to the workshop (receipt given)",
        guards=(receipt_given,),
        input=TakeBackIn,
        example={"receipt_no": "RCPT-0301", "reason": "winding needs the workshop"},
        effect=take_back,
    ),
    TransitionDef(
        "deliver",
        "in_workshop",
        "on_site",
        "REP-8",
        "送回(收回收据)",
        "deliver back (receipt retrieved)",
        guards=(loaner_returned, receipt_retrieved),
        input=DeliverIn,
        example={"receipt_no": "RCPT-0301"},
        effect=deliver,
    ),
    TransitionDef(
        "complete",
        ("remote_guidance", "on_site"),
        "awaiting_signoff",
        "REP-10",
        "完工(测试、讲解、填写服务报告)",
        "complete (tested, explained, reported)",
        guards=(loaner_returned,),
        input=CompleteIn,
        example={
            "test_result": "8 h load test passed",
            "explanation": "keep the vents clear; monthly lubrication",
            "report": "replaced spindle motor",
        },
        effect=complete,
    ),
    TransitionDef(
        "sign_off",
        "awaiting_signoff",
        "awaiting_settlement",
        "REP-10",
        "客户签字确认",
        "customer signs off",
        when=charge_due,
        input=SignOffIn,
        example={"signed_by": "张经理", "satisfaction": 5},
        effect=sign_off,
    ),
    TransitionDef(
        "sign_off",
        "awaiting_signoff",
        "awaiting_review",
        "REP-10",
        "客户签字确认(无费用)",
        "customer signs off (nothing to charge)",
        when=nothing_due,
        input=SignOffIn,
        example={"signed_by": "张经理", "satisfaction": 5},
        effect=sign_off,
    ),
    TransitionDef(
        "settle",
        "awaiting_settlement",
        "awaiting_review",
        "REP-11",
        "结算",
        "settle",
        input=SettleIn,
        example={"reference": "SK-2026-0301"},
        effect=settle,
    ),
    TransitionDef(
        "review",
        "awaiting_review",
        "closed",
        "REP-12",
        "主管评价",
        "supervisor review",
        input=RepairReviewIn,
        example={"time_rating": 5, "quality_rating": 4, "notes": "on time, clean work"},
        effect=review,
    ),
    TransitionDef(
        "cancel",
        "*",
        "cancelled",
        "G-2",
        "取消",
        "cancel",
        guards=(unit_not_held, loaner_returned),
        input=CancelIn,
        example={"reason": "customer fixed it after the call"},
        effect=cancel,
    ),
    breach_row(),
)

WORKFLOW = Workflow(
    "repair",
    zh="维修",
    en="repair",
    states=STATES,
    transitions=TRANSITIONS,
    intake=RepairIntake,
    on_open=on_open,
    id_prefix="REP",
    example={
        "customer": {
            "id": "CUST-017",
            "name": "华纺织造",
            "phone": "0575-8888-0001",
            "address": "绍兴市柯桥区",
            "city": "绍兴",
        },
        "channel": "phone",
        "product": {
            "model": "JX-9",
            "line": "smart_equipment",
            "serial": "JX9-2025-0042",
            "purchase_date": date(2025, 12, 1),
            "components": [{"name": "motor", "warranty_months": 24}, {"name": "sensor"}],
        },
        "fault": "spindle motor stalls under load, error E-21",
        "fault_kind": "hardware",
        "service_city": "绍兴",
    },
)

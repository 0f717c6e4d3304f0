"""Pieces every workflow shares: the SLA breach row and review/feedback inputs."""

from __future__ import annotations

from pydantic import Field

from aftersales_core.engine import Context, Effect, TransitionDef, guard
from aftersales_core.intake import Input, Text

__all__ = ["BreachIn", "FeedbackIn", "ReviewIn", "breach_row", "record_breach", "record_feedback"]


class BreachIn(Input):
    deadline: Text


class FeedbackIn(Input):
    """Customer feedback, the step every case needs before closing (G-1)."""

    satisfaction: int = Field(ge=1, le=5, description="1 (very dissatisfied) .. 5 (very satisfied)")
    comment: str = ""


class ReviewIn(Input):
    """Review (复盘) of a closed case (G-1, G-9)."""

    notes: Text
    faq: bool = False
    case_report: bool = False


@guard("SLA-2", "the deadline named is not running on this case", needs_data=True)
def deadline_running(ctx: Context) -> bool:
    name = ctx.input(BreachIn).deadline
    return name in ctx.case.deadlines and name not in ctx.case.fact("breached", ())


def record_feedback(ctx: Context) -> None:
    """G-1 (CON-3, CPL-7): the customer's satisfaction and comment, the step closing needs."""
    data = ctx.input(FeedbackIn)
    ctx.set("satisfaction", data.satisfaction)
    if data.comment:
        ctx.set("feedback", data.comment)


def record_breach(ctx: Context) -> None:
    """Mark the deadline breached (once) and let the workflow react."""
    name = ctx.input(BreachIn).deadline
    ctx.set("breached", (*ctx.case.fact("breached", ()), name))
    ctx.flag("breached")


def breach_row(effect: Effect = record_breach) -> TransitionDef:
    """The system's ``breach`` trigger, fired by ``Desk.tick`` from any open state."""
    return TransitionDef(
        "breach",
        "*",
        None,
        "SLA-2",
        "超时",
        "deadline breached",
        guards=(deadline_running,),
        input=BreachIn,
        example={"deadline": "response"},
        effect=effect,
    )

"""Consultations (咨询), SPEC §2: CON-1..3 with the closed loop of G-1.

::

    received ──answer──▶ answered ──close──▶ closed ──review──▶ reviewed
       │                    ▲
       └──refer──▶ referred ┘answer

Deadlines: a response within 1 working day of receipt (CON-1); when referred, an
answer within 2 working days of receipt (CON-2). Both are SLA-policy targets.
"""

from __future__ import annotations

from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow
from aftersales_core.intake import Input, IntakeBase, Text
from aftersales_core.workflows.common import FeedbackIn, ReviewIn, breach_row, record_feedback

__all__ = ["WORKFLOW", "AnswerIn", "ConsultationIntake", "ReferIn"]


class ConsultationIntake(IntakeBase):
    question: Text
    topic: str = ""


class AnswerIn(Input):
    answer: Text
    faq_candidate: bool = False  # CON-3: frequent question, candidate for the FAQ handbook
    topic: str = ""


class ReferIn(Input):
    to: Text  # the technical or responsible person / department (CON-2)
    contact: str = ""  # how the customer will be reached with the answer
    note: str = ""


# ---------------------------------------------------------------- effects


def on_open(ctx: Context) -> None:
    ctx.set("owner", ctx.actor.id)
    ctx.start_deadline("response")


def record_answer(ctx: Context) -> None:
    data = ctx.input(AnswerIn)
    ctx.set("answer", data.answer)
    ctx.set("answered_by", ctx.actor.id)
    ctx.set("answered_at", ctx.now)
    if data.topic:
        ctx.set("topic", data.topic)
    if data.faq_candidate:
        ctx.flag("faq_candidate")
    ctx.clear_deadline("response")
    ctx.clear_deadline("answer")


def record_referral(ctx: Context) -> None:
    data = ctx.input(ReferIn)
    ctx.set("referred_to", data.to)
    if data.contact:
        ctx.set("contact", data.contact)
    ctx.clear_deadline("response")
    ctx.start_deadline("answer", start=ctx.case.opened_at)


def record_review(ctx: Context) -> None:
    data = ctx.input(ReviewIn)
    ctx.set("review_notes", data.notes)
    ctx.set("reviewed_by", ctx.actor.id)
    if data.faq:
        ctx.flag("faq_candidate")


# ---------------------------------------------------------------- definition

STATES = (
    StateDef("received", "已受理", "received"),
    StateDef("referred", "已转交", "referred"),
    StateDef("answered", "已答复", "answered"),
    StateDef("closed", "已关闭", "closed", final=True),
    StateDef("reviewed", "已复盘", "reviewed", final=True),
)

TRANSITIONS = (
    TransitionDef(
        "refer",
        "received",
        "referred",
        "CON-2",
        "转交",
        "refer to a specialist",
        input=ReferIn,
        example={"to": "zhao.gang", "contact": "email"},
        effect=record_referral,
    ),
    TransitionDef(
        "answer",
        ("received", "referred"),
        "answered",
        "CON-3",
        "答复",
        "answer",
        input=AnswerIn,
        example={"answer": "Menu > Sensors > Calibrate.", "faq_candidate": True},
        effect=record_answer,
    ),
    TransitionDef(
        "close",
        "answered",
        "closed",
        "G-1",
        "关闭(客户反馈)",
        "close with customer feedback",
        input=FeedbackIn,
        example={"satisfaction": 5, "comment": "thanks"},
        effect=record_feedback,
    ),
    TransitionDef(
        "review",
        "closed",
        "reviewed",
        "G-1",
        "复盘",
        "review",
        input=ReviewIn,
        example={"notes": "FAQ entry drafted", "faq": True},
        effect=record_review,
    ),
    breach_row(),
)

WORKFLOW = Workflow(
    "consultation",
    zh="咨询",
    en="consultation",
    states=STATES,
    transitions=TRANSITIONS,
    intake=ConsultationIntake,
    on_open=on_open,
    id_prefix="CON",
    example={
        "customer": {"id": "CUST-001", "name": "华纺织造", "phone": "0575-8888-0001"},
        "channel": "phone",
        "question": "How do I recalibrate the yarn tension sensor?",
    },
)

"""A scripted run of consultations through the service desk: ``aftersales demo --scripted``."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from aftersales_core.clock import CHINA_TZ, FixedClock
from aftersales_core.desk import Desk
from aftersales_core.errors import AfterSalesError
from aftersales_core.model import Actor, Case, Role

__all__ = ["run_demo"]


def _fmt(case: Case) -> str:
    dl = ", ".join(
        f"{d.name} due {d.due:%Y-%m-%d %H:%M} ({d.rule}, {d.workdays} wd)" for d in case.deadlines.values()
    )
    return f"{case.id:<12} {case.state:<10} v{case.version}  {dl or '-'}"


def run_demo(out: TextIO) -> int:
    """Consultations around Spring Festival 2026 (CON-1..3, SLA-1)."""
    clock = FixedClock(datetime(2026, 2, 13, 9, 30, tzinfo=CHINA_TZ))
    desk = Desk(clock=clock)
    agent = Actor("wang.li", Role.AGENT, "王丽", "consultation_group")
    engineer = Actor("zhao.gang", Role.ENGINEER, "赵刚", "repair_group")
    supervisor = Actor("chen.jie", Role.CS_SUPERVISOR, "陈杰", "consultation_group")
    w = out.write
    w("aftersales_core demo: consultations around Spring Festival 2026 (mainland-China calendar)\n\n")

    c1 = desk.open(
        "consultation",
        actor=agent,
        customer={"id": "CUST-001", "name": "华纺织造"},
        channel="phone",
        question="How do I recalibrate the yarn tension sensor?",
    )
    w(f"Fri 2026-02-13 09:30  opened   {_fmt(c1)}\n")
    c2 = desk.open(
        "consultation",
        actor=agent,
        customer={"id": "CUST-002"},
        channel="email",
        question="Does the anti-static coating survive 50 washes?",
        product={"model": "AS-FAB-200", "line": "functional_fabric"},
    )
    w(f"Fri 2026-02-13 09:30  opened   {_fmt(c2)}\n")
    c1 = desk.fire(
        c1.id,
        "answer",
        actor=agent,
        answer="Menu > Sensors > Tension > Calibrate.",
        faq_candidate=True,
        topic="sensor calibration",
    )
    w(f"Fri 2026-02-13 09:30  answer   {_fmt(c1)}  (marked FAQ candidate, CON-3)\n")
    c2 = desk.fire(c2.id, "refer", actor=agent, to="zhao.gang", contact="email")
    w(
        f"Fri 2026-02-13 09:30  refer    {_fmt(c2)}  (Sat 02-14 is a make-up working day; "
        "02-15..02-23 Spring Festival)\n"
    )
    clock.set(datetime(2026, 2, 24, 11, 0, tzinfo=CHINA_TZ))
    c2 = desk.fire(c2.id, "answer", actor=engineer, answer="Yes: tested to 80 washes (report T-2231).")
    w(f"Tue 2026-02-24 11:00  answer   {_fmt(c2)}\n")
    for c in (c1, c2):
        c = desk.fire(c.id, "close", actor=agent, satisfaction=5, comment="thanks")
        w(f"                      close    {_fmt(c)}  (customer feedback recorded, G-1)\n")
    try:
        desk.fire(c1.id, "review", actor=agent, notes="FAQ entry drafted")
    except AfterSalesError as exc:
        w(f"                      refused  {type(exc).__name__}: {exc}\n")
    c = desk.fire(c1.id, "review", actor=supervisor, notes="FAQ entry drafted", faq=True)
    w(f"                      review   {_fmt(c)}\n\n")
    w(f"history of {c1.id} (G-2):\n")
    for ev in desk.history(c1.id):
        rules = ", ".join(d.rule for d in ev.decisions) or "-"
        w(
            f"  #{ev.seq} {ev.at:%Y-%m-%d %H:%M} {ev.trigger:<8} {ev.source or '-':>9} -> {ev.dest:<9} "
            f"by {ev.actor.id:<10} rules: {rules}\n"
        )
    assert desk.replay(c1.id) == desk.get(c1.id)
    w("\nreplay of every history equals the stored case: ok\n")
    return 0

"""Performance figures folded from recorded events (G-8) and FAQ candidates (G-9).

Everything here is a pure function of the events (a :class:`~aftersales_core.store.Store`,
a mapping ``case id -> events`` or any iterable of events) and a working-day
calendar; nothing is written, no policy is asked again. No figure depends on a
customer's name, phone or address, and no KPI or export can contain them: the
only texts taken from a case — a group's name (an attribution is free text) and
a consultation's question in :func:`faq_candidates` — have the customer's
personal values masked (:func:`aftersales_core.privacy.mask_text`).

**Which cases.** A case counts when its opening event lies in the window
``[start, end)``; its figures are taken *as of* ``end``, from its events recorded
before ``end`` (so re-running last month's report gives last month's figures).
Without ``end`` every event counts; without ``start`` every case opened before
``end`` does. A ``date`` means midnight at the start of that day, China time.

**Which group.** Each case belongs to exactly one department (``by="department"``)
or person (``by="person"``):

* consultation: department ``consultation_group``; person: who answered it, else its owner.
* complaint: the department it counts against — the review's
  ``responsible_department`` (CPL-7), else the routed ``department`` (CPL-2), else
  ``complaint_group``; person: its owner (the intake actor, or whom ``start`` named).
* repair: ``repair_group``; person: the technician dispatched, else the remote
  engineer, else its owner.
* return: the department the cause is attributed to (RET-4), else ``aftersales``
  (still on the after-sales desk, or rejected); person: the person the cause is
  attributed to, else its owner.
* other kinds: the fact ``department``, else ``aftersales``; person: its owner.

A case without an owner goes to ``(unassigned)``. A group name never shows the
customer's personal data: a return attributed to the customer's own operator by
name is grouped under ``***`` (:data:`~aftersales_core.privacy.MASK`).

**The figures** of a :class:`KpiRow` (per group, and a ``total`` row over all):

* ``cases`` opened in the window; ``open`` of them not in a final state at ``end``;
  ``cancelled`` ended in ``cancelled``.
* ``resolved``: cases not cancelled whose resolution event was recorded — a
  consultation *answered* (CON-3), a complaint *resolved* (accepted or decided,
  CPL-6), a repair *completed* (REP-10), a return refunded, exchanged, sent to
  repair, compensated, closed with nothing owed, or rejected citing the rule
  (RET-1/2). ``resolution_rate = resolved / (cases − cancelled)``.
* ``first_response_days``: mean working time from opening to the first response —
  a consultation answered or referred (CON-1), a complaint routed (CPL-1), a
  repair triaged to remote guidance or a visit (REP-4), a return approved or
  rejected (RET-2) — over the ``responded`` cases. ``resolution_days``: mean
  working time from opening to the resolution event, over the resolved cases.
  Working time is :func:`~aftersales_core.calendar.working_seconds_between` on the
  calendar (whole working days, SLA-1) divided by 86 400, the mean rounded half-up
  to 0.01 of a working day.
* ``sla_breached``: cases with a recorded ``breach`` (SLA-2; the host's
  :meth:`Desk.tick <aftersales_core.Desk.tick>` records them); ``sla_met``: cases
  without one whose clocks have all stopped (no deadline left running or paused);
  cases still running are neither. ``sla_compliance = met / (met + breached)``.
* ``satisfaction``: mean of the customer's 1–5 score (G-1, CPL-7) over the ``rated``
  cases, rounded to 0.01.
* ``complaints``: complaints in the group (by department: those that count against
  it, G-8); ``escalated``: of those, the ones that went above the handler level
  (CPL-3: escalated, breached up the ladder or urgent at intake);
  ``escalation_rate = escalated / complaints``.
* ``returns``: returns in the group (by department: attributed to it, RET-4).
* ``repair_time_score`` / ``repair_quality_score``: mean of the supervisor's 1–5
  ratings over the ``repairs_reviewed`` (REP-12), rounded to 0.01.
* ``cost``: cost to the company — a repair's labour, parts and travel (FIN-2) plus a
  return's compensation (RET-3); ``charge``: what repairs charge the customer
  (FIN-2); ``refunds``: what returns refunded (RET-2). Exact :class:`Money` sums.

Ratios are ``Decimal`` rounded half-up to 0.0001 (``None`` when nothing was
counted); :meth:`KpiTable.to_rows` and :meth:`KpiTable.to_json` export them as text.

>>> from datetime import datetime
>>> from aftersales_core import CHINA_TZ, Actor, Desk, FixedClock, Role
>>> from aftersales_core.calendar import ChinaCalendar
>>> desk = Desk(clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
>>> agent = Actor("wang.li", Role.AGENT)
>>> case = desk.open("consultation", actor=agent, customer={"id": "C1"}, channel="phone",
...                  question="How do I reset the tension sensor?")
>>> desk.clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=CHINA_TZ))  # doctest: +ELLIPSIS
datetime...
>>> _ = desk.fire(case.id, "answer", actor=agent, answer="Hold RESET for 5 s.")
>>> row = kpis(desk.store, ChinaCalendar()).row("consultation_group")
>>> row.cases, row.resolved, row.first_response_days, row.resolution_rate
(1, 1, Decimal('0.25'), Decimal('1.0000'))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import attrs

from aftersales_core.calendar import BusinessCalendar, working_seconds_between
from aftersales_core.clock import CHINA_TZ
from aftersales_core.engine import apply_event
from aftersales_core.events import Event
from aftersales_core.model import Case, Department, Role
from aftersales_core.money import Money
from aftersales_core.privacy import mask_text, personal_values
from aftersales_core.store import Store
from aftersales_core.workflows import get_workflow

__all__ = [
    "FIRST_RESPONSE",
    "RESOLVED_STATES",
    "CaseFigures",
    "FaqCandidate",
    "GroupBy",
    "KpiRow",
    "KpiTable",
    "case_figures",
    "faq_candidates",
    "histories",
    "kpis",
]

GroupBy = Literal["department", "person"]
Source = Store | Mapping[str, Sequence[Event]] | Iterable[Event]

#: Triggers that are a case's first response, by kind (CON-1, CPL-1, REP-4, RET-2).
FIRST_RESPONSE: Mapping[str, frozenset[str]] = {
    "consultation": frozenset({"answer", "refer"}),
    "complaint": frozenset({"route"}),
    "repair": frozenset({"plan_remote", "schedule_visit"}),
    "return": frozenset({"approve", "reject"}),
}
#: States whose first reaching resolves a case, by kind (CON-3, CPL-6, REP-10, RET-2).
RESOLVED_STATES: Mapping[str, frozenset[str]] = {
    "consultation": frozenset({"answered"}),
    "complaint": frozenset({"resolved"}),
    "repair": frozenset({"awaiting_signoff"}),
    "return": frozenset({"refunded", "exchanged", "repaired", "compensated", "closed", "rejected"}),
}
CANCELLED = "cancelled"
UNASSIGNED = "(unassigned)"
TOTAL = "total"

_DAY = Decimal(86400)
_CENT = Decimal("0.01")
_RATIO = Decimal("0.0001")
_ZERO = Money(0)


# --------------------------------------------------------------------------- sources


def histories(source: Source) -> dict[str, tuple[Event, ...]]:
    """Events by case id, each history oldest first, from a store, a mapping or
    an iterable of events (in any order)."""
    if isinstance(source, Store):
        return {cid: tuple(source.events(cid)) for cid in source.case_ids()}
    if isinstance(source, Mapping):
        return {cid: tuple(sorted(evs, key=_seq)) for cid, evs in source.items()}
    grouped: dict[str, list[Event]] = {}
    for ev in source:
        grouped.setdefault(ev.case_id, []).append(ev)
    return {cid: tuple(sorted(evs, key=_seq)) for cid, evs in grouped.items()}


def _seq(event: Event) -> int:
    return event.seq


def _instant(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if value is not None and value.tzinfo is None:
            raise ValueError("a KPI window needs timezone-aware datetimes (or dates)")
        return value
    return datetime.combine(value, time(0, 0), tzinfo=CHINA_TZ)


# --------------------------------------------------------------------------- per case


@attrs.frozen
class CaseFigures:
    """What one case contributes to the KPIs, as of the end of the window."""

    case_id: str
    kind: str
    state: str
    department: str
    person: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    cancelled: bool
    final: bool
    breached: bool
    clocks_stopped: bool
    satisfaction: int | None
    escalated: bool
    time_rating: int | None
    quality_rating: int | None
    cost: Money
    charge: Money
    refund: Money

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None and not self.cancelled


def _money(value: Any) -> Money:
    return value if isinstance(value, Money) else _ZERO


def _department(case: Case) -> str:
    kind = case.kind
    if kind == "consultation":
        return Department.CONSULTATION.value
    if kind == "repair":
        return Department.REPAIR.value
    if kind == "complaint":
        return str(
            case.fact("responsible_department") or case.fact("department") or Department.COMPLAINT.value
        )
    if kind == "return":
        attribution = case.fact("attribution")
        if attribution and attribution.get("department"):
            return str(attribution["department"])
        return Department.AFTERSALES.value
    return str(case.fact("department") or Department.AFTERSALES.value)


def _person(case: Case) -> str:
    kind = case.kind
    if kind == "consultation":
        who = case.fact("answered_by") or case.fact("owner")
    elif kind == "repair":
        who = case.fact("technician") or case.fact("engineer") or case.fact("owner")
    elif kind == "return":
        attribution = case.fact("attribution")
        who = (attribution.get("person") if attribution else "") or case.fact("owner")
    else:
        who = case.fact("owner")
    return str(who) if who else UNASSIGNED


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def case_figures(events: Sequence[Event], *, end: date | datetime | None = None) -> CaseFigures | None:
    """Fold one case's history (oldest first) as of ``end`` into its figures;
    ``None`` when the case was not yet opened then."""
    until = _instant(end)
    case: Case | None = None
    first_response: datetime | None = None
    resolved: datetime | None = None
    breached = False
    for ev in events:
        if until is not None and ev.at >= until:
            break
        case = apply_event(case, ev)
        if ev.seq == 1:
            continue
        if first_response is None and _responds(ev):
            first_response = ev.at
        if resolved is None and _resolves(ev):
            resolved = ev.at
        if ev.trigger == "breach":
            breached = True
    if case is None:
        return None
    final = _is_final(case.kind, case.state)
    personal = personal_values(case.customer)  # a group is never named after the customer
    return CaseFigures(
        case_id=case.id,
        kind=case.kind,
        state=case.state,
        department=mask_text(_department(case), personal),
        person=mask_text(_person(case), personal),
        opened_at=case.opened_at,
        first_response_at=first_response,
        resolved_at=resolved,
        cancelled=case.state == CANCELLED,
        final=final,
        breached=breached,
        clocks_stopped=not case.deadlines,
        satisfaction=_int(case.fact("satisfaction")),
        escalated=case.kind == "complaint" and int(case.fact("level", 0) or 0) > 0,
        time_rating=_int(case.fact("time_rating")) if case.kind == "repair" else None,
        quality_rating=_int(case.fact("quality_rating")) if case.kind == "repair" else None,
        cost=_money(case.fact("cost")) + _money(case.fact("compensation")),
        charge=_money(case.fact("charge")),
        refund=_money(case.fact("refund")),
    )


def _responds(ev: Event) -> bool:
    """Whether ``ev`` is a first response (other kinds: anything a person does)."""
    triggers = FIRST_RESPONSE.get(ev.kind)
    if triggers is None:
        return ev.actor.role is not Role.SYSTEM
    return ev.trigger in triggers


def _resolves(ev: Event) -> bool:
    """Whether ``ev`` resolves its case (other kinds: reaching a final state but cancelled)."""
    states = RESOLVED_STATES.get(ev.kind)
    if states is None:
        return ev.dest != CANCELLED and _is_final(ev.kind, ev.dest)
    return ev.dest in states


def _is_final(kind: str, state: str) -> bool:
    try:
        return state in get_workflow(kind).final_states
    except KeyError:  # a host's own kind that the built-ins do not know
        return state in ("closed", "reviewed", CANCELLED)


# --------------------------------------------------------------------------- the table


@attrs.frozen
class KpiRow:
    """The figures of one department or person (see the module doc for each)."""

    group: str
    cases: int
    open: int
    cancelled: int
    resolved: int
    resolution_rate: Decimal | None
    responded: int
    first_response_days: Decimal | None
    resolution_days: Decimal | None
    sla_met: int
    sla_breached: int
    sla_compliance: Decimal | None
    rated: int
    satisfaction: Decimal | None
    complaints: int
    escalated: int
    escalation_rate: Decimal | None
    returns: int
    repairs_reviewed: int
    repair_time_score: Decimal | None
    repair_quality_score: Decimal | None
    cost: Money
    charge: Money
    refunds: Money

    def to_dict(self) -> dict[str, str | int | None]:
        """The row as JSON-ready values: counts as ints, ratios, days, scores and
        amounts as decimal text (money in yuan to the fen), missing figures as None."""
        out: dict[str, str | int | None] = {}
        for field in attrs.fields(KpiRow):
            value = getattr(self, field.name)
            if isinstance(value, Money):
                out[field.name] = str(value.amount)
            elif isinstance(value, Decimal):
                out[field.name] = str(value)
            else:
                out[field.name] = value
        return out


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(_RATIO, ROUND_HALF_UP) if whole else None


def _mean(values: Sequence[int], unit: Decimal = Decimal(1)) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values) / unit).quantize(_CENT, ROUND_HALF_UP)


def _row(group: str, figures: Sequence[CaseFigures], calendar: BusinessCalendar) -> KpiRow:
    def working(a: datetime, b: datetime) -> int:
        return working_seconds_between(calendar, a, b)

    cancelled = sum(f.cancelled for f in figures)
    resolved = [f for f in figures if f.resolved]
    responded = [f for f in figures if f.first_response_at is not None]
    breached = sum(f.breached for f in figures)
    met = sum(not f.breached and f.clocks_stopped for f in figures)
    rated = [f.satisfaction for f in figures if f.satisfaction is not None]
    complaints = [f for f in figures if f.kind == "complaint"]
    escalated = sum(f.escalated for f in complaints)
    reviewed = [f for f in figures if f.time_rating is not None and f.quality_rating is not None]
    return KpiRow(
        group=group,
        cases=len(figures),
        open=sum(not f.final for f in figures),
        cancelled=cancelled,
        resolved=len(resolved),
        resolution_rate=_ratio(len(resolved), len(figures) - cancelled),
        responded=len(responded),
        first_response_days=_mean(
            [working(f.opened_at, f.first_response_at) for f in responded if f.first_response_at], _DAY
        ),
        resolution_days=_mean([working(f.opened_at, f.resolved_at) for f in resolved if f.resolved_at], _DAY),
        sla_met=met,
        sla_breached=breached,
        sla_compliance=_ratio(met, met + breached),
        rated=len(rated),
        satisfaction=_mean(rated),
        complaints=len(complaints),
        escalated=escalated,
        escalation_rate=_ratio(escalated, len(complaints)),
        returns=sum(f.kind == "return" for f in figures),
        repairs_reviewed=len(reviewed),
        repair_time_score=_mean([f.time_rating for f in reviewed if f.time_rating is not None]),
        repair_quality_score=_mean([f.quality_rating for f in reviewed if f.quality_rating is not None]),
        cost=sum((f.cost for f in figures), _ZERO),
        charge=sum((f.charge for f in figures), _ZERO),
        refunds=sum((f.refund for f in figures), _ZERO),
    )


@attrs.frozen
class KpiTable:
    """KPI rows by department or person over a window, and the ``total`` row."""

    by: GroupBy
    start: datetime | None
    end: datetime | None
    rows: tuple[KpiRow, ...]
    total: KpiRow

    def row(self, group: str) -> KpiRow:
        """The row of ``group`` (``"total"`` for the total); ``KeyError`` if none."""
        if group == TOTAL:
            return self.total
        for r in self.rows:
            if r.group == group:
                return r
        raise KeyError(group)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(r.group for r in self.rows)

    def to_rows(self) -> list[dict[str, str | int | None]]:
        """Every row, then the total, as JSON-ready dicts (see :meth:`KpiRow.to_dict`)."""
        return [r.to_dict() for r in (*self.rows, self.total)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "rows": [r.to_dict() for r in self.rows],
            "total": self.total.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _figures(
    source: Source, start: datetime | None, end: datetime | None
) -> list[tuple[CaseFigures, tuple[Event, ...]]]:
    out = []
    for events in histories(source).values():
        if not events:
            continue
        opened = events[0].at
        if (start is not None and opened < start) or (end is not None and opened >= end):
            continue
        figures = case_figures(events, end=end)
        if figures is not None:
            out.append((figures, events))
    return out


def kpis(
    source: Source,
    calendar: BusinessCalendar,
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    by: GroupBy = "department",
) -> KpiTable:
    """The KPI table of the cases opened in ``[start, end)``, by department or
    person, as of ``end`` (G-8). See the module doc for every figure."""
    if by not in ("department", "person"):
        raise ValueError(f"by must be 'department' or 'person', not {by!r}")
    lo, hi = _instant(start), _instant(end)
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"the window ends ({hi.isoformat()}) before it starts ({lo.isoformat()})")
    all_figures = [f for f, _ in _figures(source, lo, hi)]
    groups: dict[str, list[CaseFigures]] = {}
    for f in all_figures:
        groups.setdefault(f.department if by == "department" else f.person, []).append(f)
    rows = tuple(_row(g, groups[g], calendar) for g in sorted(groups))
    return KpiTable(by, lo, hi, rows, _row(TOTAL, all_figures, calendar))


# --------------------------------------------------------------------------- FAQ (G-9)


@attrs.frozen
class FaqCandidate:
    """A consultation topic for the FAQ handbook (CON-3, G-9): how often it was
    asked in the window, how many of those were marked FAQ candidates, and one
    question asked (personal data masked)."""

    topic: str
    asked: int
    flagged: int
    example: str

    def to_dict(self) -> dict[str, str | int]:
        return {"topic": self.topic, "asked": self.asked, "flagged": self.flagged, "example": self.example}


def _topic(case: Case) -> str:
    topic = case.fact("topic") or case.intake.get("topic") or case.intake.get("question") or ""
    return " ".join(str(topic).split())


def faq_candidates(
    source: Source,
    *,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    min_asked: int = 2,
    limit: int | None = None,
) -> tuple[FaqCandidate, ...]:
    """Consultation topics ranked by how often they were asked in ``[start, end)``
    (G-9): those marked FAQ candidates at least once (on ``answer`` or ``review``)
    or asked at least ``min_asked`` times; most asked first, then most marked, then
    by topic. A consultation's topic is the one recorded with its answer, else at
    intake, else its question."""
    lo, hi = _instant(start), _instant(end)
    found: dict[str, list[Any]] = {}
    for figures, events in _figures(source, lo, hi):
        if figures.kind != "consultation":
            continue
        case: Case | None = None
        for ev in events:
            if hi is not None and ev.at >= hi:
                break
            case = apply_event(case, ev)
        assert case is not None
        topic = _topic(case)
        if not topic:
            continue
        masked = mask_text(topic, personal_values(case.customer))
        entry = found.setdefault(masked.casefold(), [masked, 0, 0, ""])
        entry[1] += 1
        entry[2] += "faq_candidate" in case.flags
        if not entry[3]:
            entry[3] = mask_text(str(case.intake.get("question", "")), personal_values(case.customer))
    ranked = sorted(
        (FaqCandidate(t, asked, flagged, ex) for t, asked, flagged, ex in found.values()),
        key=lambda c: (-c.asked, -c.flagged, c.topic),
    )
    chosen = tuple(c for c in ranked if c.flagged or c.asked >= min_asked)
    return chosen[:limit] if limit is not None else chosen

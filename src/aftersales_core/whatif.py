"""What-if replay: run stored histories again under another policy set (DESIGN §4).

Replaying a case's *events* never calls a policy (``replay`` folds recorded
decisions). A what-if instead re-handles each recorded trigger — same actor, same
time, same input — through the real workflow under the other ``PolicySet`` and
compares what it decides with what was recorded::

    report = desk.what_if(desk.policies.replace(version="wty-18", warranty=longer))
    for diff in report.changed:
        print(diff.case_id, diff.decisions, diff.money)

A trigger the new rules refuse is reported (rule and message) and skipped: the
re-run goes on with the next recorded event, as if the refused one had not
happened, so that money facts compare the whole history (a quote the new rules
find unnecessary is refused, and so is the consent to it; the parts fitted after
it are still costed). ``CaseDiff.refused`` is the first refusal,
``CaseDiff.refusals`` all of them. Linked cases opened by an event are re-run on
their own. ``policies`` may be a
:class:`~aftersales_core.policies.PolicyVersions`: each event is then re-handled
under the version in force at its time. Nothing is written to the desk's store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from aftersales_core.clock import FixedClock
from aftersales_core.engine import apply_event, replay
from aftersales_core.errors import AfterSalesError
from aftersales_core.events import Decision, Event
from aftersales_core.model import Case
from aftersales_core.money import Money

if TYPE_CHECKING:
    from aftersales_core.desk import Desk
    from aftersales_core.policies import PolicySet, PolicyVersions

__all__ = ["CaseDiff", "DecisionDiff", "Refusal", "WhatIfReport", "what_if"]


@attrs.frozen
class DecisionDiff:
    """A decision that came out differently at event ``seq``."""

    seq: int
    trigger: str
    policy: str
    before: Any
    after: Any
    rule_before: str
    rule_after: str


@attrs.frozen
class Refusal:
    """The new rules would have refused event ``seq``."""

    seq: int
    trigger: str
    error: str
    rule: str | None
    message: str


@attrs.frozen
class CaseDiff:
    case_id: str
    kind: str
    decisions: tuple[DecisionDiff, ...] = ()
    refused: Refusal | None = None
    #: Money facts whose final value changed: name -> (before, after)
    money: Mapping[str, tuple[Money, Money]] = attrs.field(factory=dict)
    state_before: str = ""
    state_after: str = ""
    #: every event the new rules refused (``refused`` is the first); the re-run skipped them
    refusals: tuple[Refusal, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.decisions or self.refused or self.money or self.state_before != self.state_after)

    def delta(self, fact: str) -> Money:
        """After minus before for a Money fact (zero if unchanged)."""
        pair = self.money.get(fact)
        return pair[1] - pair[0] if pair else Money(0)


@attrs.frozen
class WhatIfReport:
    policies_before: str
    policies_after: str
    cases: tuple[CaseDiff, ...]

    @property
    def changed(self) -> tuple[CaseDiff, ...]:
        return tuple(c for c in self.cases if c.changed)

    @property
    def refused(self) -> tuple[CaseDiff, ...]:
        return tuple(c for c in self.cases if c.refused is not None)

    def money_delta(self, fact: str) -> Money:
        """Total after minus before of a Money fact over all cases."""
        return sum((c.delta(fact) for c in self.cases), Money(0))

    def summary(self) -> str:
        lines = [
            f"what-if: {self.policies_before} -> {self.policies_after}: "
            f"{len(self.cases)} case(s) replayed, {len(self.changed)} changed, {len(self.refused)} refused"
        ]
        for c in self.changed:
            parts = [f"{d.policy}@{d.seq}:{d.trigger}" for d in c.decisions]
            parts += [f"{k} {a.amount}->{b.amount}" for k, (a, b) in c.money.items()]
            if c.refused:
                parts.append(
                    f"refused at #{c.refused.seq} {c.refused.trigger} ({c.refused.rule or c.refused.error})"
                )
                if len(c.refusals) > 1:
                    parts.append(f"{len(c.refusals) - 1} later event(s) refused too")
            lines.append(f"  {c.case_id} [{c.kind}] " + "; ".join(parts))
        return "\n".join(lines)


def _compare(
    seq: int, trigger: str, old: tuple[Decision, ...], new: tuple[Decision, ...]
) -> list[DecisionDiff]:
    out = []
    olds: dict[str, list[Decision]] = {}
    news: dict[str, list[Decision]] = {}
    for d in old:
        olds.setdefault(d.policy, []).append(d)
    for d in new:
        news.setdefault(d.policy, []).append(d)
    for policy in dict.fromkeys([*olds, *news]):
        a, b = olds.get(policy, []), news.get(policy, [])
        for i in range(max(len(a), len(b))):
            da = a[i] if i < len(a) else None
            db = b[i] if i < len(b) else None
            if da is not None and db is not None and da.result == db.result:
                continue
            out.append(
                DecisionDiff(
                    seq,
                    trigger,
                    policy,
                    da.result if da else None,
                    db.result if db else None,
                    da.rule if da else "",
                    db.rule if db else "",
                )
            )
    return out


def _intake_of(event: Event) -> dict[str, Any]:
    data = dict(event.data)
    if data.get("product") is None:
        data.pop("product", None)
    return {k: _thaw(v) for k, v in data.items()}


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _rerun(desk: Desk, history: tuple[Event, ...]) -> CaseDiff:
    """Re-handle ``history`` on ``desk`` (fresh in-memory store, fixed clock)."""
    clock = desk.clock
    assert isinstance(clock, FixedClock)
    opening = history[0]
    original = history[-1]
    diffs: list[DecisionDiff] = []
    refusals: list[Refusal] = []
    case: Case | None = None
    try:
        clock.set(opening.at)
        case = desk._open(opening.kind, opening.actor, None, _intake_of(opening), opening.case_id)
        first = desk.store.events(case.id)[0]
        diffs += _compare(1, "open", opening.decisions, first.decisions)
    except AfterSalesError as exc:
        refusal = _refusal(opening, exc)
        return CaseDiff(opening.case_id, opening.kind, refused=refusal, refusals=(refusal,))
    for event in history[1:]:
        clock.set(event.at)
        try:
            new_event = desk._handle(
                case, event.trigger, event.actor, _thaw(dict(event.data)), None, now=event.at
            )
        except AfterSalesError as exc:
            refusals.append(_refusal(event, exc))
            continue  # as if it had not happened
        diffs += _compare(event.seq, event.trigger, event.decisions, new_event.decisions)
        case = apply_event(case, new_event)
    before = replay(history)
    money = {
        name: (value, case.facts.get(name, Money(0)))
        for name, value in before.facts.items()
        if isinstance(value, Money) and case.facts.get(name) != value
    }
    money.update(
        {
            name: (Money(0), value)
            for name, value in case.facts.items()
            if isinstance(value, Money) and name not in before.facts and value
        }
    )
    return CaseDiff(
        original.case_id,
        original.kind,
        tuple(diffs),
        refusals[0] if refusals else None,
        money,
        state_before=before.state,
        state_after=case.state,
        refusals=tuple(refusals),
    )


def _refusal(event: Event, exc: AfterSalesError) -> Refusal:
    return Refusal(event.seq, event.trigger, type(exc).__name__, getattr(exc, "rule", None), str(exc))


def what_if(
    desk: Desk, policies: PolicySet | PolicyVersions, case_ids: Iterable[str] | None = None
) -> WhatIfReport:
    """Re-run the histories of ``case_ids`` (default: every stored case) under ``policies``."""
    from aftersales_core.desk import Desk as DeskType
    from aftersales_core.store import MemoryStore

    ids = list(case_ids) if case_ids is not None else list(desk.store.case_ids())
    diffs = []
    for cid in ids:
        history = tuple(desk.store.events(cid))
        kind = history[0].kind
        sim = DeskType(
            policies=policies,
            store=MemoryStore(),
            clock=FixedClock(history[0].at),
            calendar=desk.calendar,
            workflows={kind: desk.workflow(kind)},
        )
        diffs.append(_rerun(sim, history))
    return WhatIfReport(desk.policies.version, policies.version, tuple(diffs))

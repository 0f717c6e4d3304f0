"""The facade an ERP calls: ``open``, ``fire``, ``allowed``, ``history``, ``due``, ``tick``.

>>> from datetime import date, datetime
>>> from aftersales_core import Desk, Actor, Role, FixedClock, CHINA_TZ
>>> desk = Desk(clock=FixedClock(datetime(2026, 2, 13, 10, 0, tzinfo=CHINA_TZ)))
>>> agent = Actor("a1", Role.AGENT)
>>> case = desk.open("consultation", actor=agent, customer={"id": "C1"}, channel="phone",
...                  question="How do I reset the tension sensor?")
>>> case.state, case.deadlines["response"].due.date().isoformat()
('received', '2026-02-14')
>>> case = desk.fire(case.id, "answer", actor=agent, answer="Hold RESET for 5 s.")
>>> case.state
'answered'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pydantic

from aftersales_core._frozen import EMPTY, FrozenDict, freeze
from aftersales_core.calendar import BusinessCalendar
from aftersales_core.clock import Clock, SystemClock
from aftersales_core.engine import Context, TransitionDef, Workflow, apply_event, replay, validate_input
from aftersales_core.errors import (
    AfterSalesError,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    InvalidTrigger,
    PermissionDenied,
    RuleViolation,
)
from aftersales_core.events import Decision, Event
from aftersales_core.model import Actor, Case
from aftersales_core.policies import PermissionRequest, PolicySet, PolicyVersions
from aftersales_core.policies.permissions import PermissionTable
from aftersales_core.sla import pause_deadline, resume_deadline
from aftersales_core.store import DueItem, MemoryStore, Store
from aftersales_core.workflows import get_workflow

if TYPE_CHECKING:
    from aftersales_core.whatif import WhatIfReport

__all__ = ["Desk", "Subscriber"]

Subscriber = Callable[[Event], None]

_SYSTEM = Actor.system()


class Desk:
    """Runs after-sales cases through their workflows under a set of policies.

    Every argument is optional: the defaults are the built-in policies with the
    SPEC's numbers, an in-memory store, the system clock and the mainland-China
    calendar. Two desks with different policies can live in one process.
    """

    def __init__(
        self,
        *,
        policies: PolicySet | PolicyVersions | None = None,
        store: Store | None = None,
        clock: Clock | None = None,
        calendar: BusinessCalendar | None = None,
        workflows: Mapping[str, Workflow] | None = None,
    ) -> None:
        if isinstance(policies, PolicyVersions):
            self._versions: PolicyVersions | None = policies
            self.policies: PolicySet = policies.latest
        else:
            self._versions = None
            self.policies = policies if policies is not None else PolicySet()
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        if calendar is None:
            from aftersales_core.calendar import ChinaCalendar

            calendar = ChinaCalendar()
        self.calendar: BusinessCalendar = calendar
        self._workflows: dict[str, Workflow] = dict(workflows or {})
        self._subscribers: list[Subscriber] = []
        self._stamps: dict[int, tuple[Decision, Decision]] = {}

    def __repr__(self) -> str:
        return (
            f"Desk(policies={self.policies.version!r}, store={self.store!r}, clock={self.clock!r}, "
            f"calendar={self.calendar.name!r})"
        )

    def policies_at(self, when: datetime) -> PolicySet:
        """The policy set in force at ``when`` (the latest one unless the desk was
        given :class:`~aftersales_core.policies.PolicyVersions`)."""
        return self.policies if self._versions is None else self._versions.at(when)

    # ------------------------------------------------------------------ workflows
    def workflow(self, kind: str) -> Workflow:
        """The compiled workflow for ``kind`` (built-ins load on first use)."""
        wf = self._workflows.get(kind)
        if wf is None:
            wf = get_workflow(kind)
            self._workflows[kind] = wf
        return wf

    # ------------------------------------------------------------------ queries
    def get(self, case_id: str) -> Case:
        """The current snapshot of a case (``CaseNotFound`` if unknown)."""
        return self.store.load(case_id)

    def history(self, case_id: str, *, redact: bool = False) -> tuple[Event, ...]:
        """The case's recorded events, oldest first. ``redact`` masks personal data."""
        events = tuple(self.store.events(case_id))
        if redact:
            from aftersales_core.privacy import redact_history

            events = tuple(redact_history(events))  # across events: a name typed into a later note too
        return events

    def replay(self, case_id: str) -> Case:
        """Rebuild the case from its history (equals ``get`` unless the store is corrupt)."""
        return replay(self.store.events(case_id))

    def allowed(self, case_id: str, *, actor: Actor) -> tuple[str, ...]:
        """Triggers ``actor`` may fire on the case now: the state allows them, the
        actor's role may, and every guard that needs no input data passes. An ERP
        enables its buttons from this."""
        case = self.store.load(case_id)
        return self._allowed(self.workflow(case.kind), case, actor, self.clock.now())

    def due(self, before: datetime) -> list[DueItem]:
        """Running deadlines of open cases due before ``before``, earliest first (SLA-2)."""
        return self.store.due(before)

    # ------------------------------------------------------------------ commands
    def open(self, kind: str, /, *, actor: Actor, key: str | None = None, **intake: Any) -> Case:
        """Open a case of ``kind`` from intake data; returns the new snapshot."""
        return self._open(kind, actor, key, intake, None)

    def _open(
        self, kind: str, actor: Actor, key: str | None, intake: Mapping[str, Any], case_id: str | None
    ) -> Case:
        _check_actor(actor)
        if key is not None:
            replayed = self._idempotent(key, None, "open")
            if replayed is not None:
                return replayed
        try:
            wf = self.workflow(kind)
        except KeyError:
            raise InvalidInput(
                "kind", f"unknown case kind {kind!r}; known: consultation, complaint, repair, return"
            ) from None
        now = self.clock.now()
        policies = self.policies_at(now)
        self._check_permission(policies, actor, kind, "open", None)
        model = validate_input(wf.intake, intake)
        customer, product, rest = model.domain_parts()  # type: ignore[attr-defined]
        case_id = case_id or self.store.new_id(wf.id_prefix)
        # what the effects see while the case opens: the intake, nothing established yet
        proto = Case(case_id, kind, wf.initial, 0, now, now, customer, product, rest)
        ctx = Context(proto, actor, "open", model, now, policies, self.calendar)
        if wf.on_open is not None:
            wf.on_open(ctx)
        data = FrozenDict({"customer": customer, "product": product, **rest})
        event = self._event(ctx, proto, "open", "", wf.initial, data, key)
        case = apply_event(None, event)
        return self._commit(case, event, 0, key)

    def fire(
        self,
        case_id: str,
        trigger: str,
        /,
        *,
        actor: Actor,
        key: str | None = None,
        expected_version: int | None = None,
        **data: Any,
    ) -> Case:
        """Fire ``trigger`` on a case with input ``data``; returns the new snapshot.

        ``key`` makes the call idempotent (repeat it with the same key and get the
        first result, nothing recorded). ``expected_version`` refuses the call with
        ``ConcurrencyConflict`` when the case has moved on since the caller read it.
        On any error the stored case and its history are unchanged.
        """
        if actor.__class__ is not Actor:
            _check_actor(actor)
        # A key is looked up only when the call fails (a redelivered call usually
        # fails: the case moved on, or the store refuses the key): a first delivery,
        # the usual case, costs no extra read. Handling writes nothing, so trying
        # first is safe.
        try:
            case = self.store.load(case_id)
            if expected_version is not None and case.version != expected_version:
                raise ConcurrencyConflict(case_id, expected_version, case.version)
            event = self._handle(case, trigger, actor, data, key)
        except AfterSalesError:
            if key is not None:
                replayed = self._idempotent(key, case_id, trigger)
                if replayed is not None:
                    return replayed
            raise
        new = apply_event(case, event)
        committed = self._commit(new, event, case.version, key)
        if event.spawns:
            self._open_spawns(event)
        return committed

    def tick(self, now: datetime | None = None) -> list[Event]:
        """Record each newly breached deadline once and apply the reaction to it
        (SLA-2, CPL-3). Call it from the host's scheduler; repeated ticks record
        nothing new. Returns the events recorded."""
        now = now if now is not None else self.clock.now()
        recorded: list[Event] = []
        for item in self.store.due(now):
            case = self.store.load(item.case_id)
            if item.deadline.name in case.fact("breached", ()):
                continue
            if (case.state, "breach") not in self.workflow(case.kind).dispatch:
                continue
            try:
                event = self._handle(case, "breach", _SYSTEM, {"deadline": item.deadline.name}, None, now=now)
                self._commit(apply_event(case, event), event, case.version, None)
            except ConcurrencyConflict:
                continue  # another worker handled this case meanwhile; the next tick sees it
            recorded.append(event)
        return recorded

    def what_if(
        self, policies: PolicySet | PolicyVersions, case_ids: Iterable[str] | None = None
    ) -> WhatIfReport:
        """Re-run stored histories under ``policies`` and report what would differ:
        decisions, money facts, and triggers the new rules would refuse. Writes
        nothing. See :mod:`aftersales_core.whatif`."""
        from aftersales_core.whatif import what_if

        return what_if(self, policies, case_ids)

    def check_calendar(self, today: date | None = None) -> None:
        """Raise ``CalendarNotCovered`` if the calendar does not cover today or, in
        December, next year (so deployments notice before January). For a host's
        health check or a daily job."""
        from aftersales_core.calendar import check_coverage

        check_coverage(self.calendar, today or self.clock.now().date())

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        """Tell ``subscriber`` about every event after the store has accepted it.

        With a store that joins the host's transaction (``SqlStore.joined``), the
        host has not committed yet at that moment: deliver from the store's outbox
        (``SqlStore.dispatch``) instead, which is written in the same transaction."""
        self._subscribers.append(subscriber)
        return subscriber

    # ------------------------------------------------------------------ internals
    def _handle(
        self,
        case: Case,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any],
        key: str | None,
        *,
        now: datetime | None = None,
    ) -> Event:
        wf = self._workflows.get(case.kind) or self.workflow(case.kind)
        now = now or self.clock.now()
        rows = wf.dispatch.get((case.state, trigger))
        if rows is None:
            raise InvalidTrigger(trigger, case.state, self._allowed(wf, case, actor, now), kind=case.kind)
        policies = self.policies if self._versions is None else self._versions.at(now)
        self._check_permission(policies, actor, case.kind, trigger, case)
        first = rows[0]
        model = first.input
        if model is not None:
            payload: pydantic.BaseModel | None = validate_input(model, data)
        elif data:
            field = next(iter(data))
            raise InvalidInput(field, f"trigger {trigger!r} takes no input")
        else:
            payload = None
        ctx = Context(case, actor, trigger, payload, now, policies, self.calendar)
        ctx._spawn_hook = self
        row = first if first.when is None else _select(rows, ctx)
        for g in row.guards:
            g.enforce(ctx)
        if row.effect is not None:
            row.effect(ctx)
        dest = row.dest or case.state
        if case.deadlines or ctx._deadlines:  # else no clock runs: nothing to stop, pause or resume
            _run_clocks(wf, ctx, case.state, dest)
        return self._event(ctx, case, trigger, case.state, dest, payload, key)

    def _prepare_spawn(self, actor: Actor, kind: str, intake: dict[str, Any]) -> str:
        try:
            wf = self.workflow(kind)
        except KeyError:
            raise InvalidInput("kind", f"unknown case kind {kind!r}") from None
        self._check_permission(self.policies_at(self.clock.now()), actor, kind, "open", None)
        validate_input(wf.intake, intake, prefix=f"linked {kind}")
        return self.store.new_id(wf.id_prefix)

    def _event(
        self,
        ctx: Context,
        case: Case,
        trigger: str,
        source: str,
        dest: str,
        data: Any,
        key: str | None,
    ) -> Event:
        decisions: tuple[Decision, ...] = ()
        if ctx.decisions:
            version = ctx.policies.version
            decisions = tuple([self._stamp(d, version) for d in ctx.decisions])
        changes = ctx.changes
        deadlines = ctx._deadlines
        # positional, in the field order of Event (the hot path: keywords cost twice as much)
        return Event(
            case.version + 1,
            case.id,
            case.kind,
            trigger,
            ctx.now,
            ctx.actor,
            source,
            dest,
            EMPTY if data is None else freeze(data),
            decisions,
            FrozenDict(changes) if changes else EMPTY,  # frozen value by value in Context.set
            frozenset(ctx.flags_on),  # the shared empty frozenset when no flag changed
            frozenset(ctx.flags_off),
            freeze(deadlines) if deadlines else EMPTY,
            key,
            freeze(ctx.spawns) if ctx.spawns else (),
        )

    def _stamp(self, decision: Decision, version: str) -> Decision:
        """The decision with the policy set's version (G-2). Policies that cache their
        decisions hand out the same object again and again: its stamped copy is kept
        (with the original, so its id cannot be reused while the entry lives)."""
        if decision.version or not version:
            return decision
        entry = self._stamps.get(id(decision))
        if entry is not None and entry[0] is decision and entry[1].version == version:
            return entry[1]
        d = decision
        stamped = Decision(d.policy, d.rule, d.result, d.reason, version, d.source)
        if len(self._stamps) > 4096:
            self._stamps.clear()
        self._stamps[id(decision)] = (decision, stamped)
        return stamped

    def _commit(self, case: Case, event: Event, expected: int, key: str | None) -> Case:
        try:
            self.store.append(case, (event,), expected_version=expected, key=key)
        except ConcurrencyConflict:
            if key is not None:
                replayed = self._idempotent(key, case.id if expected else None, event.trigger)
                if replayed is not None:
                    return replayed
            raise
        for sub in self._subscribers:
            sub(event)
        return case

    def _idempotent(self, key: str, case_id: str | None, trigger: str) -> Case | None:
        rec = self.store.lookup_key(key)
        if rec is None:
            return None
        if rec.trigger != trigger or (case_id is not None and rec.case_id != case_id):
            raise InvalidInput(
                "key",
                f"idempotency key {key!r} was used for {rec.trigger!r} on case "
                f"{rec.case_id!r}, not for {trigger!r}" + (f" on {case_id!r}" if case_id else ""),
            )
        events = self.store.events(rec.case_id)[: rec.seq]
        if events[-1].spawns:  # a crash after the event's commit may have lost a linked case
            self._open_spawns(events[-1])
        return replay(events)

    def _open_spawns(self, event: Event) -> None:
        """Open the linked cases ``event`` asked for (each once: its key is derived
        from the event, and a case already there is left alone)."""
        for i, (kind, child_id, intake) in enumerate(event.spawns):
            try:
                self.store.load(child_id)
                continue
            except CaseNotFound:
                pass
            self._open(kind, event.actor, f"{event.case_id}#{event.seq}/{i}", dict(intake), child_id)

    def _check_permission(
        self, policies: PolicySet, actor: Actor, kind: str, trigger: str, case: Case | None
    ) -> None:
        decision = _permission(policies, actor, kind, trigger, case)
        if not decision.result:
            raise PermissionDenied(
                actor.id,
                actor.role.value,
                f"{trigger} a {kind} case",
                rule=decision.rule,
                detail=decision.reason,
            )

    def _allowed(self, wf: Workflow, case: Case, actor: Actor, now: datetime) -> tuple[str, ...]:
        out = []
        policies = self.policies_at(now)
        for trigger in wf.transitions_from(case.state):
            if not _permission(policies, actor, case.kind, trigger, case).result:
                continue
            ctx = Context(
                case=case,
                actor=actor,
                trigger=trigger,
                data=None,
                now=now,
                policies=policies,
                calendar=self.calendar,
            )
            try:
                row = _select(wf.dispatch[(case.state, trigger)], ctx)
            except RuleViolation:
                continue
            if all(g.needs_data or g(ctx) for g in row.guards):
                out.append(trigger)
        return tuple(out)


def _permission(policies: PolicySet, actor: Actor, kind: str, trigger: str, case: Case | None) -> Decision:
    """Ask the permission policy; the built-in table answers without a request object."""
    permissions = policies.permissions
    if type(permissions) is PermissionTable:
        return permissions.check(actor, kind, trigger, case)
    return permissions(PermissionRequest(actor, kind, trigger, case))


def _check_actor(actor: object) -> None:
    if not isinstance(actor, Actor):
        raise InvalidInput("actor", f"expected an Actor, got {type(actor).__name__}")


def _select(rows: Sequence[TransitionDef], ctx: Context) -> TransitionDef:
    for row in rows:
        if row.when is None or row.when(ctx):
            return row
    first = rows[0].when
    assert first is not None
    raise RuleViolation(first.rule, first.message)


def _run_clocks(wf: Workflow, ctx: Context, source: str, dest: str) -> None:
    """Generic deadline bookkeeping: final states end every clock; pausing states
    stop them (SLA-3); leaving a pausing state restarts them, shifted by the pause."""
    if not ctx.case.deadlines and not ctx.raw_deadline_changes():
        return  # no clock is running: nothing to stop, pause or resume
    target = wf.state_by_name[dest]
    if target.final:
        ctx.clear_all_deadlines()
        return
    pauses = ctx.policies.sla.pauses
    was_paused = pauses(wf.kind, source, wf.state_by_name[source].pauses_sla)
    now_paused = pauses(wf.kind, dest, target.pauses_sla)
    if now_paused and not was_paused:
        for d in ctx.deadlines.values():
            if d.paused_since is None:
                ctx.set_deadline(pause_deadline(d, ctx.now))
    elif was_paused and not now_paused:
        for d in ctx.deadlines.values():
            if d.paused_since is not None:
                ctx.set_deadline(resume_deadline(ctx, d, ctx.now))

"""A thin ``RuleBasedStateMachine`` base for property-testing a workflow under your
policies, and the invariant checks it is built on.

Subclass :class:`WorkflowMachine`, name the ``kind`` (and your ``policies``), add
your own ``@rule``/``@invariant`` methods, and let pytest run its ``TestCase``::

    from hypothesis import settings
    from hypothesis.stateful import invariant

    class RepairUnderAcme(WorkflowMachine):
        kind = "repair"
        policies = PolicySet(version="acme-1", warranty=acme_warranty)

        @invariant()
        def in_warranty_parts_are_free(self) -> None:
            for case in self.all_cases():
                ...

    TestRepairUnderAcme = RepairUnderAcme.TestCase
    TestRepairUnderAcme.settings = settings(max_examples=50, stateful_step_count=20, deadline=None)

The machine drives one :class:`~aftersales_core.desk.Desk` with a fixed clock and an
in-memory store. Its rules open cases (from :func:`~aftersales_core.testing.intakes`,
or straight along a shortest path from :func:`~aftersales_core.testing.coverage_paths`),
fire triggers the desk offers and triggers it does not, with generated inputs (and
with an unknown field), and let time pass with the host's scheduler ticking. After
every step it checks the kit's invariants:

* replaying a case's history gives the stored case (:func:`check_case`);
* each event adds exactly one version, numbered in sequence (:func:`check_step`);
* a refused trigger changes nothing (:func:`check_refused`);
* ``allowed()`` is exactly what succeeds: a trigger it does not offer never
  succeeds, and one it offers is never refused for its state or by a guard that
  needs no input, nor at all when it takes no input (:func:`check_offered`);
* every recorded decision names its policy and rule, gives a reason and a result;
* SPEC rules no configuration may break hold on the recorded facts
  (:func:`check_spec_rules`: e.g. REP-7, nothing is charged for a part within
  warranty that the user did not damage);
* a call fails only with a refusal (``InvalidTrigger``, ``RuleViolation``,
  ``PermissionDenied``, ``InvalidInput``); anything else — a policy that decides
  nothing, a calendar that runs out, a ``TypeError`` — fails the test.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidDefinition
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from aftersales_core.calendar import BusinessCalendar
from aftersales_core.clock import FixedClock
from aftersales_core.desk import Desk
from aftersales_core.engine import Workflow, replay
from aftersales_core.errors import (
    AfterSalesError,
    InvalidInput,
    InvalidTrigger,
    PermissionDenied,
    RuleViolation,
)
from aftersales_core.events import Decision, Event
from aftersales_core.model import Actor, Case, Role
from aftersales_core.policies import PolicySet
from aftersales_core.testing.coverage import (
    BREACH,
    DEFAULT_START,
    REFUSALS,
    CoverageReport,
    Step,
    actor_for,
    coverage_paths,
    make_desk,
    resolve_workflow,
    wait_for_deadline,
)
from aftersales_core.testing.strategies import intakes, transition_inputs

__all__ = [
    "WorkflowMachine",
    "check_case",
    "check_decision",
    "check_offered",
    "check_refused",
    "check_spec_rules",
    "check_step",
    "machine_for",
]


# --------------------------------------------------------------------------- checks


def check_decision(decision: Decision) -> None:
    """A recorded decision names its policy and rule, gives a reason and a result."""
    problems = [
        what
        for what, ok in (
            ("no policy", bool(decision.policy)),
            ("no rule", bool(decision.rule)),
            ("no reason", bool(decision.reason)),
            ("no result", decision.result is not None),
        )
        if not ok
    ]
    assert not problems, f"incomplete decision ({', '.join(problems)}): {decision!r}"


def check_spec_rules(case: Case) -> None:
    """SPEC rules that no configuration may break, read off a case's recorded facts.

    REP-7 / REP-3 (repairs): a line of work for a component that the warranty
    recorded at intake covers, and that the user did not damage, is free — whatever
    the fee policy says, the customer is charged nothing for it.
    """
    if case.kind == "repair":
        warranty: Mapping[str, Any] = case.fact("warranty") or {}
        for i, line in enumerate(case.fact("lines") or ()):
            if not isinstance(line, Mapping) or line.get("user_damage"):
                continue
            component = line.get("component") or "product"
            covered = warranty.get(component) or {}
            charge = line.get("charge")
            if covered.get("in_warranty") and charge:
                raise AssertionError(
                    f"REP-7: {case.id} charges {charge} for {line.get('kind')} {line.get('item')!r} "
                    f"(line {i + 1}) although {component!r} is in warranty until {covered.get('until')} "
                    "and not damaged by the user"
                )


def _differences(a: Case, b: Case) -> str:
    return ", ".join(f.name for f in attrs.fields(Case) if getattr(a, f.name) != getattr(b, f.name))


def check_case(desk: Desk, case_id: str) -> None:
    """The invariants of a stored case: its events are numbered 1..version, replaying
    them gives the stored snapshot, its state is one of its workflow's, a final case
    has no running deadline, and its decisions are complete."""
    case = desk.get(case_id)
    history = desk.history(case_id)
    seqs = [e.seq for e in history]
    assert seqs == list(range(1, len(history) + 1)), f"{case_id}: events numbered {seqs}"
    assert case.version == len(history), f"{case_id}: version {case.version} but {len(history)} events"
    replayed = replay(history)
    assert replayed == case, (
        f"{case_id}: replaying its {len(history)} events differs from the stored case in: "
        f"{_differences(replayed, case)}"
    )
    wf = desk.workflow(case.kind)
    assert case.state in wf.state_by_name, f"{case_id}: unknown state {case.state!r}"
    if wf.state_by_name[case.state].final:
        assert not case.deadlines, (
            f"{case_id}: final state {case.state!r} keeps deadlines {list(case.deadlines)}"
        )
    for decision in case.decisions:
        check_decision(decision)


def check_step(desk: Desk, before: Case, after: Case, event: Event) -> None:
    """A successful trigger recorded exactly one event, one version up, from the
    state the case was in to the state it is in, and stored what it returned."""
    assert after.version == before.version + 1, (
        f"{event.trigger}: version went from {before.version} to {after.version}"
    )
    assert event.seq == after.version, f"{event.trigger}: event numbered {event.seq}, case at {after.version}"
    assert (event.case_id, event.source, event.dest) == (before.id, before.state, after.state), (
        f"{event.trigger}: event says {event.source}->{event.dest}, case went {before.state}->{after.state}"
    )
    assert desk.get(before.id) == after, f"{event.trigger}: the stored case is not the one returned"
    assert len(desk.history(before.id)) == after.version
    for kind, child_id, _ in event.spawns:
        child = desk.get(child_id)
        assert child.kind == kind, f"{event.trigger}: linked case {child_id} is a {child.kind}, not a {kind}"
        assert child.intake.get("origin") == before.id, f"linked case {child_id} does not name its origin"


def check_refused(
    desk: Desk, before: Case, history: Sequence[Event], case_ids: frozenset[str], error: BaseException
) -> None:
    """A refused call changed nothing: same snapshot, same history, no new case."""
    assert desk.get(before.id) == before, f"refused ({error}) but the case changed"
    assert tuple(desk.history(before.id)) == tuple(history), f"refused ({error}) but events were recorded"
    assert frozenset(desk.store.case_ids()) == case_ids, f"refused ({error}) but a case was opened"


def check_offered(workflow: Workflow, state: str, trigger: str, error: AfterSalesError) -> None:
    """A trigger ``allowed()`` offered was refused: only its input may be the reason.

    Not the state (``InvalidTrigger``), not a guard that needs no input data; and a
    trigger that takes no input, once offered, must not be refused at all. (A
    ``PermissionDenied`` may come from the input: an amount above the role's limit.)
    """
    head = f"allowed() offered {trigger!r} in {state!r}, yet it was refused"
    assert not isinstance(error, InvalidTrigger), f"{head}: {error}"
    if isinstance(error, InvalidInput | PermissionDenied):
        return  # the input was the reason
    rows = workflow.dispatch.get((state, trigger), ())
    if isinstance(error, RuleViolation):
        static = [
            g
            for row in rows
            for g in (*row.guards, *((row.when,) if row.when is not None else ()))
            if not g.needs_data
        ]
        assert not any(g.rule == error.rule and g.message == error.reason for g in static), (
            f"{head} by a guard that needs no input: {error}"
        )
    if rows and rows[0].input is None:
        raise AssertionError(f"{head}, and it takes no input: {error}")


# --------------------------------------------------------------------------- the machine


def _coverage_for(cls: type[WorkflowMachine]) -> CoverageReport | None:
    """The shortest paths of the machine's workflow under its policies (searched once
    per machine class: the rule that follows them must draw from a fixed list)."""
    if "_coverage" not in cls.__dict__:
        if cls.policies is None and cls.calendar is None and cls.workflow_def is None:
            cls._coverage = _default_coverage(cls.kind)
            return cls._coverage
        wf = cls.workflow_def
        factory = functools.partial(
            make_desk,
            policies=cls.policies,
            calendar=cls.calendar,
            workflows={cls.kind: wf} if wf is not None else None,
        )
        try:
            report: CoverageReport | None = coverage_paths(wf or cls.kind, desk_factory=factory)
        except ValueError:  # not even the example intake opens a case under these policies
            report = None
        cls._coverage = report
    return cls._coverage


@functools.cache
def _default_coverage(kind: str) -> CoverageReport | None:
    try:
        return coverage_paths(kind)
    except ValueError:
        return None


_EXAMPLE = "(example intake)"


class WorkflowMachine(RuleBasedStateMachine):
    """Property-test one workflow under your policies; see the module docs.

    Class attributes to set: ``kind`` (required), ``policies`` (default: the SPEC's),
    ``workflow`` (a custom :class:`~aftersales_core.engine.Workflow` of that kind),
    ``calendar`` (default: mainland China), ``start`` (the fixed clock's start),
    ``roles`` (who acts; default every role, the system included), ``max_cases``
    (cases opened per run), ``max_elapsed`` (how far the clock may move),
    ``spec_rules`` (check :func:`check_spec_rules`; default True) and
    ``intake_fields`` (strategies for some intake fields, as :func:`intakes` takes).

    In your rules and invariants: ``self.desk``, ``self.clock``, ``self.workflow``,
    ``self.case_ids``, :meth:`all_cases`. Override :meth:`on_event` to check each
    recorded event, or :meth:`make_desk` to run on your own store.
    """

    kind: ClassVar[str] = ""
    policies: ClassVar[PolicySet | None] = None
    calendar: ClassVar[BusinessCalendar | None] = None
    workflow_def: ClassVar[Workflow | None] = None
    start: ClassVar[datetime] = DEFAULT_START
    roles: ClassVar[tuple[Role, ...]] = tuple(Role)
    max_cases: ClassVar[int] = 3
    max_elapsed: ClassVar[timedelta] = timedelta(days=60)
    spec_rules: ClassVar[bool] = True
    intake_fields: ClassVar[Mapping[str, st.SearchStrategy[Any]]] = {}

    cases = Bundle("cases")
    _coverage: ClassVar[CoverageReport | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            _install_rules(cls)

    def __init__(self) -> None:
        if not type(self).kind:
            raise InvalidDefinition(f"{type(self).__name__} must set kind (e.g. kind = 'repair')")
        super().__init__()
        self.clock = FixedClock(self.start)
        self.desk = self.make_desk()
        self.workflow: Workflow = self.desk.workflow(self.kind)
        self.case_ids: list[str] = []

    # hooks --------------------------------------------------------------------------
    def make_desk(self) -> Desk:
        """The desk under test (override to run on another store)."""
        wf = type(self).workflow_def
        return make_desk(
            policies=self.policies,
            clock=self.clock,
            calendar=self.calendar,
            workflows={self.kind: wf} if wf is not None else None,
        )

    def on_event(self, event: Event) -> None:
        """Called with every event a step recorded; raise ``AssertionError`` to fail."""

    # helpers ------------------------------------------------------------------------
    def all_cases(self) -> Iterator[Case]:
        """Every stored case (linked cases opened by triggers included)."""
        for case_id in list(self.desk.store.case_ids()):
            yield self.desk.get(case_id)

    def fire(self, case_id: str, trigger: str, actor: Actor, data: Mapping[str, Any]) -> Case | None:
        """Fire a trigger and check the step; returns the new case, or None if refused."""
        desk = self.desk
        before = desk.get(case_id)
        history = tuple(desk.history(case_id))
        ids = frozenset(desk.store.case_ids())
        offered = trigger in desk.allowed(case_id, actor=actor)
        try:
            after = desk.fire(case_id, trigger, actor=actor, **data)
        except REFUSALS as exc:
            note(f"refused: {type(exc).__name__}: {exc}")
            check_refused(desk, before, history, ids, exc)
            if offered:
                check_offered(self.workflow, before.state, trigger, exc)
            return None
        assert offered, (
            f"allowed() did not offer {trigger!r} to {actor.role.value} in {before.state!r}, yet it succeeded"
        )
        event = desk.history(case_id)[-1]
        check_step(desk, before, after, event)
        self.on_event(event)
        for _, child_id, _ in event.spawns:
            self.on_event(desk.history(child_id)[0])
        return after

    def _open(self, intake: Mapping[str, Any]) -> Any:
        ids = frozenset(self.desk.store.case_ids())
        for role in (r for r in self.roles if r is not Role.SYSTEM):
            try:
                case = self.desk.open(self.kind, actor=actor_for(role), **intake)
            except REFUSALS as exc:
                stored = frozenset(self.desk.store.case_ids())
                if stored != ids:
                    raise AssertionError(f"refused ({exc}) but a case was stored") from exc
                continue
            self.case_ids.append(case.id)
            self.on_event(self.desk.history(case.id)[0])
            return case.id
        return multiple()

    # rules that need no per-kind strategy -------------------------------------------
    @precondition(lambda self: self.clock.now() - self.start < self.max_elapsed)
    @rule(hours=st.integers(min_value=1, max_value=72))
    def time_passes(self, hours: int) -> None:
        """The clock moves on and the host's scheduler ticks (SLA-2)."""
        now = self.clock.advance(hours=hours)
        for event in self.desk.tick(now):
            assert event.trigger == BREACH, f"tick recorded {event!r}"
            assert event.actor.role is Role.SYSTEM, f"tick recorded {event!r}"
            case = self.desk.get(event.case_id)
            name = event.data.get("deadline")
            assert name in case.fact("breached", ()), f"tick did not record the breach of {name!r}"
            self.on_event(event)
        assert self.desk.tick(now) == [], "a second tick at the same time recorded more breaches"

    @invariant()
    def kit_invariants(self) -> None:
        for case_id in list(self.desk.store.case_ids()):
            check_case(self.desk, case_id)
            if self.spec_rules:
                check_spec_rules(self.desk.get(case_id))


def _install_rules(cls: type[WorkflowMachine]) -> None:
    """Give a machine of a known ``kind`` its rules (their strategies depend on the kind)."""
    wf = cls.workflow_def if cls.workflow_def is not None else resolve_workflow(cls.kind)
    roles = st.sampled_from(cls.roles)
    opened = intakes(wf, **cls.intake_fields)

    def labels() -> st.SearchStrategy[str]:
        report = _coverage_for(cls)
        edges = [str(e) for e in report.paths] if report is not None else []
        return st.sampled_from([_EXAMPLE, *edges])

    @initialize(target=cls.cases, intake=opened)
    def open_case(self: WorkflowMachine, intake: dict[str, Any]) -> Any:
        return self._open(intake)

    @precondition(lambda self: len(self.case_ids) < self.max_cases)
    @rule(target=cls.cases, intake=opened)
    def open_another(self: WorkflowMachine, intake: dict[str, Any]) -> Any:
        return self._open(intake)

    @precondition(lambda self: len(self.case_ids) < self.max_cases)
    @rule(target=cls.cases, edge=st.deferred(labels))
    def open_along_path(self: WorkflowMachine, edge: str) -> Any:
        report = _coverage_for(type(self))
        intake = report.intake if report is not None else dict(self.workflow.example)
        case_id = self._open(intake)
        if not isinstance(case_id, str) or report is None or edge == _EXAMPLE:
            return case_id
        for step in report.path_to(edge):
            wait_for_deadline(self.desk, self.desk.get(case_id), step)
            if self.fire(case_id, step.trigger, step.actor, step.data) is None:
                break  # the path depended on a time or a case this run does not have
        return case_id

    @rule(case_id=cls.cases, role=roles, data=st.data())
    def fire_allowed(self: WorkflowMachine, case_id: str, role: Role, data: st.DataObject) -> None:
        actor = actor_for(role)
        offered = self.desk.allowed(case_id, actor=actor)
        if not offered:
            return
        trigger = data.draw(st.sampled_from(offered), label="trigger")
        case = self.desk.get(case_id)
        payload = data.draw(transition_inputs(self.workflow, trigger, case=case), label="input")
        wait_for_deadline(self.desk, case, Step(trigger, role, payload))
        self.fire(case_id, trigger, actor, payload)

    @rule(
        case_id=cls.cases,
        role=roles,
        trigger=st.sampled_from(wf.triggers),
        unknown_field=st.booleans(),
        data=st.data(),
    )
    def fire_any(
        self: WorkflowMachine,
        case_id: str,
        role: Role,
        trigger: str,
        unknown_field: bool,
        data: st.DataObject,
    ) -> None:
        """Any trigger of the workflow, offered or not; with ``unknown_field`` an input
        no model accepts (a typo in the ERP's field name)."""
        if unknown_field:
            example = next((r.example for r in wf.transitions if r.trigger == trigger and r.example), None)
            after = self.fire(case_id, trigger, actor_for(role), {**(example or {}), "no_such_field": 1})
            assert after is None, f"{trigger!r} accepted an unknown input field"
            return
        case = self.desk.get(case_id)
        payload = data.draw(transition_inputs(self.workflow, trigger, case=case), label="input")
        self.fire(case_id, trigger, actor_for(role), payload)

    for fn in (open_case, open_another, open_along_path, fire_allowed, fire_any):
        fn.__qualname__ = f"{cls.__name__}.{fn.__name__}"
        setattr(cls, fn.__name__, fn)


def machine_for(
    kind: str,
    *,
    policies: PolicySet | None = None,
    name: str | None = None,
    **attributes: Any,
) -> type[WorkflowMachine]:
    """A :class:`WorkflowMachine` subclass for ``kind`` under ``policies`` (other
    class attributes as keywords), e.g. to run every built-in workflow::

        for kind in builtin_kinds():
            run_state_machine_as_test(machine_for(kind), settings=settings(max_examples=25))
    """
    cls_name = name or "".join(part.capitalize() for part in kind.split("_")) + "Machine"
    namespace = {"kind": kind, "policies": policies, **attributes, "__module__": __name__}
    return type(cls_name, (WorkflowMachine,), namespace)

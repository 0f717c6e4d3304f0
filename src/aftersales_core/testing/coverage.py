"""Model-based coverage: the shortest trigger paths that reach every state and fire
every transition of a workflow (as ``@xstate/test`` does for statecharts).

The search runs the **real** engine: an explicit-state breadth-first search over
:class:`~aftersales_core.desk.Desk` executions, starting from a case opened with the
workflow's example intake. From each case reached it tries every trigger the state
offers, with each transition row's ``example`` input, as one fixed actor per
:class:`~aftersales_core.model.Role` (first one allowed wins), and the system's
``breach`` for each running deadline (the clock is moved past it first). Each
successful firing is an *edge* ``(source state, trigger, row)``; rows chosen by
``when`` selectors count separately. Breadth-first order makes each recorded path a
shortest one::

    report = coverage_paths("consultation")
    assert report.uncovered == (), report.explain()
    for edge, path in report.paths.items():
        desk = make_desk()
        case = desk.open("consultation", actor=actor_for(Role.AGENT), **report.intake)
        run_steps(desk, case.id, path)

Nothing here needs hypothesis; the helpers :func:`make_desk`, :func:`actor_for`,
:class:`Step` and :func:`run_steps` are shared by the strategies and the
state-machine bases.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import attrs
import pydantic

from aftersales_core._frozen import EMPTY, FrozenDict, freeze
from aftersales_core.calendar import BusinessCalendar
from aftersales_core.clock import CHINA_TZ, Clock, FixedClock
from aftersales_core.desk import Desk
from aftersales_core.engine import Context, TransitionDef, Workflow, validate_input
from aftersales_core.errors import (
    AfterSalesError,
    InvalidInput,
    InvalidTrigger,
    PermissionDenied,
    RuleViolation,
)
from aftersales_core.events import Event
from aftersales_core.model import Actor, Case, Role
from aftersales_core.money import Money
from aftersales_core.policies import PolicySet
from aftersales_core.store import MemoryStore, Store

__all__ = [
    "DEFAULT_START",
    "REFUSALS",
    "CoverageReport",
    "DeskFactory",
    "Edge",
    "Step",
    "actor_for",
    "builtin_kinds",
    "coverage_paths",
    "make_desk",
    "resolve_workflow",
    "run_steps",
]

#: Where the kit's fixed clocks start: Monday 2 March 2026, 09:00 in mainland China.
DEFAULT_START = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)

#: The errors by which a desk legitimately *refuses* a call. Anything else escaping
#: ``open``/``fire`` (``PolicyConfigError``, ``CalendarNotCovered``, a ``TypeError``)
#: is a defect of the configuration or the code, and the kit reports it.
REFUSALS: tuple[type[AfterSalesError], ...] = (InvalidTrigger, RuleViolation, PermissionDenied, InvalidInput)

BREACH = "breach"  # the system trigger Desk.tick fires (workflows.common.breach_row)


# --------------------------------------------------------------------------- desks and actors


@functools.cache
def _shared_calendar() -> BusinessCalendar:
    # one calendar for every desk the kit builds: building the holidays table is the
    # expensive part of a Desk, and a calendar's answers never change
    from aftersales_core.calendar import ChinaCalendar

    return ChinaCalendar()


@functools.cache
def _default_policies() -> PolicySet:
    # the SPEC's policies, built once: a PolicySet is frozen, and building one is
    # most of the cost of a desk
    return PolicySet()


def builtin_kinds() -> tuple[str, ...]:
    """The built-in case kinds, read now (workflow modules register in
    ``aftersales_core.workflows``; a new one is picked up without touching the kit)."""
    from aftersales_core import workflows

    return tuple(getattr(workflows, "_MODULES", {}) or workflows.BUILTIN_KINDS)


def make_desk(
    *,
    policies: PolicySet | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
    calendar: BusinessCalendar | None = None,
    workflows: Mapping[str, Workflow] | None = None,
    start: datetime = DEFAULT_START,
) -> Desk:
    """A desk for tests: a :class:`~aftersales_core.clock.FixedClock` at ``start``
    (unless ``clock`` is given), an in-memory store, the mainland-China calendar
    (shared between the desks the kit builds) and ``policies`` (default: the SPEC's).

    It accepts the keywords of :class:`DeskFactory`, so
    ``functools.partial(make_desk, policies=mine)`` is a desk factory.
    """
    return Desk(
        policies=policies if policies is not None else _default_policies(),
        store=store if store is not None else MemoryStore(),
        clock=clock if clock is not None else FixedClock(start),
        calendar=calendar if calendar is not None else _shared_calendar(),
        workflows=workflows,
    )


class DeskFactory(Protocol):
    """Builds a desk around the clock and store the kit hands it (see :func:`make_desk`)."""

    def __call__(self, *, clock: FixedClock, store: Store) -> Desk: ...


_ACTORS: dict[Role, Actor] = {}


def actor_for(role: Role) -> Actor:
    """The kit's actor for ``role`` (``"agent-1"``, ``"manager-1"``...; the system's own
    actor for :attr:`Role.SYSTEM`). One per role, so recorded ids are stable."""
    role = Role(role)
    actor = _ACTORS.get(role)
    if actor is None:
        actor = Actor.system() if role is Role.SYSTEM else Actor(f"{role.value}-1", role)
        _ACTORS[role] = actor
    return actor


def resolve_workflow(workflow: str | Workflow) -> Workflow:
    """A workflow object from a kind (built-in) or the workflow itself."""
    if isinstance(workflow, Workflow):
        return workflow
    from aftersales_core.workflows import get_workflow

    try:
        return get_workflow(workflow)
    except KeyError:
        known = ", ".join(builtin_kinds())
        raise ValueError(f"unknown case kind {workflow!r}; built-in kinds: {known}") from None


# --------------------------------------------------------------------------- steps


def _data(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    if not value:
        return EMPTY
    return value if isinstance(value, FrozenDict) else freeze(dict(value))


@attrs.frozen
class Step:
    """One call in a path or history: fire ``trigger`` as the kit's actor for
    ``role`` with input ``data``.

    A ``breach`` step first moves a fixed clock past the deadline it names, as the
    host's scheduler would before calling :meth:`Desk.tick`.
    """

    trigger: str
    role: Role = attrs.field(converter=Role)
    data: FrozenDict[str, Any] = attrs.field(factory=dict, converter=_data)

    @property
    def actor(self) -> Actor:
        return actor_for(self.role)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.data.items())
        return f"{self.trigger}({args}) by {self.role.value}"

    def __repr__(self) -> str:
        data = f", {dict(self.data)!r}" if self.data else ""
        return f"Step({self.trigger!r}, {self.role.value!r}{data})"


def _short(value: Any) -> str:
    if isinstance(value, Enum):
        return repr(value.value)
    if isinstance(value, Money | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return repr(value)


def wait_for_deadline(desk: Desk, case: Case, step: Step) -> None:
    """Before a ``breach`` step, move a fixed clock just past the deadline it names."""
    if step.trigger != BREACH or not isinstance(desk.clock, FixedClock):
        return
    deadline = case.deadlines.get(str(step.data.get("deadline", "")))
    if deadline is not None and deadline.paused_since is None and deadline.due >= desk.clock.now():
        desk.clock.set(deadline.due + timedelta(minutes=1))


def run_steps(
    desk: Desk,
    case_id: str,
    steps: Iterable[Step],
    *,
    check: Callable[[Case, Case, Event], None] | None = None,
) -> Case:
    """Fire ``steps`` in order on a stored case; return the last snapshot.

    ``check(before, after, event)`` is called after each step (e.g. the kit's
    :func:`~aftersales_core.testing.check_step`). A refused step raises as
    ``Desk.fire`` does, with a note saying which step it was.
    """
    case = desk.get(case_id)
    for i, step in enumerate(steps):
        wait_for_deadline(desk, case, step)
        try:
            after = desk.fire(case_id, step.trigger, actor=step.actor, **step.data)
        except AfterSalesError as exc:
            exc.add_note(f"step {i + 1}: {step} in state {case.state!r}")
            raise
        if check is not None:
            check(case, after, desk.history(case_id)[-1])
        case = after
    return case


# --------------------------------------------------------------------------- edges and report


@attrs.frozen(order=True)
class Edge:
    """One transition of a workflow graph: ``trigger`` fired from ``source`` through
    the transition row at index ``row`` of ``Workflow.transitions`` (rows chosen by a
    ``when`` selector are different edges), landing in ``dest``.

    ``wildcard`` rows are declared for every open state (``source="*"``, like
    ``breach`` or ``escalate``): the row counts as covered once it fires from any state.
    """

    source: str
    trigger: str
    dest: str
    row: int
    wildcard: bool = attrs.field(default=False, eq=False, order=False)

    def __str__(self) -> str:
        return f"{self.source} --{self.trigger}[{self.row}]--> {self.dest}"


def workflow_edges(wf: Workflow) -> tuple[Edge, ...]:
    """Every ``(source, trigger, row)`` of ``wf``, in the order of its table."""
    open_states = {s.name for s in wf.states if not s.final}
    edges: list[Edge] = []
    for i, row in enumerate(wf.transitions):
        wildcard = len(row.source) > 1 and set(row.source) == open_states
        for source in row.source:
            edges.append(Edge(source, row.trigger, row.dest or source, i, wildcard))
    return tuple(edges)


@attrs.frozen
class CoverageReport:
    """What :func:`coverage_paths` found for one workflow.

    ``paths`` maps each edge fired to the shortest path (steps after opening the case
    with ``intake``) whose **last** step fires it; ``state_paths`` the shortest path to
    each state reached. ``uncovered`` lists the edges never fired (for a wildcard row:
    all its edges, when it fired from no state at all); ``unreached_wildcards`` the
    states a wildcard row that did fire somewhere could not fire from (informative:
    e.g. ``breach`` where no deadline runs). ``errors`` lists firings that raised
    something other than a refusal (a defect: a policy that decides nothing, a
    ``TypeError``); the search goes on past them. ``complete`` is True when nothing
    is uncovered, every state was reached and nothing raised.
    """

    kind: str
    intake: FrozenDict[str, Any] = attrs.field(converter=_data)
    opened_by: Role
    start: datetime
    edges: tuple[Edge, ...]
    paths: Mapping[Edge, tuple[Step, ...]]
    state_paths: Mapping[str, tuple[Step, ...]]
    uncovered: tuple[Edge, ...]
    unreached_wildcards: tuple[Edge, ...]
    unreached_states: tuple[str, ...]
    explored: int
    exhausted: bool
    errors: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.uncovered and not self.unreached_states and not self.errors

    def path_to(self, edge: Edge | str) -> tuple[Step, ...]:
        """The path firing ``edge`` (an :class:`Edge` or its ``str``)."""
        for e, path in self.paths.items():
            if e == edge or str(e) == edge:
                return path
        raise KeyError(f"no path fires {edge}")

    def explain(self) -> str:
        """A readable summary: what is uncovered, and how to reach the rest."""
        lines = [
            f"{self.kind}: {len(self.paths)} of {len(self.edges)} edges fired, "
            f"{len(self.state_paths)} states reached, {self.explored} cases explored"
            + ("" if self.exhausted else " (search budget hit)")
        ]
        if self.uncovered:
            lines.append("uncovered (no path from the example intake fires these):")
            lines.extend(f"  {e}" for e in self.uncovered)
        if self.unreached_states:
            lines.append("unreached states: " + ", ".join(self.unreached_states))
        if self.errors:
            lines.append("errors (neither success nor a refusal):")
            lines.extend(f"  {e}" for e in self.errors)
        if self.unreached_wildcards:
            lines.append(
                "wildcard rows not fired from: "
                + ", ".join(f"{e.trigger}@{e.source}" for e in self.unreached_wildcards)
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


# --------------------------------------------------------------------------- the search


@attrs.frozen
class _Node:
    case: Case
    events: tuple[Event, ...]
    at: datetime
    path: tuple[Step, ...]


_CAP = 5  # counters above this look alike to the search


def _mask(value: Any) -> Any:
    """A hashable summary of a fact value for the search's visited sets: times are
    ignored (the clock only moves for breaches), sequences count as sets, large
    counters look alike."""
    if isinstance(value, datetime | date):
        return "<time>"
    if isinstance(value, int) and not isinstance(value, bool) and value > _CAP:
        return f">{_CAP}"
    if value is None or isinstance(value, str | int | bool | Decimal | Money | Enum):
        return value
    if isinstance(value, Mapping):
        return tuple(sorted(((str(k), _mask(v)) for k, v in value.items()), key=repr))
    if isinstance(value, tuple | list | set | frozenset):
        return frozenset(_mask(v) for v in value)
    if attrs.has(type(value)):
        return (type(value).__name__, _mask(attrs.asdict(value, recurse=False)))
    return type(value).__name__


def _atoms(case: Case) -> frozenset[Any]:
    """What a case is made of, feature by feature, each paired with its state."""
    s = case.state
    out: set[Any] = {(s,)}
    out.update((s, "flag", f) for f in case.flags)
    out.update((s, "deadline", n, d.paused_since is not None) for n, d in case.deadlines.items())
    out.update((s, "fact", k, _mask(v)) for k, v in case.facts.items())
    return frozenset(out)


def _key(case: Case) -> Any:
    return _atoms(case)


def _selected_row(
    desk: Desk, wf: Workflow, case: Case, trigger: str, actor: Actor, data: Mapping[str, Any]
) -> int:
    """The index (in ``wf.transitions``) of the row that handled a firing: the first
    whose ``when`` selector passed, exactly as the desk chooses."""
    rows = wf.dispatch[(case.state, trigger)]
    model = rows[0].input
    payload: pydantic.BaseModel | None = validate_input(model, data) if model is not None else None
    ctx = Context(
        case=case,
        actor=actor,
        trigger=trigger,
        data=payload,
        now=desk.clock.now(),
        policies=desk.policies,
        calendar=desk.calendar,
    )
    chosen: TransitionDef = next((r for r in rows if r.when is None or r.when(ctx)), rows[0])
    return wf.transitions.index(chosen)


def _finite_values(annotation: Any) -> list[Any]:
    """The values of a field with a small finite domain (bool, Enum, Literal)."""
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _finite_values(args[0])
    if origin is typing.Literal:
        return list(args)
    if args and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return _finite_values(inner[0]) if len(inner) == 1 else []
    if annotation is bool:
        return [False, True]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [m.value for m in annotation]
    return []


def _examples(
    wf: Workflow, case: Case, trigger: str, extra: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """Inputs to try first: the caller's, then each row's example (for ``breach``:
    one per deadline running on the case)."""
    rows = wf.dispatch[(case.state, trigger)]
    candidates: list[Mapping[str, Any]] = [*extra.get(trigger, ())]
    if trigger == BREACH:
        breached = case.fact("breached", ()) or ()
        base = next((r.example for r in rows if r.example is not None), None) or {}
        for name, d in case.deadlines.items():
            if d.paused_since is None and name not in breached:
                candidates.append({**base, "deadline": name})
    else:
        candidates.extend(r.example if r.example is not None else {} for r in rows)
    return _unique(candidates)


def _variations(
    wf: Workflow, case: Case, trigger: str, examples: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Inputs to try when no example fits the case: each example with one field of a
    small finite domain (a flag, an enum, a literal) set to each of its other values."""
    model = wf.dispatch[(case.state, trigger)][0].input
    if model is None or trigger == BREACH:
        return []
    out: list[Mapping[str, Any]] = []
    for example in examples:
        for name, field in model.model_fields.items():
            key = field.alias or name
            for value in _finite_values(field.annotation):
                if example.get(key) != value:
                    out.append({**example, key: value})
    return [v for v in _unique(out) if v not in examples]


def _unique(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for item in items:
        d = dict(item)
        if d not in seen:
            seen.append(d)
    return seen


@attrs.define
class _Search:
    """One breadth-first search; ``novelty`` prunes every case that brings no new
    (state, feature) pair — fast, and enough for almost every workflow — otherwise
    cases are told apart by all their features."""

    wf: Workflow
    desk_at: Callable[[_Node | None], Desk]
    actors: list[Actor]
    extra: Mapping[str, Sequence[Mapping[str, Any]]]
    targets: frozenset[Edge]
    paths: dict[Edge, tuple[Step, ...]]
    state_paths: dict[str, tuple[Step, ...]]
    state_nodes: dict[str, _Node]
    errors: list[str]
    explored: int = 0

    def done(self) -> bool:
        """Every edge fired, a wildcard row from one state at least."""
        fired_rows = {e.row for e in self.paths}
        return all(e in self.paths or (e.wildcard and e.row in fired_rows) for e in self.targets)

    def run(self, root: _Node, *, novelty: bool, budget: int) -> bool:
        """Search from ``root``; False if the budget ran out first."""
        seen: set[Any] = set(_atoms(root.case)) if novelty else {_key(root.case)}
        frontier: deque[_Node] = deque([root])
        spent = 0
        while frontier and not self.done():
            if spent >= budget:
                return False
            node = frontier.popleft()
            spent += 1
            self.explored += 1
            for child in self._expand(node):
                if novelty:
                    atoms = _atoms(child.case)
                    if atoms <= seen:
                        continue
                    seen |= atoms
                else:
                    key = _key(child.case)
                    if key in seen:
                        continue
                    seen.add(key)
                frontier.append(child)
        return True

    def sweep_wildcards(self) -> None:
        """Try each wildcard row (``escalate``, ``cancel``, ``breach``...) once more from
        the first case found in each state it has not fired from."""
        for state, node in list(self.state_nodes.items()):
            missing = {
                e.trigger for e in self.targets if e.wildcard and e.source == state and e not in self.paths
            }
            if missing:
                for _ in self._expand(node, only=missing):
                    pass

    def _expand(self, node: _Node, only: set[str] | None = None) -> Iterator[_Node]:
        wf = self.wf
        desk = self.desk_at(node)
        allowed = {a.role: allowed_triggers(desk, node.case.id, a) for a in self.actors}
        for trigger in wf.transitions_from(node.case.state):
            if only is not None and trigger not in only:
                continue
            willing = [a for a in self.actors if trigger in allowed[a.role]]
            if not willing:
                continue
            examples = _examples(wf, node.case, trigger, self.extra)
            for data in (*examples, *_variations(wf, node.case, trigger, examples)):
                child, dirty = self._fire(desk, node, trigger, data, willing)
                if child is not None:
                    yield child
                if dirty:  # the clone moved on (a firing, or a clock waiting for a deadline)
                    desk = self.desk_at(node)

    def _fire(
        self, desk: Desk, node: _Node, trigger: str, data: dict[str, Any], willing: list[Actor]
    ) -> tuple[_Node | None, bool]:
        """Fire as the first willing actor the desk accepts; (the case reached, whether
        the clone changed)."""
        case_id = node.case.id
        dirty = False
        for actor in willing:
            step = Step(trigger, actor.role, data)
            wait_for_deadline(desk, node.case, step)
            dirty = dirty or trigger == BREACH
            try:
                row = _selected_row(desk, self.wf, node.case, trigger, actor, data)
                after = desk.fire(case_id, trigger, actor=actor, **data)
            except REFUSALS:
                continue
            except Exception as exc:
                where = " -> ".join(str(s) for s in (*node.path, step))
                error = f"{where}: {type(exc).__name__}: {exc}"
                if error not in self.errors:
                    self.errors.append(error)
                return None, True
            path = (*node.path, step)
            child = _Node(after, tuple(desk.history(case_id)), desk.clock.now(), path)
            self.paths.setdefault(Edge(node.case.state, trigger, after.state, row), path)
            self.state_paths.setdefault(after.state, path)
            self.state_nodes.setdefault(after.state, child)
            return child, True
        return None, dirty


def coverage_paths(
    workflow: str | Workflow,
    *,
    desk_factory: DeskFactory | None = None,
    intake: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    roles: Sequence[Role] | None = None,
    start: datetime = DEFAULT_START,
    max_cases: int = 2000,
) -> CoverageReport:
    """Search the shortest trigger paths that fire every edge and reach every state
    of ``workflow`` (a kind or a :class:`~aftersales_core.engine.Workflow`).

    ``desk_factory`` builds the desks the search runs on (default :func:`make_desk`
    with the SPEC's policies; pass ``functools.partial(make_desk, policies=mine)`` to
    search under your own policies). ``intake`` replaces the workflow's example
    intake; ``inputs`` adds inputs to try per trigger before the rows' examples.
    When no example fits a case, the search also tries each example with one flag,
    enum or literal field changed. ``roles`` are the actors tried, in order (default:
    every role, the system last).

    The search first keeps only cases that bring something new (a state with a
    flag, fact value or deadline not seen with it before); if edges remain
    uncovered it searches again telling cases apart by all their features, up to
    ``max_cases`` cases.
    """
    wf = resolve_workflow(workflow)
    custom = isinstance(workflow, Workflow)
    if desk_factory is None:
        desk_factory = functools.partial(make_desk, workflows={wf.kind: wf} if custom else None)
    factory = desk_factory
    tried_roles = [Role(r) for r in roles] if roles is not None else list(Role)
    actors = [actor_for(r) for r in tried_roles]
    intake_data = dict(intake if intake is not None else wf.example)
    if not intake_data:
        raise ValueError(f"workflow {wf.kind!r} has no example intake; pass intake=")

    def desk_at(node: _Node | None) -> Desk:
        store = MemoryStore()
        if node is not None:
            store.append(node.case, node.events, expected_version=0)
        return factory(clock=FixedClock(node.at if node is not None else start), store=store)

    # open the root case as the first role allowed to
    root_desk = desk_at(None)
    if not custom:
        wf = root_desk.workflow(wf.kind)
    root: _Node | None = None
    opened_by = tried_roles[0]
    refusals: list[str] = []
    for actor in actors:
        try:
            case = root_desk.open(wf.kind, actor=actor, **intake_data)
        except REFUSALS as exc:
            refusals.append(f"{actor.role.value}: {exc}")
            continue
        root = _Node(case, tuple(root_desk.history(case.id)), root_desk.clock.now(), ())
        opened_by = actor.role
        break
    if root is None:
        raise ValueError(f"no role could open a {wf.kind} case with the intake: " + "; ".join(refusals))

    edges = workflow_edges(wf)
    search = _Search(
        wf=wf,
        desk_at=desk_at,
        actors=actors,
        extra=inputs or {},
        targets=frozenset(edges),
        paths={},
        state_paths={root.case.state: ()},
        state_nodes={root.case.state: root},
        errors=[],
    )
    exhausted = search.run(root, novelty=True, budget=max_cases)
    if not search.done():
        exhausted = search.run(root, novelty=False, budget=max_cases)
    search.sweep_wildcards()

    found = search.paths
    fired_rows = {e.row for e in found}
    uncovered = tuple(e for e in edges if e not in found and (not e.wildcard or e.row not in fired_rows))
    unreached_wildcards = tuple(e for e in edges if e.wildcard and e not in found and e.row in fired_rows)
    return CoverageReport(
        kind=wf.kind,
        intake=intake_data,
        opened_by=opened_by,
        start=start,
        edges=edges,
        paths={e: found[e] for e in edges if e in found},
        state_paths={s.name: search.state_paths[s.name] for s in wf.states if s.name in search.state_paths},
        uncovered=uncovered,
        unreached_wildcards=unreached_wildcards,
        unreached_states=tuple(s.name for s in wf.states if s.name not in search.state_paths),
        explored=search.explored,
        exhausted=exhausted,
        errors=tuple(search.errors),
    )


def allowed_triggers(desk: Desk, case_id: str, actor: Actor) -> tuple[str, ...]:
    """``desk.allowed``, robust to ``when`` selectors that need input data."""
    try:
        return desk.allowed(case_id, actor=actor)
    except TypeError:
        # a ``when`` selector that reads input data cannot be judged without it:
        # offer every trigger of the state and let firing decide
        case = desk.get(case_id)
        return desk.workflow(case.kind).transitions_from(case.state)

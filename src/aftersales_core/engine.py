"""Workflow definitions, their compilation onto ``transitions``, atomic firing and replay.

A workflow is *data*: a list of :class:`StateDef` and a table of
:class:`TransitionDef` rows in lifecycle order, each citing its SPEC rule, with
named :class:`Guard` objects (rules that refuse with :class:`RuleViolation`) and a
named effect (what the transition establishes, including policy decisions).

:meth:`Workflow.compile` checks the definition (one initial state, every state
reachable, no trap states, guards and effects named) and builds one
``transitions.Machine`` for it — once per workflow, never per case. The machine is
the authority on the state graph: the dispatch table that ``fire`` uses is derived
from the machine's events and checked against them, and the machine serves
introspection and Mermaid diagrams. Firing itself runs that precomputed table on
the immutable :class:`~aftersales_core.model.Case`, so that

* a refusing guard raises ``RuleViolation`` naming its rule (``transitions`` would
  return a silent ``False``),
* nothing per case is built or attached to a machine, and
* an effect only *collects* changes in a :class:`Context`; the changes become an
  :class:`~aftersales_core.events.Event` and the new snapshot is made by the same
  pure :func:`apply_event` that :func:`replay` uses. A failure anywhere before the
  store commits leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pydantic

from aftersales_core._frozen import EMPTY, SCALARS, FrozenDict, freeze
from aftersales_core.errors import InvalidInput, PolicyConfigError, RuleViolation
from aftersales_core.events import Decision, Event
from aftersales_core.model import Actor, Case, Deadline
from aftersales_core.sla import compute_deadline

if TYPE_CHECKING:
    from aftersales_core.calendar import BusinessCalendar
    from aftersales_core.policies import PolicySet

__all__ = [
    "Context",
    "Effect",
    "Guard",
    "StateDef",
    "TransitionDef",
    "Workflow",
    "apply_event",
    "guard",
    "replay",
    "validate_input",
]

M = TypeVar("M", bound=pydantic.BaseModel)

_NO_FLAGS: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- definitions


@attrs.frozen
class StateDef:
    """A state with its Chinese and English labels.

    ``final`` states end the case's clocks; ``pauses_sla`` states stop them
    (SLA-3: waiting for the customer).
    """

    name: str
    zh: str
    en: str
    final: bool = False
    pauses_sla: bool = False


@attrs.frozen
class Guard:
    """A named business rule checked before a transition.

    ``check(ctx)`` returns True when the rule is satisfied. ``needs_data`` guards
    look at the trigger's input and are skipped by ``allowed()`` (which has none).
    """

    name: str
    rule: str
    message: str
    check: Callable[[Context], bool] = attrs.field(repr=False)
    needs_data: bool = False

    def __call__(self, ctx: Context) -> bool:
        return self.check(ctx)

    def enforce(self, ctx: Context) -> None:
        if not self.check(ctx):
            raise RuleViolation(self.rule, self.message)


def guard(
    rule: str, message: str, *, needs_data: bool = False
) -> Callable[[Callable[[Context], bool]], Guard]:
    """Decorate a predicate ``(ctx) -> bool`` as a named :class:`Guard` citing ``rule``."""

    def wrap(fn: Callable[[Context], bool]) -> Guard:
        return Guard(fn.__name__, rule, message, fn, needs_data)

    return wrap


Effect = Callable[["Context"], None]


def _sources(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


@attrs.frozen
class TransitionDef:
    """One row of a workflow's transition table.

    ``source`` lists the states it leaves from (``"*"`` means every non-final
    state); ``dest`` ``None`` means the case stays where it is (an internal
    transition such as ``escalate``). When several rows share a trigger and a
    source, the first whose ``when`` selector passes is taken (selectors choose a
    destination; guards refuse).
    """

    trigger: str
    source: tuple[str, ...] = attrs.field(converter=_sources)
    dest: str | None
    rule: str
    zh: str = ""
    en: str = ""
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    when: Guard | None = None
    input: type[pydantic.BaseModel] | None = None
    effect: Effect | None = attrs.field(default=None, repr=lambda e: getattr(e, "__name__", repr(e)))
    #: a valid input for this row (documentation, and the model-based coverage of the testing kit)
    example: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)


# --------------------------------------------------------------------------- context


class Context:
    """What an effect or guard sees while one trigger is handled, and where it
    records what the trigger changes. Effects never touch the case directly."""

    __slots__ = (
        "_deadlines",
        "_spawn_hook",
        "actor",
        "calendar",
        "case",
        "changes",
        "data",
        "decisions",
        "flags_off",
        "flags_on",
        "kind",
        "now",
        "policies",
        "spawns",
        "state",
        "trigger",
    )

    def __init__(
        self,
        case: Case,
        actor: Actor,
        trigger: str,
        data: pydantic.BaseModel | None,
        now: datetime,
        policies: PolicySet,
        calendar: BusinessCalendar,
    ) -> None:
        self.case = case
        self.kind = case.kind
        self.state = case.state
        self.actor = actor
        self.trigger = trigger
        self.data = data
        self.now = now
        self.policies = policies
        self.calendar = calendar
        self.changes: dict[str, Any] = {}
        self.decisions: list[Decision] = []
        # most triggers raise no flag and open no linked case: these start as shared
        # empty values and become their own set or list on the first write
        self.flags_on: set[str] | frozenset[str] = _NO_FLAGS
        self.flags_off: set[str] | frozenset[str] = _NO_FLAGS
        self._deadlines: dict[str, Deadline | None] = {}
        self.spawns: list[tuple[str, str, dict[str, Any]]] | tuple[()] = ()
        #: what opens linked cases (the Desk); ``_prepare_spawn(actor, kind, intake) -> new id``
        self._spawn_hook: Any = None

    # reading ----------------------------------------------------------------------
    def fact(self, name: str, default: Any = None) -> Any:
        """A fact as it will be after this trigger (changes so far win)."""
        if name in self.changes:
            return self.changes[name]
        return self.case.facts.get(name, default)

    def has_flag(self, flag: str) -> bool:
        if flag in self.flags_on:
            return True
        return flag in self.case.flags and flag not in self.flags_off

    def input(self, model: type[M]) -> M:
        """The trigger's validated input, typed."""
        if not isinstance(self.data, model):
            raise TypeError(f"trigger {self.trigger!r} has no {model.__name__} input")
        return self.data

    @property
    def deadlines(self) -> Mapping[str, Deadline]:
        merged = dict(self.case.deadlines)
        for name, d in self._deadlines.items():
            if d is None:
                merged.pop(name, None)
            else:
                merged[name] = d
        return merged

    # recording --------------------------------------------------------------------
    def set(self, name: str, value: Any) -> None:
        """Record a fact; containers are frozen now (a dict becomes a FrozenDict, a
        list a tuple), so the event takes the changes as they are."""
        self.changes[name] = value if value.__class__ in SCALARS else freeze(value)

    def flag(self, name: str) -> None:
        self.flags_on = {*self.flags_on, name}
        if name in self.flags_off:
            self.flags_off = set(self.flags_off) - {name}

    def unflag(self, name: str) -> None:
        self.flags_off = {*self.flags_off, name}
        if name in self.flags_on:
            self.flags_on = set(self.flags_on) - {name}

    def record(self, decision: Decision) -> Decision:
        self.decisions.append(decision)
        return decision

    def set_deadline(self, deadline: Deadline) -> None:
        self._deadlines[deadline.name] = deadline

    def clear_deadline(self, name: str) -> None:
        if name in self.case.deadlines or name in self._deadlines:
            self._deadlines[name] = None

    def clear_all_deadlines(self) -> None:
        for name in self.deadlines:
            self._deadlines[name] = None

    def start_deadline(
        self, name: str, *, stage: str | None = None, start: datetime | None = None
    ) -> Deadline:
        """Ask the SLA policy for the target of ``stage`` (default ``name``), compute
        the due instant on the calendar, record the decision and set the deadline."""
        deadline, decision = compute_deadline(self, name, stage or name, start or self.now)
        self.decisions.append(decision)
        self._deadlines[name] = deadline
        return deadline

    def spawn(self, kind: str, intake: Mapping[str, Any]) -> str:
        """Open a linked case of ``kind`` once this trigger is stored (e.g. a return
        sent to repair, RET-2). The intake is validated now, so a bad one refuses the
        trigger; the new case's id is returned and can be recorded as a fact. Its
        ``origin`` is this case's id."""
        if self._spawn_hook is None:
            raise RuntimeError("this context cannot open linked cases")
        data = {**intake, "origin": self.case.id}
        case_id: str = self._spawn_hook._prepare_spawn(self.actor, kind, data)
        self.spawns = [*self.spawns, (kind, case_id, data)]
        return case_id

    def raw_deadline_changes(self) -> dict[str, Deadline | None]:
        return self._deadlines


# --------------------------------------------------------------------------- validation


def _first_error_field(exc: pydantic.ValidationError) -> tuple[str, list[str]]:
    msgs: list[str] = []
    first = ""
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(input)"
        first = first or loc
        msgs.append(f"{loc}: {err['msg']}")
    return first, msgs


def validate_input(model: type[M], data: Mapping[str, Any], *, prefix: str = "") -> M:
    """Validate ``data`` with ``model``; raise :class:`InvalidInput` naming the field."""
    try:
        return model.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]
    except pydantic.ValidationError as exc:
        field, msgs = _first_error_field(exc)
        if prefix:
            field = f"{prefix}.{field}"
            msgs = [f"{prefix}.{m}" for m in msgs]
        raise InvalidInput(field, msgs[0].split(": ", 1)[1] if msgs else "invalid", errors=msgs) from None


# --------------------------------------------------------------------------- workflow


class Workflow:
    """A compiled workflow: definition, ``transitions`` machine and dispatch table."""

    def __init__(
        self,
        kind: str,
        *,
        zh: str,
        en: str,
        states: Sequence[StateDef],
        transitions: Sequence[TransitionDef],
        intake: type[pydantic.BaseModel],
        on_open: Effect | None = None,
        id_prefix: str = "",
        example: Mapping[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.zh = zh
        self.en = en
        self.states: tuple[StateDef, ...] = tuple(states)
        self.state_by_name: dict[str, StateDef] = {s.name: s for s in self.states}
        self.initial = self.states[0].name if self.states else ""
        self.intake = intake
        self.on_open = on_open
        #: a valid intake (documentation, and the testing kit's coverage search)
        self.example: Mapping[str, Any] = example or {}
        self.id_prefix = id_prefix or kind[:3].upper()
        self.transitions: tuple[TransitionDef, ...] = tuple(self._expand(transitions))
        self.triggers: tuple[str, ...] = tuple(dict.fromkeys(t.trigger for t in self.transitions))
        self.final_states = frozenset(s.name for s in self.states if s.final)
        self._check()
        self.machine = self._build_machine()
        self.dispatch = self._derive_dispatch()
        self.by_state: dict[str, tuple[str, ...]] = {
            s.name: tuple(t for (st, t) in self.dispatch if st == s.name) for s in self.states
        }

    # definition checks ------------------------------------------------------------
    def _expand(self, rows: Sequence[TransitionDef]) -> Iterable[TransitionDef]:
        non_final = tuple(s.name for s in self.states if not s.final)
        for row in rows:
            if row.source == ("*",):
                yield attrs.evolve(row, source=non_final)
            else:
                yield row

    def _fail(self, msg: str) -> PolicyConfigError:
        return PolicyConfigError(f"workflow {self.kind!r}", msg)

    def _check(self) -> None:
        if not self.states:
            raise self._fail("has no states")
        names = [s.name for s in self.states]
        if len(set(names)) != len(names):
            raise self._fail("declares a state twice")
        known = set(names)
        for t in self.transitions:
            if t.input is not None and t.example is not None:
                validate_input(t.input, t.example, prefix=f"{self.kind}.{t.trigger}.example")
            for s in (*t.source, t.dest):
                if s is not None and s not in known:
                    raise self._fail(f"transition {t.trigger!r} names unknown state {s!r}")
            for g in (*t.guards, t.when):
                if g is not None and (not g.name or g.name == "<lambda>"):
                    raise self._fail(f"transition {t.trigger!r} has an unnamed guard; name every guard")
            if t.effect is not None and getattr(t.effect, "__name__", "<lambda>") == "<lambda>":
                raise self._fail(f"transition {t.trigger!r} has an unnamed effect")
            if not t.rule:
                raise self._fail(f"transition {t.trigger!r} cites no rule")
        # reachability from the initial state
        edges: dict[str, set[str]] = {n: set() for n in names}
        for t in self.transitions:
            for s in t.source:
                edges[s].add(t.dest or s)
        seen = {self.initial}
        todo = [self.initial]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        unreachable = [n for n in names if n not in seen]
        if unreachable:
            raise self._fail(f"states unreachable from {self.initial!r}: {', '.join(unreachable)}")
        for st in self.states:  # final states may still lead on (closed -> reviewed)
            if not st.final and not any(d != st.name for d in edges[st.name]):
                raise self._fail(f"state {st.name!r} is a trap: not final and no way out")

    def _build_machine(self) -> Any:
        from transitions import Machine

        return Machine(
            model=None,
            states=[s.name for s in self.states],
            initial=self.initial,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.source),
                    "dest": t.dest,
                    "conditions": [t.when.name] if t.when else [],
                }
                for t in self.transitions
            ],
            auto_transitions=False,
            send_event=True,
        )

    def _derive_dispatch(self) -> dict[tuple[str, str], tuple[TransitionDef, ...]]:
        """Read the dispatch table off the compiled machine, mapping each
        ``transitions.Transition`` back to the row that declared it."""
        rows_by_key: dict[tuple[str, str], list[TransitionDef]] = {}
        for t in self.transitions:
            for s in t.source:
                rows_by_key.setdefault((s, t.trigger), []).append(t)
        table: dict[tuple[str, str], tuple[TransitionDef, ...]] = {}
        for trigger, event in self.machine.events.items():
            for source, compiled in event.transitions.items():
                rows = rows_by_key.get((source, trigger), [])
                dests = [c.dest for c in compiled]
                if dests != [r.dest for r in rows]:
                    raise self._fail(f"machine and definition disagree on {trigger!r} from {source!r}")
                table[(source, trigger)] = tuple(rows)
        if set(table) != set(rows_by_key):
            raise self._fail("machine lost transitions")
        return table

    # introspection ------------------------------------------------------------------
    def transitions_from(self, state: str) -> tuple[str, ...]:
        return self.by_state.get(state, ())

    def label(self, state: str, lang: str = "en") -> str:
        s = self.state_by_name[state]
        return s.zh if lang == "zh" else s.en

    def __repr__(self) -> str:
        return f"Workflow({self.kind!r}, states={len(self.states)}, transitions={len(self.transitions)})"


# --------------------------------------------------------------------------- folding


def apply_event(case: Case | None, event: Event) -> Case:
    """Fold one event into a case snapshot (pure; used by ``fire`` and ``replay``)."""
    # Case is built positionally, in its field order: this runs once per event.
    if case is None:
        if event.seq != 1:
            raise ValueError(f"history of {event.case_id!r} does not start with its opening event")
        data = event.data
        intake: FrozenDict[str, Any] = FrozenDict(data)
        dict.pop(intake, "customer", None)  # still private to this call: safe to trim
        dict.pop(intake, "product", None)
        return Case(
            event.case_id,
            event.kind,
            event.dest,
            1,
            event.at,
            event.at,
            data["customer"],
            data.get("product"),
            intake,
            event.changes,
            event.decisions,
            _running(event.deadlines),
            frozenset(event.flags_on),
        )
    if event.seq != case.version + 1:
        raise ValueError(f"event {event.seq} of {case.id!r} does not follow version {case.version}")
    deadlines = case.deadlines
    if event.deadlines:
        merged = dict(deadlines)
        for name, d in event.deadlines.items():
            if d is None:
                merged.pop(name, None)
            else:
                merged[name] = d
        deadlines = FrozenDict(merged) if merged else EMPTY
    flags = case.flags
    if event.flags_on or event.flags_off:
        flags = (flags - event.flags_off) | event.flags_on
    return Case(
        case.id,
        case.kind,
        event.dest,
        event.seq,
        case.opened_at,
        event.at,
        case.customer,
        case.product,
        case.intake,
        case.facts.merged(event.changes),
        case.decisions + event.decisions if event.decisions else case.decisions,
        deadlines,
        flags,
    )


def _running(deadlines: FrozenDict[str, Deadline | None]) -> FrozenDict[str, Deadline]:
    """The deadlines an opening event set (a ``None`` there clears nothing yet)."""
    for d in deadlines.values():
        if d is None:
            return FrozenDict({k: v for k, v in deadlines.items() if v is not None})
    return deadlines  # type: ignore[return-value]


def replay(events: Iterable[Event]) -> Case:
    """Fold a case's history, oldest first, into its snapshot."""
    case: Case | None = None
    for ev in events:
        case = apply_event(case, ev)
    if case is None:
        raise ValueError("cannot replay an empty history")
    return case

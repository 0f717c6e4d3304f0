"""Hypothesis strategies for the library's public types, in hypothesis' house style:
plural names, keyword-only options, ``min_value``/``max_value`` bounds, strategies
(not values) where a user may want something to vary, bad arguments refused with
``hypothesis.errors.InvalidArgument``.

Value objects: :func:`customers`, :func:`products`, :func:`components`,
:func:`actors`, :func:`amounts`, :func:`workdays`. Data entering the library:
:func:`intakes` (what ``Desk.open`` takes) and :func:`transition_inputs` (what a
trigger takes), both built from the pydantic models and the examples the workflow
declares, with :func:`register_input_strategy` to override a model. Whole runs:
:func:`histories` (trigger sequences that succeed, found by walking the real
engine), :func:`cases` (the snapshots they end in) and :func:`policy_sets`.

Generated inputs are *schema-valid* (they pass the pydantic model); guards and
effects may still refuse them, as they would refuse a person's input.
"""

from __future__ import annotations

import copy
import functools
import string
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, TypeAlias, Union

import attrs
import pydantic
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from aftersales_core._frozen import EMPTY, FrozenDict, freeze
from aftersales_core.calendar import BusinessCalendar, add_workdays
from aftersales_core.clock import CHINA_TZ
from aftersales_core.desk import Desk
from aftersales_core.engine import Workflow
from aftersales_core.errors import CalendarNotCovered
from aftersales_core.intake import CustomerIn, ProductIn
from aftersales_core.model import Actor, Case, Component, Customer, Product, ProductLine, Role
from aftersales_core.money import Money
from aftersales_core.policies import PolicySet, SlaTable, Target, default_sla
from aftersales_core.testing.coverage import (
    DEFAULT_START,
    REFUSALS,
    Step,
    actor_for,
    allowed_triggers,
    builtin_kinds,
    make_desk,
    resolve_workflow,
    run_steps,
    wait_for_deadline,
)

__all__ = [
    "History",
    "InputStrategy",
    "actors",
    "amounts",
    "cases",
    "components",
    "customers",
    "histories",
    "intakes",
    "policy_sets",
    "products",
    "register_input_strategy",
    "sla_tables",
    "transition_inputs",
    "workdays",
]

#: A strategy for a model's input dicts, or a function of the case at hand giving one.
InputStrategy: TypeAlias = (
    "st.SearchStrategy[Mapping[str, Any]] | Callable[[Case | None], st.SearchStrategy[Mapping[str, Any]]]"
)

_ID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_IDS = st.text(alphabet=_ID_CHARS, min_size=1, max_size=6)
# no whitespace: the library strips text, and a stripped string must keep its length
_TEXT_CHARS = string.ascii_letters + string.digits + "-.维修咨询投诉退换"
_TODAY = DEFAULT_START.date()

_HUMAN_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


def _check_strategy(name: str, value: object) -> None:
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name}={value!r} must be a strategy (wrap a single value in st.just(...))")


# --------------------------------------------------------------------------- value objects


def customers() -> st.SearchStrategy[Customer]:
    """Customers with generated ids and (personal) contact data, some through a partner."""
    return st.builds(
        Customer,
        id=_IDS.map(lambda s: f"C-{s}"),
        name=st.sampled_from(["", "华纺织造", "李明", "Acme Textiles"]),
        phone=st.sampled_from(["", "13800000000", "021-5555-0101"]),
        address=st.sampled_from(["", "上海市浦东新区", "绍兴市柯桥区"]),
        city=st.sampled_from(["", "上海", "绍兴", "苏州"]),
        partner=st.sampled_from(["", "", "P-KEQIAO"]),
    )


def actors(*, roles: Iterable[Role] | None = None) -> st.SearchStrategy[Actor]:
    """Actors with one of ``roles`` (default: every human role; ``Role.SYSTEM`` gives
    the system's own actor)."""
    pool = sorted({Role(r) for r in roles}) if roles is not None else list(_HUMAN_ROLES)
    if not pool:
        raise InvalidArgument("roles must name at least one Role")
    return st.sampled_from(pool).flatmap(_actors_of)


def _actors_of(role: Role) -> st.SearchStrategy[Actor]:
    if role is Role.SYSTEM:
        return st.just(Actor.system())
    return st.builds(Actor, id=_IDS.map(lambda s: f"u-{s}"), role=st.just(role))


def amounts(
    *, min_value: Decimal | int | str = 0, max_value: Decimal | int | str = 100_000
) -> st.SearchStrategy[Money]:
    """Money amounts between ``min_value`` and ``max_value`` (CNY, exact to the fen)."""
    try:
        lo, hi = Money(min_value).amount, Money(max_value).amount
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(str(exc)) from None
    if lo > hi:
        raise InvalidArgument(f"min_value={lo} is greater than max_value={hi}")
    return st.decimals(min_value=lo, max_value=hi, places=2).map(Money)


_COMPONENT_NAMES = ("motor", "sensor", "controller", "heating element", "licence", "fabric roll")
_MODELS = {
    ProductLine.SMART_EQUIPMENT: ("TX-9000 loom", "SP-300 spinner", "KN-20 knitter"),
    ProductLine.FUNCTIONAL_FABRIC: ("AquaShield 200", "ThermaWeave", "UV-Block 50"),
    ProductLine.SOFTWARE: ("LoomOS 3", "MES Connect"),
}


def components() -> st.SearchStrategy[Component]:
    """Components with their own warranty period (or the product line's) and a value."""
    return st.builds(
        Component,
        name=st.sampled_from(_COMPONENT_NAMES),
        warranty_months=st.none() | st.integers(min_value=0, max_value=60),
        serial=st.sampled_from(["", "SN-C1", "SN-C2"]),
        value=st.none() | amounts(min_value=1, max_value=20_000),
    )


def products(
    *,
    line: st.SearchStrategy[ProductLine] | None = None,
    contract: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Product]:
    """Products of a product line drawn from ``line`` (default: any), bought up to four
    years before the kit's start date, with up to three distinct components, under a
    maintenance agreement drawn from ``contract`` (default: mostly none)."""
    if line is not None:
        _check_strategy("line", line)
    if contract is not None:
        _check_strategy("contract", contract)
    lines = line if line is not None else st.sampled_from(list(ProductLine))
    contracts = contract if contract is not None else st.sampled_from(["", "", "MA-2026-001"])
    return lines.flatmap(lambda chosen: _products_of(chosen, contracts))


def _products_of(line: ProductLine, contracts: st.SearchStrategy[str]) -> st.SearchStrategy[Product]:
    line = ProductLine(line)

    @st.composite
    def build(draw: st.DrawFn) -> Product:
        # a composite, so that a failing example prints the Product, not how it was built
        purchase = draw(st.none() | st.dates(min_value=_TODAY - timedelta(days=4 * 365), max_value=_TODAY))
        delivery = None
        if purchase is not None:
            delivery = min(purchase + timedelta(days=draw(st.integers(min_value=0, max_value=30))), _TODAY)
        return Product(
            model=draw(st.sampled_from(_MODELS.get(line, ("model-1",)))),
            line=line,
            serial=draw(_IDS.map(lambda s: f"SN-{s}")),
            purchase_date=purchase,
            delivery_date=delivery,
            components=tuple(draw(st.lists(components(), max_size=3, unique_by=lambda c: c.name))),
            contract=draw(contracts),
        )

    return build()


def workdays(
    calendar: BusinessCalendar, *, min_value: date | None = None, max_value: date | None = None
) -> st.SearchStrategy[date]:
    """Working days of ``calendar`` between ``min_value`` and ``max_value``.

    The bounds default to the calendar's coverage where it tells it (a
    ``TableCalendar``'s ``start``/``end``, a ``ChinaCalendar``'s official years);
    other calendars need both bounds.
    """
    lo, hi = min_value, max_value
    if lo is None or hi is None:
        start, end = _coverage(calendar)
        lo = lo if lo is not None else start
        hi = hi if hi is not None else end
    if lo is None or hi is None:
        raise InvalidArgument(f"cannot tell which days {calendar!r} covers; pass min_value= and max_value=")
    if isinstance(lo, datetime) or isinstance(hi, datetime):
        raise InvalidArgument("min_value and max_value are dates, not datetimes")
    if lo > hi:
        raise InvalidArgument(f"min_value={lo} is after max_value={hi}")
    first = _next_workday(calendar, lo, hi)
    if first is None:
        raise InvalidArgument(f"{calendar!r} has no working day between {lo} and {hi}")
    last = hi

    def workday_from(day: date) -> date:
        # the first working day on or after ``day``; past the last one, the first of all
        return _next_workday(calendar, day, last) or first

    return st.dates(min_value=lo, max_value=hi).map(workday_from)


def _next_workday(calendar: BusinessCalendar, day: date, last: date) -> date | None:
    try:
        found = add_workdays(calendar, day, 0)
    except (CalendarNotCovered, ValueError):
        return None
    return found if found <= last else None


def _coverage(calendar: BusinessCalendar) -> tuple[date | None, date | None]:
    start, end = getattr(calendar, "start", None), getattr(calendar, "end", None)
    if isinstance(start, date) and isinstance(end, date):
        return start, end
    years = getattr(calendar, "official_years", None)
    if years:
        return date(min(years), 1, 1), date(max(years), 12, 31)
    return None, None


# --------------------------------------------------------------------------- inputs from models

_REGISTRY: dict[type[pydantic.BaseModel], InputStrategy] = {}


def register_input_strategy(model: type[pydantic.BaseModel], strategy: InputStrategy) -> None:
    """Use ``strategy`` for every input of ``model`` (a trigger's input model, an
    intake model or a nested one such as ``CustomerIn``), instead of deriving one
    from its fields.

    ``strategy`` is a strategy for dicts ready for ``Desk.fire``/``Desk.open``, or a
    function ``(case) -> strategy`` for inputs that depend on the case (``case`` is
    ``None`` where no case is at hand).
    """
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        raise InvalidArgument(f"model={model!r} must be a pydantic model class")
    if not isinstance(strategy, st.SearchStrategy) and not callable(strategy):
        raise InvalidArgument(f"strategy={strategy!r} must be a strategy or a function of the case")
    _REGISTRY[model] = strategy
    _case_free_inputs.cache_clear()


def _registered(model: type[pydantic.BaseModel], case: Case | None) -> st.SearchStrategy[Any] | None:
    entry = _REGISTRY.get(model)
    if entry is None:
        return None
    if isinstance(entry, st.SearchStrategy):
        return entry
    return entry(case)


@attrs.frozen
class _Limits:
    ge: Any = None
    gt: Any = None
    le: Any = None
    lt: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


_LIMIT_NAMES = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")


def _limits(metadata: Iterable[Any]) -> _Limits:
    found: dict[str, Any] = {}

    def visit(items: Iterable[Any]) -> None:
        for m in items:
            if isinstance(m, pydantic.fields.FieldInfo):
                visit(m.metadata)
                continue
            for name in _LIMIT_NAMES:
                value = getattr(m, name, None)
                if value is not None and not callable(value):
                    found[name] = value

    visit(metadata)
    return _Limits(**found)


def _number_bounds(lim: _Limits, step: Any, default: Any) -> tuple[Any, Any]:
    lo = lim.ge if lim.ge is not None else (lim.gt + step if lim.gt is not None else -default)
    hi = lim.le if lim.le is not None else (lim.lt - step if lim.lt is not None else default)
    return lo, hi


def _strings(lim: _Limits) -> st.SearchStrategy[str]:
    lo = lim.min_length or 0
    hi = lim.max_length if lim.max_length is not None else max(lo, 12)
    hi = min(hi, max(lo, 12))
    if lim.pattern:
        return st.from_regex(lim.pattern, fullmatch=True).filter(
            lambda s: lo <= len(s) <= (lim.max_length or 10**6)
        )
    return st.text(alphabet=_TEXT_CHARS, min_size=lo, max_size=hi)


def _type_strategy(
    tp: Any, metadata: Sequence[Any], case: Case | None, depth: int
) -> st.SearchStrategy[Any] | None:
    """A strategy for values of annotation ``tp`` (with pydantic/annotated-types
    ``metadata``), or None when there is none to derive."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_strategy(args[0], [*metadata, *args[1:]], case, depth)
    if origin in (Union, types.UnionType):
        parts = [_type_strategy(a, metadata, case, depth) for a in args if a is not type(None)]
        options = [p for p in parts if p is not None]
        if type(None) in args:
            options.insert(0, st.none())
        return st.one_of(options) if options else None
    if origin is Literal:
        return st.sampled_from(args)
    lim = _limits(metadata)
    if origin in (tuple, list, set, frozenset, Sequence, typing.Sequence):
        size_lo = lim.min_length or 0
        size_hi = lim.max_length if lim.max_length is not None else size_lo + 3
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            fixed = [_type_strategy(a, (), case, depth) for a in args]
            return None if any(f is None for f in fixed) else st.tuples(*typing.cast(list[Any], fixed))
        element = _type_strategy(args[0], (), case, depth) if args else None
        if element is None:
            return None
        items = st.lists(element, min_size=size_lo, max_size=size_hi)
        if origin in (set, frozenset):
            return items.map(frozenset)
        return items.map(tuple) if origin is not list else items
    if origin in (dict, Mapping, typing.Mapping):
        keys = _type_strategy(args[0], (), case, depth) if args else None
        values = _type_strategy(args[1], (), case, depth) if len(args) > 1 else None
        if keys is None or values is None:
            return None
        return st.dictionaries(keys, values, max_size=3)
    if not isinstance(tp, type):
        return None
    if issubclass(tp, pydantic.BaseModel):
        if depth > 4:
            return None
        return _model_inputs(tp, example=None, case=case, depth=depth + 1)
    if issubclass(tp, bool):
        return st.booleans()
    if issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if issubclass(tp, int):
        lo, hi = _number_bounds(lim, 1, 10**6)
        return st.integers(min_value=int(lo), max_value=int(hi))
    if issubclass(tp, Decimal):
        lo, hi = _number_bounds(lim, Decimal("0.01"), Decimal(10**6))
        return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=2)
    if issubclass(tp, float):
        lo, hi = _number_bounds(lim, 1e-9, 1e6)
        return st.floats(min_value=float(lo), max_value=float(hi), allow_nan=False)
    if issubclass(tp, str):
        return _strings(lim)
    if issubclass(tp, datetime):
        return st.datetimes(
            min_value=DEFAULT_START.replace(tzinfo=None) - timedelta(days=365),
            max_value=DEFAULT_START.replace(tzinfo=None),
            timezones=st.just(CHINA_TZ),
        )
    if issubclass(tp, date):
        return st.dates(min_value=_TODAY - timedelta(days=3 * 365), max_value=_TODAY)
    if issubclass(tp, Money):
        return amounts()
    try:
        return st.from_type(tp)
    except Exception:
        return None


def _finite(annotation: Any) -> list[Any] | None:
    """Every value of a small finite domain (bool, Enum, Literal; None if optional)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _finite(args[0])
    if origin is Literal:
        return list(args)
    if origin in (Union, types.UnionType):
        parts = [_finite(a) for a in args if a is not type(None)]
        if any(p is None for p in parts):
            return None
        values = [v for p in parts if p is not None for v in p]
        return [None, *values] if type(None) in args else values
    if annotation is bool:
        return [False, True]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    return None


def _around(value: Any, gen: st.SearchStrategy[Any] | None, annotation: Any) -> st.SearchStrategy[Any]:
    """The example's ``value`` or another one; shrinking goes back to the example. A
    small finite domain is sampled evenly (the example first), so each other value
    is as likely as the example's."""
    if gen is None:
        return st.just(value).map(copy.deepcopy)
    finite = _finite(annotation)
    if finite is not None:
        others = [v for v in finite if v != value and not (isinstance(v, Enum) and v.value == value)]
        return st.sampled_from([value, *others])
    return st.one_of(st.just(value).map(copy.deepcopy), gen)


def _valid(model: type[pydantic.BaseModel]) -> Callable[[Mapping[str, Any]], bool]:
    def check(data: Mapping[str, Any]) -> bool:
        try:
            model.model_validate(data)
        except pydantic.ValidationError:
            return False
        return True

    return check


def _copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(value))


def _model_inputs(
    model: type[pydantic.BaseModel],
    *,
    example: Mapping[str, Any] | None,
    case: Case | None,
    depth: int = 0,
    overrides: Mapping[str, st.SearchStrategy[Any]] | None = None,
    exclude: frozenset[str] = frozenset(),
    whole_example: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts that validate as ``model``: each field drawn from its type and
    constraints, mixed with the example's value (shrinking goes towards the
    example); ``whole_example`` also offers the example itself as one choice."""
    registered = _registered(model, case) if not overrides else None
    if registered is not None:
        return st.one_of(st.just(example).map(_copy), registered) if example else registered
    overrides = overrides or {}
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if name in overrides:
            required[key] = overrides[name]
            continue
        if name in exclude and not (example and key in example):
            continue
        gen = _type_strategy(field.annotation, field.metadata, case, depth)
        if example and key in example:
            required[key] = _around(example[key], gen, field.annotation)
        elif gen is None:
            if field.is_required():
                raise InvalidArgument(
                    f"cannot derive a strategy for {model.__name__}.{name} ({field.annotation!r}); "
                    "register one with register_input_strategy()"
                )
        elif field.is_required():
            required[key] = gen
        else:
            optional[key] = gen
    derived = st.fixed_dictionaries(required, optional=optional).filter(_valid(model))
    if example and whole_example and not overrides:
        return st.one_of(st.just(example).map(_copy), derived)
    return derived


def transition_inputs(
    workflow: str | Workflow, trigger: str, *, case: Case | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Inputs for ``trigger`` of ``workflow``: dicts that validate as the trigger's
    input model, mixed with the examples its rows declare (``{}`` for a trigger
    without input). ``case`` lets case-dependent inputs fit the case (``breach``
    names a deadline that is running on it)."""
    wf = resolve_workflow(workflow)
    rows = [r for r in wf.transitions if r.trigger == trigger]
    if not rows:
        raise InvalidArgument(f"{wf.kind} has no trigger {trigger!r}; triggers: {', '.join(wf.triggers)}")
    model = rows[0].input
    if model is None:
        return st.just({}).map(dict)
    if case is None or not callable(_REGISTRY.get(model)):
        return _case_free_inputs(wf, trigger, model)
    return _inputs_for(wf, trigger, model, case)


@functools.lru_cache(maxsize=512)
def _case_free_inputs(
    wf: Workflow, trigger: str, model: type[pydantic.BaseModel]
) -> st.SearchStrategy[dict[str, Any]]:
    # built once: a state machine asks for the same trigger's inputs at every step
    return _inputs_for(wf, trigger, model, None)


def _inputs_for(
    wf: Workflow, trigger: str, model: type[pydantic.BaseModel], case: Case | None
) -> st.SearchStrategy[dict[str, Any]]:
    rows = [r for r in wf.transitions if r.trigger == trigger]
    examples = [dict(r.example) for r in rows if r.example is not None]
    unique = [e for i, e in enumerate(examples) if e not in examples[:i]]
    strategies = [_model_inputs(model, example=e, case=case) for e in unique] or [
        _model_inputs(model, example=None, case=case)
    ]
    return st.one_of(strategies)


def intakes(workflow: str | Workflow, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Intake data for ``Desk.open(kind, **intake)``: dicts that validate as the
    workflow's intake model, mixed with its example intake. ``fields`` give
    strategies for some fields (``intakes("complaint", category=st.just("quality"))``).

    ``origin`` (set when a case opens another) is left empty unless given.
    """
    wf = resolve_workflow(workflow)
    known = wf.intake.model_fields
    for name, value in fields.items():
        if name not in known:
            raise InvalidArgument(f"{wf.kind} intake has no field {name!r}; fields: {', '.join(known)}")
        _check_strategy(name, value)
    return _model_inputs(
        wf.intake,
        example=wf.example or None,
        case=None,
        overrides=fields,
        exclude=frozenset({"origin"}),
        whole_example=False,
    )


def _customer_dict(c: Customer) -> dict[str, Any]:
    return {k: v for k, v in attrs.asdict(c).items() if v or k == "id"}


def _component_dict(c: Component) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name}
    if c.warranty_months is not None:
        out["warranty_months"] = c.warranty_months
    if c.serial:
        out["serial"] = c.serial
    if isinstance(c.value, Money):
        out["value"] = c.value.amount
    return out


def _product_dict(p: Product) -> dict[str, Any]:
    out: dict[str, Any] = {"model": p.model, "line": p.line}
    for name in ("serial", "purchase_date", "delivery_date", "contract"):
        value = getattr(p, name)
        if value:
            out[name] = value
    if p.components:
        out["components"] = [_component_dict(c) for c in p.components]
    return out


def _breach_inputs(case: Case | None) -> st.SearchStrategy[Mapping[str, Any]]:
    running: list[str] = []
    if case is not None:
        breached = case.fact("breached", ()) or ()
        running = sorted(n for n, d in case.deadlines.items() if d.paused_since is None and n not in breached)
    names = (
        st.sampled_from(running) | _strings(_Limits(min_length=1))
        if running
        else _strings(_Limits(min_length=1))
    )
    return st.fixed_dictionaries({"deadline": names})


@st.composite
def _customer_dicts(draw: st.DrawFn) -> dict[str, Any]:
    # a composite, so that a failing example prints the plain dict, not how it was built
    return _customer_dict(draw(customers()))


@st.composite
def _product_dicts(draw: st.DrawFn) -> dict[str, Any]:
    return _product_dict(draw(products()))


def _register_builtins() -> None:
    from aftersales_core.workflows.common import BreachIn

    _REGISTRY.setdefault(CustomerIn, _customer_dicts())
    _REGISTRY.setdefault(ProductIn, _product_dicts())
    _REGISTRY.setdefault(BreachIn, _breach_inputs)


_register_builtins()


# --------------------------------------------------------------------------- histories and cases


def _frozen(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    return freeze(dict(value)) if value else EMPTY


@attrs.frozen
class History:
    """A case's life as the kit generated it: open a ``kind`` case with ``intake`` as
    ``opened_by``, then fire ``steps`` in order; every step succeeded when generated.
    """

    kind: str
    intake: FrozenDict[str, Any] = attrs.field(converter=_frozen)
    steps: tuple[Step, ...] = ()
    opened_by: Role = Role.AGENT

    def run(self, desk: Desk, *, check: Callable[[Case, Case, Any], None] | None = None) -> Case:
        """Open the case on ``desk`` and fire every step; returns the last snapshot.
        Use a desk like the one it was generated on (``make_desk(policies=...)``)."""
        case = desk.open(self.kind, actor=actor_for(self.opened_by), **self.intake)
        return run_steps(desk, case.id, self.steps, check=check)

    def __repr__(self) -> str:
        steps = ", ".join(map(repr, self.steps))
        return f"History({self.kind!r}, steps=[{steps}])"


def _resolve_roles(roles: Iterable[Role] | None) -> tuple[Role, ...]:
    pool = tuple(dict.fromkeys(Role(r) for r in roles)) if roles is not None else tuple(Role)
    if not pool:
        raise InvalidArgument("roles must name at least one Role")
    return pool


def _walk(
    draw: st.DrawFn,
    wf: Workflow,
    *,
    roles: tuple[Role, ...],
    min_size: int,
    max_size: int,
    policies: PolicySet | None,
    custom: bool,
) -> tuple[History, Desk, str]:
    desk = make_desk(policies=policies, workflows={wf.kind: wf} if custom else None)
    intake = draw(intakes(wf), label="intake")
    opened: tuple[Role, str] | None = None
    for data in (intake, dict(wf.example)):
        for role in roles:
            try:
                opened = (role, desk.open(wf.kind, actor=actor_for(role), **data).id)
            except REFUSALS:
                continue
            intake = data
            break
        if opened is not None:
            break
    if opened is None:
        raise InvalidArgument(f"no role in {roles} can open a {wf.kind} case, even with its example intake")
    opened_by, case_id = opened
    target = draw(st.integers(min_value=min_size, max_value=max_size), label="steps")
    steps: list[Step] = []
    attempts = 0
    while len(steps) < target and attempts < 3 * target + 3:
        attempts += 1
        case = desk.get(case_id)
        options = [(role, t) for role in roles for t in allowed_triggers(desk, case_id, actor_for(role))]
        if not options:
            break
        role, trigger = draw(st.sampled_from(options))
        data = draw(transition_inputs(wf, trigger, case=case))
        step = Step(trigger, role, data)
        wait_for_deadline(desk, case, step)
        try:
            desk.fire(case_id, trigger, actor=actor_for(role), **data)
        except REFUSALS:
            continue
        steps.append(step)
    if len(steps) < min_size:
        from hypothesis import reject

        reject()
    return History(wf.kind, intake, tuple(steps), opened_by), desk, case_id


def histories(
    workflow: str | Workflow,
    *,
    roles: Iterable[Role] | None = None,
    min_size: int = 0,
    max_size: int = 8,
    policies: PolicySet | None = None,
) -> st.SearchStrategy[History]:
    """Histories of ``workflow`` (a kind or a ``Workflow``): an intake from
    :func:`intakes` and up to ``max_size`` steps, each a trigger that ``Desk.allowed``
    offered to an actor of ``roles`` (default: every role, the system included) with
    an input from :func:`transition_inputs` — kept only when the real engine, under
    ``policies``, accepted it. A history stops early when nothing is allowed any more;
    examples that cannot reach ``min_size`` steps are rejected.
    """
    wf = resolve_workflow(workflow)
    pool = _resolve_roles(roles)
    if not 0 <= min_size <= max_size:
        raise InvalidArgument(f"need 0 <= min_size <= max_size, got min_size={min_size}, max_size={max_size}")
    custom = isinstance(workflow, Workflow)

    @st.composite
    def build(draw: st.DrawFn) -> History:
        history, _, _ = _walk(
            draw, wf, roles=pool, min_size=min_size, max_size=max_size, policies=policies, custom=custom
        )
        return history

    return build()


def cases(
    *, kinds: Iterable[str] | None = None, max_steps: int = 8, policies: PolicySet | None = None
) -> st.SearchStrategy[Case]:
    """Real case snapshots: a :func:`histories` run of a kind of ``kinds`` (default:
    every built-in kind) on a fresh :func:`~aftersales_core.testing.make_desk`."""
    pool = tuple(kinds) if kinds is not None else builtin_kinds()
    if not pool:
        raise InvalidArgument("kinds must name at least one case kind")
    for k in pool:
        resolve_workflow(k)

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        wf = resolve_workflow(draw(st.sampled_from(pool), label="kind"))
        _, desk, case_id = _walk(
            draw, wf, roles=tuple(Role), min_size=0, max_size=max_steps, policies=policies, custom=False
        )
        return desk.get(case_id)

    return build()


# --------------------------------------------------------------------------- policy sets


def sla_tables(*, min_value: int = 0, max_value: int = 10) -> st.SearchStrategy[SlaTable]:
    """SLA tables with the SPEC's stages (and rule ids), each target between
    ``min_value`` and ``max_value`` working days."""
    if not 0 <= min_value <= max_value:
        raise InvalidArgument(f"need 0 <= min_value <= max_value, got {min_value}, {max_value}")
    base = default_sla()
    days = st.integers(min_value=min_value, max_value=max_value)
    return st.fixed_dictionaries(dict.fromkeys(base.targets, days)).map(
        lambda chosen: SlaTable(
            targets={k: Target(n, base.targets[k].rule) for k, n in chosen.items()}, hours=base.hours
        )
    )


def policy_sets(**slots: st.SearchStrategy[Any]) -> st.SearchStrategy[PolicySet]:
    """Policy sets with a generated ``version`` and SLA targets from
    :func:`sla_tables`; pass a strategy per slot to vary others
    (``policy_sets(routing=st.sampled_from([a, b]))``) or to pin one
    (``sla=st.just(default_sla())``). The other slots keep their defaults."""
    names = {f.name for f in attrs.fields(PolicySet)}
    for name, value in slots.items():
        if name not in names:
            raise InvalidArgument(f"PolicySet has no slot {name!r}; slots: {', '.join(sorted(names))}")
        _check_strategy(name, value)
    chosen: dict[str, st.SearchStrategy[Any]] = {
        "version": st.sampled_from(["spec-defaults-1", "acme-2026.1"]) | _IDS.map(lambda s: f"test-{s}"),
        "sla": sla_tables(min_value=1),
        **slots,
    }
    return st.builds(PolicySet, **chosen)

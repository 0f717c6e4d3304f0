"""Policy files: every built-in policy as versioned data (DESIGN §4).

One file (JSON or TOML) holds the configuration of all nine policy slots of a
:class:`~aftersales_core.policies.PolicySet`; :func:`load_policies` validates it
(pydantic) and builds the built-in policies, :func:`dump_policies` writes a
policy set back as data, :func:`policy_schema` gives the file's JSON Schema (for
ERP admin screens). The SPEC defaults ship inside the package as such a file,
``aftersales_core/policies/defaults.json``::

    from aftersales_core.policies import load_policies
    policies = load_policies("policies.toml")        # a PolicySet or PolicyVersions
    desk = Desk(policies=policies)

Nothing in a file is executed: it is plain data (JSON, or TOML read with the
standard library), checked key by key. A mistake raises
:class:`~aftersales_core.errors.PolicyConfigError` naming the file, the key path
and the reason — ``policies.json: routing.rules[3].department: unknown department
'qa'; known: ...`` — and nothing is half-loaded.

File format
===========

Top level
---------

``version`` (string, required)
    The policy set's name; every decision records it (``Decision.version``).
``effective`` (date or date-time, optional)
    When this version takes effect. A plain date (``2026-07-01``) is midnight
    China time; a date-time needs its offset (``2026-07-01T00:00:00+08:00``).
    With ``effective`` the file loads into a one-version
    :class:`~aftersales_core.policies.PolicyVersions`, without it into a
    :class:`~aftersales_core.policies.PolicySet`.
``versions`` (list, optional)
    Several versions with their effective dates (then ``version`` and
    ``effective`` go into each entry, not at the top). Each entry has
    ``version``, ``effective`` and any of the sections below. The first entry
    starts from the top-level sections (if any, else the SPEC defaults); **each
    later entry inherits every section of the one before and replaces whole
    sections** that it names. Entries are listed in the order they take effect
    (strictly increasing ``effective``); version names are unique. A case is
    decided under the version in force when the deciding event happened.
the sections (tables, optional)
    One per slot: ``permissions``, ``sla``, ``returns``, ``routing``,
    ``escalation``, ``promotion``, ``warranty``, ``fees``, ``settlement``.
    **A section left out is the SPEC default policy; a key left out of a
    section takes the SPEC default's value for that key.** A key's value
    replaces the default's whole value (mappings and lists are not merged):
    ``warranty.lines = {smart_equipment = 18}`` leaves the other product lines
    with no warranty — list them all.

Unknown keys are errors (a typo is never ignored). Amounts are CNY strings exact
to the fen (``"120.00"``; integers are accepted, binary floats are refused).
Dates are ``YYYY-MM-DD``. In JSON, ``null`` gives a key "no value" (e.g.
``routing.default: null``: no default department); TOML has no null, so leave
such settings to JSON.

Sections
--------

``permissions`` — :class:`~aftersales_core.policies.PermissionTable` (G-7)
    ``permits``: list of ``{trigger, roles, kind = "*", flag, rule = "G-7"}``
    (first match wins; a trigger no permit names is open to every human role;
    ``roles`` are :class:`~aftersales_core.model.Role` values);
    ``amount_limits``: ``{what: {role: amount}}`` (``"compensation"``,
    ``"part"``; a role not listed may approve nothing);
    ``system_triggers``: triggers only the system fires (``["breach"]``).
``sla`` — :class:`~aftersales_core.policies.SlaTable` (SLA, CON, REP-4)
    ``targets``: ``{"kind.stage" or "kind.stage@priority": {workdays, rule = "SLA-2"}}``;
    ``hours``: ``{start = "08:30", end = "17:30"}`` or null (whole days);
    ``pause_states``: ``{"kind.state": true/false}`` (SLA-3).
``returns`` — :class:`~aftersales_core.policies.ReturnRules` (RET-1, RET-3, RET-4)
    ``ladders``: list of ladders, first match (one per product line, then a
    general one); a ladder is ``{rungs, line, problems = ["quality"]}``, a rung
    ``{name, days (omitted: no limit), remedies, zh, en, rule = "RET-1"}``;
    ``finding_tables``: list of ``{findings, severity, line}``, first match;
    ``findings`` maps a :class:`~aftersales_core.policies.Finding` (not
    ``quality_defect``) and ``severity`` every
    :class:`~aftersales_core.policies.Severity` to a rule ``{remedies, zh, en,
    always = [], department, paid = false, production_feedback = false, rule =
    "RET-3"}``; ``uncovered_zh``, ``uncovered_en``: the published text for
    requests no ladder covers.
``routing`` — :class:`~aftersales_core.policies.RoutingTable` (CPL-2)
    ``rules``: list of ``{category, department, product_line, channel, partner,
    why}`` (first match wins; ``partner = "*"``: any partner, ``""``: none);
    ``default``: the department for the rest (null: none, then the rules must
    cover everything); ``departments``: the host's own department names. No
    rules and a default make a :class:`~aftersales_core.policies.DefaultRoute`.
``escalation`` — :class:`~aftersales_core.policies.EscalationLadder` (CPL-3)
    ``levels``: list of ``{name, role, zh}``, lowest first; ``on_breach``:
    levels climbed on a missed deadline (0: none); ``urgent_to``: the level an
    urgent matter goes to.
``promotion`` — ``SpecialOnRisk(on) | IndividualAfter(n)`` (CPL-4, CPL-5)
    ``special_on``: risk flags that make a special case (null: never);
    ``individual_after``: rejected resolutions that make an individual case
    (null: never). At least one of the two.
``warranty`` — :class:`~aftersales_core.policies.WarrantyTable` (REP-2)
    ``lines``: ``{product_line: months}``; ``components``: ``{name: months}``;
    ``promotions``: list of ``{name, sold_from, sold_to, extra_months, lines = []}``;
    ``contracts``: ``{agreement id: {months} or {until}}``; ``start``:
    ``"purchase"`` or ``"delivery"``.
``fees`` — :class:`~aftersales_core.policies.FeeSchedule` (REP-3, REP-7, FIN)
    ``items``: ``{code: {kind = "labour"|"travel", unit, unit_cost, unit_charge, zh, en}}``;
    ``part_prices``: ``{part number: amount}`` (else parts at cost);
    ``contracts``: ``{agreement id: {item or part: amount}}``.
``settlement`` — :class:`~aftersales_core.policies.CollectOnSiteBelow` (REP-11)
    ``threshold``: charges below it are collected on site, the rest invoiced.

Example (TOML)::

    version = "acme-2026.2"
    effective = 2026-07-01

    [warranty]
    lines = { smart_equipment = 18, functional_fabric = 6, software = 12 }

    [settlement]
    threshold = "5000.00"

    [[routing.rules]]
    category = "quality"
    department = "production"
    product_line = "functional_fabric"

    [[routing.rules]]
    category = "quality"
    department = "rnd"

Custom policies (your own functions or classes in a slot) cannot be written to a
file: :func:`dump_policies` refuses them with ``PolicyConfigError``.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import tomllib
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import attrs
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from aftersales_core.calendar import WorkingHours
from aftersales_core.clock import CHINA_TZ
from aftersales_core.errors import PolicyConfigError
from aftersales_core.model import Channel, ProductLine, Role
from aftersales_core.money import Money
from aftersales_core.policies import PolicySet, PolicyVersions
from aftersales_core.policies.base import FirstMatch
from aftersales_core.policies.escalation import EscalationLadder, Level
from aftersales_core.policies.fees import FeeItem, FeeSchedule, LineKind
from aftersales_core.policies.permissions import PermissionTable, Permit
from aftersales_core.policies.promotion import IndividualAfter, RiskFlag, SpecialOnRisk
from aftersales_core.policies.returns import (
    Finding,
    FindingRule,
    FindingTable,
    Problem,
    Remedy,
    ReturnLadder,
    ReturnRules,
    Rung,
    Severity,
)
from aftersales_core.policies.routing import Category, DefaultRoute, Route, RoutingTable
from aftersales_core.policies.settlement import CollectOnSiteBelow
from aftersales_core.policies.sla import SlaTable, Target
from aftersales_core.policies.warranty import MaintenanceAgreement, WarrantyPromotion, WarrantyTable

__all__ = [
    "DEFAULTS_FILE",
    "SECTIONS",
    "PolicyFile",
    "dump_policies",
    "load_policies",
    "policy_schema",
    "write_policies",
]

#: The SPEC defaults as a policy file, shipped inside the package.
DEFAULTS_FILE = Path(__file__).with_name("defaults.json")

#: Amounts above this are refused as typing mistakes (and keep Decimal arithmetic finite).
_MAX_AMOUNT = Decimal("1e12")


# --------------------------------------------------------------------------- value types


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _money(value: Any) -> Money:
    if isinstance(value, bool | float):
        raise ValueError(
            f'{type(value).__name__}s are refused: write amounts as strings such as "120.00" (FIN-1)'
        )
    if isinstance(value, Money):
        amount = value.amount
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f'{value!r} is not an amount such as "120.00"') from None
    else:
        raise ValueError(f'expected an amount such as "120.00", got {type(value).__name__}')
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if amount < 0:
        raise ValueError(f"an amount cannot be negative, got {amount}")
    if amount > _MAX_AMOUNT:
        raise ValueError(f"{amount} is beyond any plausible amount")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"{amount} has more than two decimal places (amounts are exact to the fen)")
    return Money(amount)


def _positive_money(value: Any) -> Money:
    money = _money(value)
    if not money:
        raise ValueError("must be more than zero")
    return money


def _money_text(value: Money) -> str:
    return str(value.amount)


_MONEY_SCHEMA = {
    "type": "string",
    "pattern": r"^\d+(\.\d{1,2})?$",
    "description": 'CNY, exact to the fen, e.g. "120.00"',
}

Amount = Annotated[
    Money,
    pydantic.PlainValidator(_money),
    pydantic.PlainSerializer(_money_text, return_type=str),
    pydantic.WithJsonSchema(_MONEY_SCHEMA),
]
PositiveAmount = Annotated[
    Money,
    pydantic.PlainValidator(_positive_money),
    pydantic.PlainSerializer(_money_text, return_type=str),
    pydantic.WithJsonSchema({**_MONEY_SCHEMA, "description": "CNY, more than zero, exact to the fen"}),
]


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")


Day = Annotated[
    date,
    pydantic.PlainValidator(_date),
    pydantic.PlainSerializer(date.isoformat, return_type=str),
    pydantic.WithJsonSchema({"type": "string", "format": "date"}),
]


def _wall_time(value: Any) -> time:
    if isinstance(value, time):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f'expected a time of day such as "08:30", got {value!r}') from None
    else:
        raise ValueError(f'expected a time of day such as "08:30", got {value!r}')
    if parsed.tzinfo is not None or parsed.microsecond:
        raise ValueError("a wall-clock time in whole seconds, without a timezone")
    return parsed


WallTime = Annotated[
    time,
    pydantic.PlainValidator(_wall_time),
    pydantic.PlainSerializer(time.isoformat, return_type=str),
    pydantic.WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$"}),
]


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"expected a date (2026-07-01) or a date-time with offset "
                f"(2026-07-01T00:00:00+08:00), got {text!r}"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "a date-time needs its offset (e.g. 2026-07-01T00:00:00+08:00); "
                "a plain date is midnight China time"
            )
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), CHINA_TZ)
    raise ValueError(f"expected a date or a date-time, got {value!r}")


Instant = Annotated[
    datetime,
    pydantic.PlainValidator(_instant),
    pydantic.PlainSerializer(datetime.isoformat, return_type=str),
    pydantic.WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
            "description": "a date (midnight China time) or a date-time with its offset",
        }
    ),
]

Name = Annotated[str, pydantic.Strict(), Field(min_length=1), pydantic.AfterValidator(_nonblank)]
Text = Annotated[str, pydantic.Strict()]
Flag = Annotated[bool, pydantic.Strict()]
Count = Annotated[int, pydantic.Strict(), Field(ge=0, le=100_000)]
Months = Annotated[int, pydantic.Strict(), Field(ge=0, le=600)]
Rule = Annotated[str, pydantic.Strict(), Field(min_length=1), pydantic.AfterValidator(_nonblank)]


# --------------------------------------------------------------------------- sections


@functools.cache
def _spec_dump() -> dict[str, dict[str, Any]]:
    """Each section of the SPEC defaults, as data (the defaults of omitted keys)."""
    defaults = PolicySet()
    return {name: section.dump(getattr(defaults, name)) for name, section in SECTIONS.items()}


def _spec(section: str, key: str) -> Any:
    """``default_factory`` for a key: the SPEC default's value of ``section.key``."""

    def factory() -> Any:
        return copy.deepcopy(_spec_dump()[section][key])

    return Field(default_factory=factory)


class _Model(BaseModel):
    # the docstrings of models and fields are the descriptions of the JSON Schema
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, use_attribute_docstrings=True
    )


class _Section(_Model):
    #: the slot of PolicySet this section configures
    slot: ClassVar[str]

    def build(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_policy(cls, policy: object) -> _Section:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def dump(cls, policy: object) -> dict[str, Any]:
        """``policy`` as data: None kept at the section's top (it means "no value"),
        dropped below (there it is always the key's default)."""
        data = cls.from_policy(policy).model_dump(mode="json")
        return {k: _drop_nones(v) for k, v in data.items()}


def _drop_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nones(v) for v in value]
    return value


def _not_builtin(slot: str, policy: object) -> PolicyConfigError:
    return PolicyConfigError(
        slot, f"{type(policy).__name__} is not a built-in policy; cannot be written to a file"
    )


def _rebase(path: str, mapping: Sequence[tuple[str, str]]) -> str:
    """Translate a built-in's error path into the file's key path (first matching prefix)."""
    for old, new in mapping:
        if not old:
            return f"{new}.{path}" if path else new
        if path == old or path.startswith((f"{old}.", f"{old}[")):
            return new + path[len(old) :]
    return mapping[-1][1] if mapping else path


@contextmanager
def _where(*mapping: tuple[str, str]) -> Iterator[None]:
    """Errors of the built-in constructors inside, at the file's key paths: a path
    starting with a mapped prefix is rebased, anything else lands on the last path."""
    try:
        yield
    except PolicyConfigError as exc:
        raise PolicyConfigError(_rebase(exc.path, mapping), exc.reason) from None
    except (ValueError, TypeError) as exc:  # an attrs validator of a built-in
        raise PolicyConfigError(mapping[-1][1], str(exc)) from None


# -- permissions (G-7)


class PermitModel(_Model):
    """Only `roles` may fire `trigger` on cases of `kind` ("*": any kind) that carry `flag` (if given)."""

    trigger: Name
    roles: list[Role]
    kind: Name = "*"
    flag: Name | None = None
    rule: Rule = "G-7"


class PermissionsSection(_Section):
    """Permissions (G-7): which role may fire which trigger, and amount limits (PermissionTable)."""

    slot: ClassVar[str] = "permissions"
    permits: list[PermitModel] = _spec("permissions", "permits")
    """First match wins; a trigger no permit names is open to every human role."""
    amount_limits: dict[Name, dict[Role, Amount]] = _spec("permissions", "amount_limits")
    """The largest amount each role may approve, per kind of approval ("compensation", "part")."""
    system_triggers: list[Name] = _spec("permissions", "system_triggers")
    """Triggers that only the system fires (time-based)."""

    def build(self) -> PermissionTable:
        permits = []
        for i, p in enumerate(self.permits):
            with _where(("", f"permissions.permits[{i}]")):
                permits.append(Permit(p.trigger, frozenset(p.roles), kind=p.kind, flag=p.flag, rule=p.rule))
        with _where(("permissions", "permissions"), ("", "permissions")):
            return PermissionTable(
                permits=tuple(permits),
                amount_limits={
                    what: {role.value: limit for role, limit in per_role.items()}
                    for what, per_role in self.amount_limits.items()
                },
                system_triggers=frozenset(self.system_triggers),
            )

    @classmethod
    def from_policy(cls, policy: object) -> PermissionsSection:
        if type(policy) is not PermissionTable:
            raise _not_builtin(cls.slot, policy)
        return cls(
            permits=[
                PermitModel(
                    trigger=p.trigger,
                    roles=[r for r in Role if r in p.roles],
                    kind=p.kind,
                    flag=p.flag,
                    rule=p.rule,
                )
                for p in policy.permits
            ],
            amount_limits={what: dict(per_role) for what, per_role in policy.amount_limits.items()},
            system_triggers=sorted(policy.system_triggers),
        )


# -- sla (SLA, CON, REP-4)


class TargetModel(_Model):
    """A stage takes at most `workdays` working days (the SPEC rule `rule`)."""

    workdays: Count
    rule: Rule = "SLA-2"


class HoursModel(_Model):
    """Office hours [start, end) of a working day (wall-clock times)."""

    start: WallTime
    end: WallTime

    @pydantic.field_validator("end")
    @classmethod
    def _after_start(cls, end: time, info: pydantic.ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and not start < end:
            raise ValueError(f"working hours must end after they start ({start.isoformat()})")
        return end


class SlaSection(_Section):
    """SLA targets (SLA, CON, REP-4): working days per case kind and stage (SlaTable)."""

    slot: ClassVar[str] = "sla"
    targets: dict[Name, TargetModel] = _spec("sla", "targets")
    """Keys "kind.stage", or "kind.stage@priority" for a tighter target of a priority."""
    hours: HoursModel | None = _spec("sla", "hours")
    """Office hours of a working day; null: whole days."""
    pause_states: dict[Name, Flag] = _spec("sla", "pause_states")
    """Keys "kind.state": whether deadlines stand still in that state (SLA-3)."""

    def build(self) -> SlaTable:
        hours = None
        if self.hours is not None:
            with _where(("", "sla.hours")):
                hours = WorkingHours(self.hours.start, self.hours.end)
        with _where(("sla", "sla"), ("", "sla")):
            return SlaTable(
                targets={k: Target(t.workdays, t.rule) for k, t in self.targets.items()},
                hours=hours,
                pause_states=dict(self.pause_states),
            )

    @classmethod
    def from_policy(cls, policy: object) -> SlaSection:
        if type(policy) is not SlaTable:
            raise _not_builtin(cls.slot, policy)
        hours = policy.hours
        return cls(
            targets={k: TargetModel(workdays=t.workdays, rule=t.rule) for k, t in policy.targets.items()},
            hours=HoursModel(start=hours.start, end=hours.end) if hours is not None else None,
            pause_states=dict(policy.pause_states),
        )


# -- returns (RET-1, RET-3, RET-4)


class RungModel(_Model):
    """Up to `days` calendar days after delivery (omitted: no limit), these `remedies` may be claimed."""

    name: Name
    days: Count | None = None
    remedies: list[Remedy]
    zh: Name
    en: Name
    rule: Rule = "RET-1"


class LadderModel(_Model):
    """A RET-1 ladder for one product `line` (omitted: every line) and its `problems`; the first
    rung whose period covers the day decides."""

    rungs: list[RungModel] = Field(min_length=1)
    line: ProductLine | None = None
    problems: list[Problem] = Field(default_factory=lambda: [Problem.QUALITY], min_length=1)


class FindingRuleModel(_Model):
    """What an inspection finding permits (RET-3) and whom it points at (RET-4)."""

    remedies: list[Remedy]
    zh: Name
    en: Name
    always: list[Remedy] = Field(default_factory=list)
    department: Name | None = None
    paid: Flag = False
    production_feedback: Flag = False
    rule: Rule = "RET-3"


class FindingTableModel(_Model):
    """Rules by inspection finding and, for a quality defect, by severity; for one product `line`
    (omitted: every line)."""

    findings: dict[Finding, FindingRuleModel]
    severity: dict[Severity, FindingRuleModel]
    line: ProductLine | None = None


def _rung(r: Rung) -> RungModel:
    return RungModel(name=r.name, days=r.days, remedies=list(r.remedies), zh=r.zh, en=r.en, rule=r.rule)


def _finding_rule(r: FindingRule) -> FindingRuleModel:
    return FindingRuleModel(
        remedies=list(r.remedies),
        zh=r.zh,
        en=r.en,
        always=list(r.always),
        department=r.department,
        paid=r.paid,
        production_feedback=r.production_feedback,
        rule=r.rule,
    )


def _build_rule(r: FindingRuleModel) -> FindingRule:
    return FindingRule(
        tuple(r.remedies),
        zh=r.zh,
        en=r.en,
        always=tuple(r.always),
        department=r.department,
        paid=r.paid,
        production_feedback=r.production_feedback,
        rule=r.rule,
    )


def _chain(policies: Sequence[Any]) -> Any:
    """One policy as itself, several as a first-match chain."""
    return policies[0] if len(policies) == 1 else FirstMatch(tuple(policies))


def _members(slot: str, policy: object, cls: type) -> list[Any]:
    """The built-in ``cls`` objects of ``policy`` (one, or a first-match chain of them)."""
    parts = list(policy.policies) if type(policy) is FirstMatch else [policy]
    for part in parts:
        if type(part) is not cls:
            raise _not_builtin(slot, part)
    return parts


class ReturnsSection(_Section):
    """Returns and exchanges (RET-1, RET-3, RET-4): eligibility ladders and inspection findings
    (ReturnRules)."""

    slot: ClassVar[str] = "returns"
    ladders: list[LadderModel] = _spec("returns", "ladders")
    """RET-1 eligibility ladders, first match (e.g. one per product line, then a general one)."""
    finding_tables: list[FindingTableModel] = _spec("returns", "finding_tables")
    """What inspection findings permit (RET-3, RET-4), first match."""
    uncovered_zh: Name = _spec("returns", "uncovered_zh")
    """Published text (Chinese) for requests no ladder covers."""
    uncovered_en: Name = _spec("returns", "uncovered_en")
    """Published text (English) for requests no ladder covers."""

    @pydantic.field_validator("ladders", "finding_tables")
    @classmethod
    def _some(cls, value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError("at least one is needed (first match)")
        return value

    def build(self) -> ReturnRules:
        ladders = []
        for i, lm in enumerate(self.ladders):
            where = f"returns.ladders[{i}]"
            with _where(("returns.ladder", where), ("", where)):
                rungs = tuple(
                    Rung(r.name, r.days, tuple(r.remedies), zh=r.zh, en=r.en, rule=r.rule) for r in lm.rungs
                )
                line = lm.line.value if lm.line is not None else None
                ladders.append(ReturnLadder(rungs, line=line, problems=tuple(lm.problems)))
        tables = []
        for i, tm in enumerate(self.finding_tables):
            where = f"returns.finding_tables[{i}]"
            with _where(
                ("returns.findings.quality_defect", f"{where}.findings['quality_defect']"),
                ("returns.findings.severity", f"{where}.severity"),
                ("returns.findings", where),
                ("", where),
            ):
                tables.append(
                    FindingTable(
                        findings={k: _build_rule(v) for k, v in tm.findings.items()},
                        severity={k: _build_rule(v) for k, v in tm.severity.items()},
                        line=tm.line.value if tm.line is not None else None,
                    )
                )
        with _where(("", "returns")):
            return ReturnRules(
                ladder=_chain(ladders),
                findings=_chain(tables),
                uncovered_zh=self.uncovered_zh,
                uncovered_en=self.uncovered_en,
            )

    @classmethod
    def from_policy(cls, policy: object) -> ReturnsSection:
        if type(policy) is not ReturnRules:
            raise _not_builtin(cls.slot, policy)
        ladders: list[ReturnLadder] = _members(cls.slot, policy.ladder, ReturnLadder)
        tables: list[FindingTable] = _members(cls.slot, policy.findings, FindingTable)
        return cls(
            ladders=[
                LadderModel(
                    rungs=[_rung(r) for r in ladder.rungs],
                    line=ProductLine(ladder.line) if ladder.line is not None else None,
                    problems=list(ladder.problems),
                )
                for ladder in ladders
            ],
            finding_tables=[
                FindingTableModel(
                    findings={Finding(k): _finding_rule(v) for k, v in table.findings.items()},
                    severity={Severity(k): _finding_rule(v) for k, v in table.severity.items()},
                    line=ProductLine(table.line) if table.line is not None else None,
                )
                for table in tables
            ],
            uncovered_zh=policy.uncovered_zh,
            uncovered_en=policy.uncovered_en,
        )


# -- routing (CPL-2)


class RouteModel(_Model):
    """Complaints of `category` (and, where given, of this product line, channel and partner) go
    to `department`. partner: "*" any partner, "" none, else that partner."""

    category: Category
    department: Name
    product_line: ProductLine | None = None
    channel: Channel | None = None
    partner: Text | None = None
    why: Text = ""


class RoutingSection(_Section):
    """Routing (CPL-2): which department handles a complaint (RoutingTable; no rules and a
    default: DefaultRoute)."""

    slot: ClassVar[str] = "routing"
    rules: list[RouteModel] = _spec("routing", "rules")
    """First match wins; a rule that earlier rules shadow is an error."""
    default: Name | None = _spec("routing", "default")
    """The department for complaints no rule takes; null: the rules must cover everything."""
    departments: list[Name] = _spec("routing", "departments")
    """Departments of the host's own, beside the G-6 ones."""

    def build(self) -> RoutingTable | DefaultRoute:
        try:
            return self._build()
        except PolicyConfigError as exc:  # the table speaks of its rows: the file calls them rules
            raise PolicyConfigError(exc.path, exc.reason.replace("rows[", "rules[")) from None

    def _build(self) -> RoutingTable | DefaultRoute:
        with _where(("routing.rows", "routing.rules"), ("routing", "routing"), ("", "routing")):
            if not self.rules and self.default is not None:
                return DefaultRoute(self.default, frozenset(self.departments))
            rows = tuple(
                Route(
                    r.category,
                    r.department,
                    product_line=r.product_line,
                    channel=r.channel,
                    partner=r.partner,
                    why=r.why,
                )
                for r in self.rules
            )
            return RoutingTable(rows, default=self.default, departments=frozenset(self.departments))

    @classmethod
    def from_policy(cls, policy: object) -> RoutingSection:
        if type(policy) is DefaultRoute:
            return cls(rules=[], default=policy.department, departments=sorted(policy.departments))
        if type(policy) is not RoutingTable:
            raise _not_builtin(cls.slot, policy)
        return cls(
            rules=[
                RouteModel(
                    category=r.category,
                    department=r.department,
                    product_line=r.product_line,
                    channel=r.channel,
                    partner=r.partner,
                    why=r.why,
                )
                for r in policy.rows
            ],
            default=policy.default,
            departments=sorted(policy.departments),
        )


# -- escalation (CPL-3)


class LevelModel(_Model):
    """A level of the escalation ladder and the role that owns complaints there."""

    name: Name
    role: Role
    zh: Text = ""


class EscalationSection(_Section):
    """Escalation (CPL-3): the ladder a complaint climbs (EscalationLadder)."""

    slot: ClassVar[str] = "escalation"
    levels: list[LevelModel] = _spec("escalation", "levels")
    """Lowest first; at least two, names unique."""
    on_breach: Count = _spec("escalation", "on_breach")
    """Levels a complaint climbs when a deadline is missed (0: none)."""
    urgent_to: Name = _spec("escalation", "urgent_to")
    """The level an urgent matter is reported to."""

    def build(self) -> EscalationLadder:
        with _where(("escalation", "escalation"), ("", "escalation")):
            return EscalationLadder(
                levels=tuple(Level(lv.name, lv.role, lv.zh) for lv in self.levels),
                on_breach=self.on_breach,
                urgent_to=self.urgent_to,
            )

    @classmethod
    def from_policy(cls, policy: object) -> EscalationSection:
        if type(policy) is not EscalationLadder:
            raise _not_builtin(cls.slot, policy)
        return cls(
            levels=[LevelModel(name=lv.name, role=lv.role, zh=lv.zh) for lv in policy.levels],
            on_breach=policy.on_breach,
            urgent_to=policy.urgent_to,
        )


# -- promotion (CPL-4, CPL-5)


class PromotionSection(_Section):
    """Promotion to a special case (CPL-4) or an individual case (CPL-5)."""

    slot: ClassVar[str] = "promotion"
    special_on: list[RiskFlag] | None = _spec("promotion", "special_on")
    """Risk flags that make a special case; null: never."""
    individual_after: Annotated[int, pydantic.Strict(), Field(ge=1, le=1000)] | None = _spec(
        "promotion", "individual_after"
    )
    """Rejected resolutions after which a complaint is an individual case; null: never."""

    def build(self) -> Any:
        parts: list[Any] = []
        if self.special_on is not None:
            parts.append(SpecialOnRisk(frozenset(self.special_on)))
        if self.individual_after is not None:
            parts.append(IndividualAfter(self.individual_after))
        if not parts:
            raise PolicyConfigError("promotion", "give special_on, individual_after or both")
        return _chain(parts)

    @classmethod
    def from_policy(cls, policy: object) -> PromotionSection:
        parts = list(policy.policies) if type(policy) is FirstMatch else [policy]
        kinds = [type(p) for p in parts]
        if kinds not in ([SpecialOnRisk], [IndividualAfter], [SpecialOnRisk, IndividualAfter]):
            bad = next((p for p in parts if type(p) not in (SpecialOnRisk, IndividualAfter)), policy)
            raise _not_builtin(cls.slot, bad)
        special = next((p for p in parts if isinstance(p, SpecialOnRisk)), None)
        individual = next((p for p in parts if isinstance(p, IndividualAfter)), None)
        return cls(
            special_on=[f for f in RiskFlag if f in special.on] if special is not None else None,
            individual_after=individual.rejections if individual is not None else None,
        )


# -- warranty (REP-2)


class ContractTermsModel(_Model):
    """A maintenance agreement covers `months` from the warranty start, or `until` a day (inclusive)."""

    months: Months | None = None
    until: Day | None = None

    @pydantic.model_validator(mode="after")
    def _one(self) -> ContractTermsModel:
        if (self.months is None) == (self.until is None):
            raise ValueError("give exactly one of months and until")
        return self


class WarrantyPromotionModel(_Model):
    """Products sold from `sold_from` to `sold_to` (inclusive) get `extra_months` more warranty
    (only products of `lines`, if given)."""

    name: Name
    sold_from: Day
    sold_to: Day
    extra_months: Months
    lines: list[ProductLine] = Field(default_factory=list)

    @pydantic.field_validator("sold_to")
    @classmethod
    def _not_before(cls, sold_to: date, info: pydantic.ValidationInfo) -> date:
        sold_from = info.data.get("sold_from")
        if sold_from is not None and sold_to < sold_from:
            raise ValueError(f"is before sold_from ({sold_from.isoformat()})")
        return sold_to


class WarrantySection(_Section):
    """Warranty (REP-2): periods per product line and component, promotions, contracts
    (WarrantyTable)."""

    slot: ClassVar[str] = "warranty"
    lines: dict[ProductLine, Months] = _spec("warranty", "lines")
    """Months of warranty per product line; a line not listed has none."""
    components: dict[Name, Months] = _spec("warranty", "components")
    """Months of warranty per component name (unless the product data gives its own)."""
    promotions: list[WarrantyPromotionModel] = _spec("warranty", "promotions")
    """Sales promotions that extend the warranty; the first that applies counts."""
    contracts: dict[Name, ContractTermsModel] = _spec("warranty", "contracts")
    """Maintenance agreements (协议服务) by id."""
    start: Literal["purchase", "delivery"] = _spec("warranty", "start")
    """The warranty runs from the purchase or the delivery date."""

    def build(self) -> WarrantyTable:
        promotions = []
        for i, p in enumerate(self.promotions):
            with _where(("", f"warranty.promotions[{i}]")):
                promotions.append(
                    WarrantyPromotion(p.name, p.sold_from, p.sold_to, p.extra_months, frozenset(p.lines))
                )
        with _where(("warranty", "warranty"), ("", "warranty")):
            return WarrantyTable(
                lines=dict(self.lines),
                components=dict(self.components),
                promotions=tuple(promotions),
                contracts={
                    cid: MaintenanceAgreement(cid, months=t.months, until=t.until)
                    for cid, t in self.contracts.items()
                },
                start=self.start,
            )

    @classmethod
    def from_policy(cls, policy: object) -> WarrantySection:
        if type(policy) is not WarrantyTable:
            raise _not_builtin(cls.slot, policy)
        return cls(
            lines=dict(policy.lines),
            components=dict(policy.components),
            promotions=[
                WarrantyPromotionModel(
                    name=p.name,
                    sold_from=p.sold_from,
                    sold_to=p.sold_to,
                    extra_months=p.extra_months,
                    lines=[line for line in ProductLine if line in p.lines],
                )
                for p in policy.promotions
            ],
            contracts={
                cid: ContractTermsModel(months=c.months, until=c.until) for cid, c in policy.contracts.items()
            },
            start=policy.start,
        )


# -- fees (REP-3, REP-7, FIN)


class FeeItemModel(_Model):
    """A row of the published fee schedule (收费标准表): labour or travel, priced per `unit`."""

    kind: Literal["labour", "travel"]
    unit: Name
    unit_cost: Amount
    unit_charge: Amount
    zh: Text = ""
    en: Text = ""


class FeesSection(_Section):
    """Fees (REP-3, REP-7, FIN-1, FIN-2): the fee schedule, part prices, contract prices
    (FeeSchedule)."""

    slot: ClassVar[str] = "fees"
    items: dict[Name, FeeItemModel] = _spec("fees", "items")
    """Labour and travel rates by code (the codes repair work names)."""
    part_prices: dict[Name, Amount] = _spec("fees", "part_prices")
    """Published prices by part number; parts not listed are charged at cost."""
    contracts: dict[Name, dict[Name, Amount]] = _spec("fees", "contracts")
    """Price lists of maintenance agreements: agreement id -> item code or part number -> price."""

    def build(self) -> FeeSchedule:
        with _where(("fees", "fees"), ("", "fees")):
            return FeeSchedule(
                items={
                    code: FeeItem(code, LineKind(i.kind), i.unit, i.unit_cost, i.unit_charge, i.zh, i.en)
                    for code, i in self.items.items()
                },
                part_prices=dict(self.part_prices),
                contracts={cid: dict(prices) for cid, prices in self.contracts.items()},
            )

    @classmethod
    def from_policy(cls, policy: object) -> FeesSection:
        if type(policy) is not FeeSchedule:
            raise _not_builtin(cls.slot, policy)
        for code, item in policy.items.items():
            if item.code != code or item.kind is LineKind.PART:
                raise PolicyConfigError(f"fees.items[{code!r}]", f"cannot be written to a file: {item!r}")
        return cls(
            items={
                code: FeeItemModel(
                    kind=i.kind.value,  # type: ignore[arg-type]  # checked above: labour or travel
                    unit=i.unit,
                    unit_cost=i.unit_cost,
                    unit_charge=i.unit_charge,
                    zh=i.zh,
                    en=i.en,
                )
                for code, i in policy.items.items()
            },
            part_prices=dict(policy.part_prices),
            contracts={cid: dict(prices) for cid, prices in policy.contracts.items()},
        )


# -- settlement (REP-11)


class SettlementSection(_Section):
    """Settlement (REP-11): collect on site below the threshold, else invoice (CollectOnSiteBelow)."""

    slot: ClassVar[str] = "settlement"
    threshold: PositiveAmount = _spec("settlement", "threshold")
    """Charges below this are collected on site; the rest are invoiced first."""

    def build(self) -> CollectOnSiteBelow:
        with _where(("settlement", "settlement"), ("", "settlement")):
            return CollectOnSiteBelow(self.threshold)

    @classmethod
    def from_policy(cls, policy: object) -> SettlementSection:
        if type(policy) is not CollectOnSiteBelow:
            raise _not_builtin(cls.slot, policy)
        return cls(threshold=policy.threshold)


#: The sections of a policy file, in the order of the PolicySet's slots.
SECTIONS: Mapping[str, type[_Section]] = {
    s.slot: s
    for s in (
        PermissionsSection,
        SlaSection,
        ReturnsSection,
        RoutingSection,
        EscalationSection,
        PromotionSection,
        WarrantySection,
        FeesSection,
        SettlementSection,
    )
}


# --------------------------------------------------------------------------- the file


class _Sections(_Model):
    permissions: PermissionsSection | None = None
    sla: SlaSection | None = None
    returns: ReturnsSection | None = None
    routing: RoutingSection | None = None
    escalation: EscalationSection | None = None
    promotion: PromotionSection | None = None
    warranty: WarrantySection | None = None
    fees: FeesSection | None = None
    settlement: SettlementSection | None = None


class VersionEntry(_Sections):
    """A version with its effective date; it inherits every section of the entry before and
    replaces the sections it names."""

    version: Name
    effective: Instant


class PolicyFile(_Sections):
    """A policy file: one version (`version`, optionally `effective`) or several (`versions`)."""

    model_config = ConfigDict(
        title="aftersales_core policy file",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Name | None = None
    """The policy set's name, recorded by every decision (required unless `versions` is given)."""
    effective: Instant | None = None
    """When this version takes effect (optional)."""
    versions: list[VersionEntry] | None = None
    """Several versions, in the order they take effect."""


_TOP_KEYS = ("version", "effective", "versions")


def _bare(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` metadata and ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _key_path(loc: Sequence[int | str]) -> tuple[str, type[BaseModel] | None, bool]:
    """The file's key path of a pydantic error location: fields ``.name``, list
    items ``[i]``, mapping keys ``['key']``; with the model holding the last key
    and whether the error is about a mapping key itself."""
    path = ""
    annotation: Any = PolicyFile
    parent: type[BaseModel] | None = None
    on_key = False
    for element in loc:
        if element == "[key]":
            on_key = True
            continue
        bare = _bare(annotation)
        origin = get_origin(bare)
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            parent = bare
            path = f"{path}.{element}" if path else str(element)
            field = bare.model_fields.get(str(element))
            annotation = field.annotation if field is not None else None
        elif origin in (list, tuple) and isinstance(element, int):
            path += f"[{element}]"
            annotation = get_args(bare)[0]
            parent = None
        elif origin is dict:
            path += f"[{element!r}]"
            annotation = get_args(bare)[1]
            parent = None
        elif isinstance(element, int):
            path += f"[{element}]"
            annotation, parent = None, None
        # anything else is a tag pydantic adds inside a field (a validator's name)
    return path, parent, on_key


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(error: Mapping[str, Any], parent: type[BaseModel] | None, on_key: bool) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(parent.model_fields) if parent is not None else ""
        return f"unknown key; expected one of: {allowed}" if allowed else "unknown key"
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        reason = f"unknown value {_shown(error.get('input'))}; expected {ctx.get('expected', '')}"
    elif kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
    else:
        reason = f"{error['msg']} (got {_shown(error.get('input'))})"
    return f"invalid key: {reason}" if on_key else reason


def _validation_error(exc: pydantic.ValidationError, origin: str, prefix: str = "") -> PolicyConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    path, parent, on_key = _key_path(first["loc"])
    reason = _reason(first, parent, on_key)
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more problem(s))"
    return PolicyConfigError(prefix + path, reason, source=origin)


def _apply(sections: _Sections, base: PolicySet, version: str, prefix: str, origin: str) -> PolicySet:
    """``base`` with the sections given in ``sections`` built and put in their slots."""
    slots: dict[str, Any] = {}
    for name in SECTIONS:
        section: _Section | None = getattr(sections, name)
        if section is None:
            continue
        try:
            slots[name] = section.build()
        except PolicyConfigError as exc:
            path = exc.path if exc.path.startswith(name) else f"{name}.{exc.path}".rstrip(".")
            raise PolicyConfigError(prefix + path, exc.reason, source=origin) from None
    return attrs.evolve(base, version=version, **slots)


def _from_data(data: Any, origin: str) -> PolicySet | PolicyVersions:
    if not isinstance(data, Mapping):
        raise PolicyConfigError(
            "", "a policy file holds one object (JSON) or table (TOML) at the top", source=origin
        )
    try:
        model = PolicyFile.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise _validation_error(exc, origin) from None
    if model.versions is None:
        if model.version is None:
            raise PolicyConfigError(
                "version",
                'required key missing: the name every decision records, e.g. "acme-2026.1"',
                source=origin,
            )
        policies = _apply(model, PolicySet(), model.version, "", origin)
        if model.effective is None:
            return policies
        return PolicyVersions([(model.effective, policies)])
    for key in ("version", "effective"):
        if getattr(model, key) is not None:
            raise PolicyConfigError(
                key, f"with versions, each entry has its own {key} (remove it from the top)", source=origin
            )
    if not model.versions:
        raise PolicyConfigError("versions", "at least one version is needed", source=origin)
    current = _apply(model, PolicySet(), PolicySet().version, "", origin)
    chosen: list[tuple[datetime, PolicySet]] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(model.versions):
        where = f"versions[{i}]"
        if entry.version in names:
            raise PolicyConfigError(
                f"{where}.version",
                f"{entry.version!r} is already the name of versions[{names[entry.version]}]",
                source=origin,
            )
        names[entry.version] = i
        if chosen and not entry.effective > chosen[-1][0]:
            raise PolicyConfigError(
                f"{where}.effective",
                f"must be later than versions[{i - 1}].effective ({chosen[-1][0].isoformat()}): "
                "list versions in the order they take effect",
                source=origin,
            )
        current = _apply(entry, current, entry.version, f"{where}.", origin)
        chosen.append((entry.effective, current))
    return PolicyVersions(chosen)


def _read(path: Path) -> Any:
    origin = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise PolicyConfigError(
            "", f"unknown policy file type {suffix or path.name!r}: use .json or .toml", source=origin
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyConfigError("", f"cannot read the file: {exc.strerror or exc}", source=origin) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyConfigError("", "the file is not UTF-8 text", source=origin) from None
    try:
        if suffix == ".toml":
            return tomllib.loads(text, parse_float=Decimal)
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(
            "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=origin
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyConfigError("", f"invalid TOML: {exc}", source=origin) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of thousands of digits
        raise PolicyConfigError("", f"cannot parse the file: {exc}", source=origin) from None


def load_policies(source: str | os.PathLike[str] | Mapping[str, Any]) -> PolicySet | PolicyVersions:
    """Load a policy file (``.json`` or ``.toml``) or an already parsed mapping.

    Returns a :class:`~aftersales_core.policies.PolicySet`, or a
    :class:`~aftersales_core.policies.PolicyVersions` when the file gives
    ``effective`` or ``versions``. Any problem raises
    :class:`~aftersales_core.errors.PolicyConfigError` naming the file
    (``source``), the key path (``path``) and the reason; nothing is half-loaded.
    """
    if isinstance(source, Mapping):
        return _from_data(source, "")
    path = Path(source)
    return _from_data(_read(path), str(path))


def _section_data(policies: PolicySet, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, section in SECTIONS.items():
        try:
            out[name] = section.dump(getattr(policies, name))
        except PolicyConfigError as exc:
            raise PolicyConfigError(prefix + exc.path, exc.reason) from None
    return out


def dump_policies(policies: PolicySet | PolicyVersions) -> dict[str, Any]:
    """``policies`` as policy-file data (JSON-compatible: amounts and dates as
    strings); :func:`load_policies` of it gives back equal policies. A slot
    holding a custom policy raises :class:`~aftersales_core.errors.PolicyConfigError`."""
    if isinstance(policies, PolicySet):
        return {"version": policies.version, **_section_data(policies)}
    if not isinstance(policies, PolicyVersions):
        raise PolicyConfigError("", f"expected a PolicySet or PolicyVersions, got {type(policies).__name__}")
    versions: list[dict[str, Any]] = []
    previous: PolicySet | None = None
    for i, (effective, ps) in enumerate(policies.versions):
        sections = _section_data(ps, f"versions[{i}].")
        if previous is not None:  # a later version names only the sections it changes
            sections = {k: v for k, v in sections.items() if getattr(ps, k) != getattr(previous, k)}
        versions.append({"version": ps.version, "effective": effective.isoformat(), **sections})
        previous = ps
    return {"versions": versions}


def write_policies(policies: PolicySet | PolicyVersions, path: str | os.PathLike[str]) -> Path:
    """Write ``policies`` as a JSON policy file (UTF-8, keys in the file's order)."""
    target = Path(path)
    if target.suffix.lower() != ".json":
        raise PolicyConfigError("", "policy files are written as JSON: use a .json name", source=str(target))
    text = json.dumps(dump_policies(policies), ensure_ascii=False, indent=2) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file (draft 2020-12), for ERP admin screens;
    each section's properties carry the SPEC defaults as ``default``."""
    schema = PolicyFile.model_json_schema()
    defaults = _spec_dump()
    for name, section in SECTIONS.items():
        definition = schema.get("$defs", {}).get(section.__name__)
        if definition is None:
            continue
        for key, prop in definition.get("properties", {}).items():
            if key in defaults[name]:
                prop["default"] = copy.deepcopy(defaults[name][key])
    schema["description"] = (
        "Configuration of every built-in policy of aftersales_core (DESIGN §4). A section left out "
        "is the SPEC default; a key left out of a section takes the SPEC default's value."
    )
    return schema

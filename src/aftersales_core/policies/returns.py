"""Return and exchange rules (RET-1, RET-3, RET-4): the published ladder and what an inspection permits.

The ``returns`` slot of the :class:`~aftersales_core.policies.PolicySet` answers two
questions, each a small composable policy:

* **eligibility** (RET-1) — what may the customer claim so many days after
  delivery? A :class:`ReturnLadder` of :class:`Rung` rows, each with its published
  text in Chinese and English. The default is the 三包 convention:
  within 7 days a quality problem may be refunded, exchanged or repaired; within
  15 days exchanged or repaired; after that repaired under warranty (whether the
  repair is free is the warranty policy's question, REP-2). Ladders are
  configured per product line and compose first-match::

      returns = ReturnRules(
          ladder=three_guarantees(line="functional_fabric", refund_days=3, exchange_days=10)
          | three_guarantees()
      )

* **inspection** (RET-3, RET-4) — what does the inspection finding permit, and to
  whom does it point? A :class:`FindingTable`: a verified quality defect gets
  remedies by severity (as far as the ladder allows them, compensation always
  possible) and is fed back to production; user damage gets no refund or
  exchange, only a paid repair; transport damage points at transport, packaging
  at the warehouse.

Days are **calendar days** (三包 periods count calendar days, not working days):
the delivery day is day 0 and "within 7 days" means days 0..7. A ladder is
checked when it is built to be monotone — what is allowed on day d+1 is allowed
on day d — so a customer never gains a remedy by waiting.

Policies return :class:`~aftersales_core.events.Decision` values whose ``result`` is a
plain dict (recorded on the case, shown to the customer): :meth:`Rung.decide` and
:meth:`FindingRule.decide` build them, so a custom policy function can reuse them::

    def vip_customers(request, /):
        return VIP_RUNG.decide(request) if request.product and request.product.contract else None
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Protocol

import attrs

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.model import Department, Product
from aftersales_core.policies.base import Composable, decide

__all__ = [
    "CUSTOMER",
    "EligibilityPolicy",
    "EligibilityRequest",
    "Finding",
    "FindingRule",
    "FindingTable",
    "InspectionPolicy",
    "InspectionRequest",
    "Problem",
    "Remedy",
    "ReturnLadder",
    "ReturnRules",
    "ReturnsPolicy",
    "Rung",
    "Severity",
    "default_findings",
    "default_returns",
    "three_guarantees",
]

#: Attribution target of returns the customer caused (user damage); not a department (RET-4).
CUSTOMER = "customer"


class Remedy(StrEnum):
    """What a return can end in (RET-2, RET-3)."""

    REFUND = "refund"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    COMPENSATION = "compensation"

    @property
    def zh(self) -> str:
        return _REMEDY_ZH[self.value]


_REMEDY_ZH = {"refund": "退货退款", "exchange": "换货", "repair": "维修", "compensation": "赔偿"}


class Problem(StrEnum):
    """What the customer claims is wrong (RET-1 ladders cover quality problems by default)."""

    QUALITY = "quality"
    OTHER = "other"

    @property
    def zh(self) -> str:
        return {"quality": "质量问题", "other": "其他原因"}[self.value]


class Finding(StrEnum):
    """The inspection's finding on returned goods (RET-2, RET-3, RET-4)."""

    QUALITY_DEFECT = "quality_defect"
    NO_DEFECT = "no_defect"
    USER_DAMAGE = "user_damage"
    TRANSPORT_DAMAGE = "transport_damage"
    PACKAGING = "packaging"

    @property
    def zh(self) -> str:
        return {
            "quality_defect": "质量缺陷",
            "no_defect": "无质量问题",
            "user_damage": "人为损坏",
            "transport_damage": "运输损坏",
            "packaging": "包装问题",
        }[self.value]


class Severity(StrEnum):
    """How severe a verified quality defect is (RET-3: remedy by severity)."""

    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def zh(self) -> str:
        return {"minor": "轻微", "moderate": "一般", "severe": "严重"}[self.value]


def _remedies(value: Iterable[Remedy | str]) -> tuple[Remedy, ...]:
    """Remedies deduplicated, in the canonical order of :class:`Remedy` (stable reprs)."""
    wanted = {Remedy(v) for v in value}
    return tuple(r for r in Remedy if r in wanted)


def _names(remedies: Iterable[StrEnum]) -> tuple[str, ...]:
    return tuple(r.value for r in remedies)


def _repr_names(values: Iterable[StrEnum]) -> str:
    """Enum members shown as the strings a configuration gives (reprs read like the call)."""
    return repr(_names(values))


def _published(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise PolicyConfigError(f"returns.{attribute.name}", "a published rule needs its text (RET-1)")


# --------------------------------------------------------------------------- eligibility (RET-1)


@attrs.frozen
class EligibilityRequest:
    """Which remedies may a return of ``line`` claim for ``problem``, ``days`` calendar
    days after delivery (else purchase)?"""

    line: str
    problem: Problem = attrs.field(converter=Problem)
    days: int = attrs.field(validator=attrs.validators.ge(0))
    product: Product | None = None


class EligibilityPolicy(Protocol):
    """Decides RET-1 eligibility; ``None`` means "no opinion, ask the next one".

    The decision's ``result`` is a dict: ``rung`` (name or None), ``remedies``
    (tuple of :class:`Remedy` values), ``zh`` and ``en`` (the published text).
    """

    def __call__(self, request: EligibilityRequest, /) -> Decision | None: ...


@attrs.frozen
class Rung:
    """One published rule of a ladder: up to ``days`` calendar days after delivery
    (inclusive; ``None``: no limit) these ``remedies`` may be claimed."""

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    days: int | None
    remedies: tuple[Remedy, ...] = attrs.field(converter=_remedies, repr=_repr_names)
    zh: str = attrs.field(validator=_published, repr=False)
    en: str = attrs.field(validator=_published, repr=False)
    rule: str = "RET-1"

    def covers(self, days: int) -> bool:
        return self.days is None or days <= self.days

    def decide(self, request: EligibilityRequest, /) -> Decision:
        """The decision that this rung applies to ``request`` (with its published text)."""
        allowed = ", ".join(_names(self.remedies)) or "nothing"
        return decide(
            "returns",
            self.rule,
            {"rung": self.name, "remedies": _names(self.remedies), "zh": self.zh, "en": self.en},
            f"day {request.days}: {self.name} allows {allowed} — {self.en}",
            source=self,
        )


def _rungs(value: Iterable[Rung]) -> tuple[Rung, ...]:
    return tuple(value)


def _problems(value: Iterable[Problem | str]) -> tuple[Problem, ...]:
    wanted = {Problem(v) for v in value}
    return tuple(p for p in Problem if p in wanted)


@attrs.frozen
class ReturnLadder(Composable[EligibilityRequest]):
    """Eligibility by days since delivery (RET-1): the first rung whose period covers
    the day decides. Answers only for its product ``line`` (``None``: every line)
    and its ``problems``; past the last bounded rung nothing is eligible.

    Checked when built: periods strictly increase and every rung allows no more
    than the one before (eligibility is monotone in time).
    """

    rungs: tuple[Rung, ...] = attrs.field(converter=_rungs)
    line: str | None = None
    problems: tuple[Problem, ...] = attrs.field(
        default=(Problem.QUALITY,), converter=_problems, repr=_repr_names
    )

    def __attrs_post_init__(self) -> None:
        if not self.rungs:
            raise PolicyConfigError("returns.ladder.rungs", "a ladder needs at least one rung")
        if not self.problems:
            raise PolicyConfigError("returns.ladder.problems", "a ladder must cover at least one problem")
        names = [r.name for r in self.rungs]
        if len(set(names)) != len(names):
            raise PolicyConfigError("returns.ladder.rungs", "rung names must be unique")
        for i, (before, after) in enumerate(zip(self.rungs, self.rungs[1:], strict=False), start=1):
            where = f"returns.ladder.rungs[{i}]"
            if before.days is None:
                raise PolicyConfigError(where, f"follows {before.name!r}, which has no limit")
            if after.days is not None and after.days <= before.days:
                raise PolicyConfigError(where, "periods must strictly increase")
            if not set(after.remedies) <= set(before.remedies):
                raise PolicyConfigError(
                    where, f"allows more than {before.name!r}: eligibility must not grow with time (RET-1)"
                )
        for i, rung in enumerate(self.rungs):
            if rung.days is not None and rung.days < 0:
                raise PolicyConfigError(f"returns.ladder.rungs[{i}].days", "must be 0 or more")

    def __call__(self, request: EligibilityRequest, /) -> Decision | None:
        if self.line is not None and request.line != self.line:
            return None
        if request.problem not in self.problems:
            return None
        for rung in self.rungs:
            if rung.covers(request.days):
                return rung.decide(request)
        last = self.rungs[-1].days
        return decide(
            "returns",
            "RET-1",
            {
                "rung": None,
                "remedies": (),
                "zh": f"自收货之日起超过{last}日，不适用本退换货规定。",
                "en": f"More than {last} days after delivery: not covered by these return rules.",
            },
            f"day {request.days} is past the last period ({last} days) of this ladder",
            source=self,
        )


def three_guarantees(
    *,
    line: str | None = None,
    refund_days: int = 7,
    exchange_days: int = 15,
    repair_days: int | None = None,
) -> ReturnLadder:
    """The 三包 ladder (RET-1): refund, exchange or repair within ``refund_days``;
    exchange or repair within ``exchange_days``; after that repair (until
    ``repair_days``, default no limit: the warranty policy decides whether the
    repair is free, REP-2). Days count from delivery, else purchase."""
    after = f"超过{exchange_days}日" + (f"、{repair_days}日以内" if repair_days is not None else "")
    after_en = f"More than {exchange_days} days" + (
        f" and at most {repair_days} days" if repair_days is not None else ""
    )
    return ReturnLadder(
        (
            Rung(
                f"{refund_days}d-refund",
                refund_days,
                (Remedy.REFUND, Remedy.EXCHANGE, Remedy.REPAIR),
                zh=(
                    f"自收货之日（无收货日期的，自购买之日）起{refund_days}日内，"
                    "产品出现质量问题的，可选择退货、换货或修理。"
                ),
                en=(
                    f"Within {refund_days} days of delivery (or of purchase where no delivery date is "
                    "known), a product with a quality problem may be returned for a refund, exchanged "
                    "or repaired."
                ),
            ),
            Rung(
                f"{exchange_days}d-exchange",
                exchange_days,
                (Remedy.EXCHANGE, Remedy.REPAIR),
                zh=f"自收货之日起{exchange_days}日内，产品出现质量问题的，可选择换货或修理。",
                en=(
                    f"Within {exchange_days} days of delivery, a product with a quality problem "
                    "may be exchanged or repaired."
                ),
            ),
            Rung(
                "warranty-repair",
                repair_days,
                (Remedy.REPAIR,),
                zh=f"自收货之日起{after}，产品出现质量问题的，在保修期内予以修理（是否收费按保修规定）。",
                en=(
                    f"{after_en} after delivery, a product with a quality problem is repaired under "
                    "warranty (the warranty rules decide whether the repair is free)."
                ),
            ),
        ),
        line=line,
    )


# --------------------------------------------------------------------------- inspection (RET-3, RET-4)


@attrs.frozen
class InspectionRequest:
    """What does ``finding`` (with ``severity`` for a quality defect) permit for goods
    whose RET-1 eligibility was ``eligible``?"""

    finding: Finding = attrs.field(converter=Finding)
    severity: Severity | None
    eligible: tuple[Remedy, ...] = attrs.field(converter=_remedies, repr=_repr_names)
    line: str = ""


class InspectionPolicy(Protocol):
    """Decides what an inspection finding permits (RET-3) and whom it points at (RET-4).

    The decision's ``result`` is a dict: ``remedies`` (permitted now), ``offered``
    (what the finding allows before the ladder), ``department`` (suggested
    attribution or None), ``paid`` (the repair offered is at the customer's cost),
    ``production_feedback`` (bool), ``zh`` and ``en`` (the published text).
    """

    def __call__(self, request: InspectionRequest, /) -> Decision | None: ...


@attrs.frozen
class FindingRule:
    """What a finding permits: ``remedies`` as far as the RET-1 ladder allows them,
    ``always`` regardless of it (compensation, a paid repair); the department the
    cause points at (RET-4) and whether it is fed back to production (G-9)."""

    remedies: tuple[Remedy, ...] = attrs.field(converter=_remedies, repr=_repr_names)
    zh: str = attrs.field(validator=_published, repr=False)
    en: str = attrs.field(validator=_published, repr=False)
    always: tuple[Remedy, ...] = attrs.field(default=(), converter=_remedies, repr=_repr_names)
    department: str | None = None
    paid: bool = False
    production_feedback: bool = False
    rule: str = "RET-3"

    def decide(self, request: InspectionRequest, /) -> Decision:
        granted = _remedies([*(r for r in self.remedies if r in request.eligible), *self.always])
        offered = _remedies([*self.remedies, *self.always])
        what = request.finding.value + (f"/{request.severity.value}" if request.severity else "")
        return decide(
            "returns",
            self.rule,
            {
                "remedies": _names(granted),
                "offered": _names(offered),
                "department": self.department,
                "paid": self.paid,
                "production_feedback": self.production_feedback,
                "zh": self.zh,
                "en": self.en,
            },
            f"{what}: permits {', '.join(_names(granted)) or 'nothing'} — {self.en}",
            source=self,
        )


def _by_finding(value: Mapping[Finding | str, FindingRule]) -> dict[str, FindingRule]:
    return {Finding(k).value: v for k, v in value.items()}


def _by_severity(value: Mapping[Severity | str, FindingRule]) -> dict[str, FindingRule]:
    return {Severity(k).value: v for k, v in value.items()}


@attrs.frozen
class FindingTable(Composable[InspectionRequest]):
    """Remedies by finding; a quality defect by its severity (RET-3). Answers only
    for its product ``line`` (``None``: every line)."""

    findings: Mapping[str, FindingRule] = attrs.field(converter=_by_finding)
    severity: Mapping[str, FindingRule] = attrs.field(converter=_by_severity)
    line: str | None = None

    def __attrs_post_init__(self) -> None:
        if Finding.QUALITY_DEFECT.value in self.findings:
            raise PolicyConfigError(
                "returns.findings.quality_defect", "a quality defect is decided by the severity table"
            )
        missing = [s.value for s in Severity if s.value not in self.severity]
        if missing:
            raise PolicyConfigError("returns.findings.severity", f"no rule for {', '.join(missing)}")

    def __call__(self, request: InspectionRequest, /) -> Decision | None:
        if self.line is not None and request.line != self.line:
            return None
        if request.finding is Finding.QUALITY_DEFECT:
            if request.severity is None:
                return None
            return self.severity[request.severity.value].decide(request)
        rule = self.findings.get(request.finding.value)
        return rule.decide(request) if rule is not None else None


def default_findings() -> FindingTable:
    """RET-3 / RET-4 defaults: remedies by finding and, for a quality defect, by severity."""
    ladder = (Remedy.REFUND, Remedy.EXCHANGE, Remedy.REPAIR)
    comp = (Remedy.COMPENSATION,)
    return FindingTable(
        findings={
            Finding.NO_DEFECT: FindingRule(
                (),
                zh="经检验无质量问题的，不予退货、换货，商品退回客户。",
                en="Where inspection finds no defect, there is no refund or exchange; "
                "the goods are sent back to the customer.",
            ),
            Finding.USER_DAMAGE: FindingRule(
                (),
                always=(Remedy.REPAIR,),
                paid=True,
                department=CUSTOMER,
                zh="人为损坏不属于三包范围，不予退货、换货，可提供有偿维修。",
                en="Damage caused by the user is not covered: no refund or exchange; "
                "a paid repair is offered.",
            ),
            Finding.TRANSPORT_DAMAGE: FindingRule(
                ladder,
                always=comp,
                department=Department.TRANSPORT.value,
                zh="运输途中造成的损坏由公司负责，按退换货规定退货、换货或修理，可给予赔偿；责任归运输部门。",
                en="Damage in transit is the company's: refund, exchange or repair as the return "
                "rules allow, compensation possible; attributed to transport.",
            ),
            Finding.PACKAGING: FindingRule(
                ladder,
                always=comp,
                department=Department.WAREHOUSE.value,
                zh="包装破损、不当造成的问题由公司负责，按退换货规定退货、换货或修理，可给予赔偿；责任归仓库。",
                en="Damage from poor or broken packaging is the company's: refund, exchange or repair "
                "as the return rules allow, compensation possible; attributed to the warehouse.",
            ),
        },
        severity={
            Severity.SEVERE: FindingRule(
                ladder,
                always=comp,
                department=Department.PRODUCTION.value,
                production_feedback=True,
                zh="严重质量问题：按退换货规定退货、换货或修理，可给予赔偿；反馈生产部门。",
                en="Severe quality defect: refund, exchange or repair as the return rules allow, "
                "compensation possible; fed back to production.",
            ),
            Severity.MODERATE: FindingRule(
                (Remedy.EXCHANGE, Remedy.REPAIR),
                always=comp,
                department=Department.PRODUCTION.value,
                production_feedback=True,
                zh="一般质量问题：按退换货规定换货或修理，可给予赔偿；反馈生产部门。",
                en="Moderate quality defect: exchange or repair as the return rules allow, "
                "compensation possible; fed back to production.",
            ),
            Severity.MINOR: FindingRule(
                (Remedy.REPAIR,),
                always=comp,
                department=Department.PRODUCTION.value,
                production_feedback=True,
                zh="轻微质量问题：修理或给予赔偿；反馈生产部门。",
                en="Minor quality defect: repair or compensation; fed back to production.",
            ),
        },
    )


# --------------------------------------------------------------------------- the slot


class ReturnsPolicy(Protocol):
    """The ``returns`` slot: RET-1 eligibility and what an inspection permits (RET-3, RET-4).
    Both always decide (an unanswered question is a configuration error)."""

    def eligibility(self, request: EligibilityRequest, /) -> Decision: ...

    def inspection(self, request: InspectionRequest, /) -> Decision: ...


@attrs.frozen
class ReturnRules:
    """The built-in returns policy: a ladder (or a first-match chain of ladders per
    product line) and a finding table. A request no ladder covers (by default: a
    problem other than quality) is eligible for nothing, citing ``uncovered``."""

    ladder: EligibilityPolicy = attrs.field(factory=three_guarantees)
    findings: InspectionPolicy = attrs.field(factory=default_findings)
    uncovered_zh: str = attrs.field(
        default="非质量问题不适用三包退换货规定，由双方协商处理。", validator=_published, repr=False
    )
    uncovered_en: str = attrs.field(
        default="Requests other than quality problems are not covered by the return rules; "
        "they are settled by agreement.",
        validator=_published,
        repr=False,
    )

    def eligibility(self, request: EligibilityRequest, /) -> Decision:
        decision = self.ladder(request)
        if decision is not None:
            return decision
        return decide(
            "returns",
            "RET-1",
            {"rung": None, "remedies": (), "zh": self.uncovered_zh, "en": self.uncovered_en},
            f"no published rule covers a {request.problem.value} problem on {request.line!r}"
            f" — {self.uncovered_en}",
            source="ReturnRules.uncovered",
        )

    def inspection(self, request: InspectionRequest, /) -> Decision:
        decision = self.findings(request)
        if decision is None:
            raise PolicyConfigError(
                f"returns.findings.{request.finding.value}",
                "no rule decides what this finding permits"
                + (" (a quality defect needs its severity)" if request.severity is None else ""),
            )
        return decision


def default_returns() -> ReturnRules:
    """SPEC defaults: the 三包 ladder for every product line and the default finding table."""
    return ReturnRules()

"""Promotion of a complaint to a special case (专案, CPL-4) or an individual case (个案, CPL-5).

A promotion policy answers *should this complaint become something more?* for a
:class:`PromotionRequest` (its risk flags, how often the customer rejected a
proposed resolution, what it already is). The decision's ``result`` is the
:class:`Promotion` to add; ``None`` means nothing (more) to add. The default is
``SpecialOnRisk() | IndividualAfter(2)``:

* :class:`SpecialOnRisk` — a problem that causes or may cause a crisis, media
  exposure, litigation or harm to the company's credibility is a special case,
  handled with top priority (CPL-4);
* :class:`IndividualAfter` — a customer still dissatisfied after ``rejections``
  rejected resolutions (default **2**) makes an individual case (CPL-5).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

import attrs

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.policies.base import Composable, FirstMatch, decide

__all__ = [
    "IndividualAfter",
    "Promotion",
    "PromotionPolicy",
    "PromotionRequest",
    "RiskFlag",
    "SpecialOnRisk",
    "default_promotion",
]


class RiskFlag(StrEnum):
    """Risks that make a special case (CPL-4)."""

    CRISIS = "crisis"
    MEDIA = "media"
    LITIGATION = "litigation"
    CREDIBILITY = "credibility"

    @property
    def zh(self) -> str:
        return {"crisis": "危机", "media": "媒体曝光", "litigation": "诉讼", "credibility": "信誉受损"}[
            self.value
        ]


class Promotion(StrEnum):
    """What a complaint may be promoted to; the value is also the case flag."""

    SPECIAL = "special"
    INDIVIDUAL = "individual"

    @property
    def zh(self) -> str:
        return {"special": "专案", "individual": "个案"}[self.value]


_SPECIAL, _INDIVIDUAL = Promotion.SPECIAL, Promotion.INDIVIDUAL  # globals: faster than class lookups
_NO_FLAGS: frozenset[RiskFlag] = frozenset()
_NO_PROMOTIONS: frozenset[Promotion] = frozenset()


def _flags(value: Iterable[str]) -> frozenset[RiskFlag]:
    if not value:
        return _NO_FLAGS
    return frozenset(v if type(v) is RiskFlag else RiskFlag(v) for v in value)


def _promotions(value: Iterable[str]) -> frozenset[Promotion]:
    if not value:
        return _NO_PROMOTIONS
    return frozenset(v if type(v) is Promotion else Promotion(v) for v in value)


@attrs.frozen
class PromotionRequest:
    """The complaint's risk flags, its rejected resolutions so far, and the
    promotions it already has."""

    risk_flags: frozenset[RiskFlag] = attrs.field(default=frozenset(), converter=_flags)
    rejections: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    promoted: frozenset[Promotion] = attrs.field(default=frozenset(), converter=_promotions)


class PromotionPolicy(Protocol):
    """Names the next :class:`Promotion` for a complaint (``result``), or ``None``."""

    def __call__(self, request: PromotionRequest, /) -> Decision | None: ...


def _on(value: Iterable[str]) -> frozenset[RiskFlag]:
    try:
        return _flags(value)
    except ValueError as exc:
        raise PolicyConfigError("promotion.special_on", str(exc)) from None


@attrs.frozen
class SpecialOnRisk(Composable[PromotionRequest]):
    """A complaint carrying any of the risk flags in ``on`` is a special case (CPL-4)."""

    on: frozenset[RiskFlag] = attrs.field(default=frozenset(RiskFlag), converter=_on)

    def __call__(self, request: PromotionRequest, /) -> Decision | None:
        if _SPECIAL in request.promoted:
            return None
        hits = sorted(request.risk_flags & self.on)
        if not hits:
            return None
        risks = ", ".join(f"{f.value} ({f.zh})" for f in hits)
        return decide(
            "promotion",
            "CPL-4",
            Promotion.SPECIAL.value,
            f"risk of {risks}: special case (专案), handled with top priority",
            source=self,
        )

    def __repr__(self) -> str:
        if self.on == frozenset(RiskFlag):
            return "SpecialOnRisk()"
        return f"SpecialOnRisk(on={sorted(f.value for f in self.on)!r})"


def _count(instance: object, attribute: object, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise PolicyConfigError("promotion.individual_after", f"a number of rejections >= 1, got {value!r}")


@attrs.frozen
class IndividualAfter(Composable[PromotionRequest]):
    """A customer who rejected ``rejections`` proposed resolutions makes an
    individual case (CPL-5)."""

    rejections: int = attrs.field(default=2, validator=_count)

    def __call__(self, request: PromotionRequest, /) -> Decision | None:
        if _INDIVIDUAL in request.promoted or request.rejections < self.rejections:
            return None
        return decide(
            "promotion",
            "CPL-5",
            Promotion.INDIVIDUAL.value,
            f"the customer rejected {request.rejections} proposed resolution(s) "
            f"(threshold {self.rejections}): individual case (个案)",
            source=self,
        )

    def __repr__(self) -> str:
        return f"IndividualAfter({self.rejections})"


def default_promotion() -> FirstMatch[PromotionRequest]:
    """``SpecialOnRisk() | IndividualAfter(2)``: the SPEC's CPL-4 and CPL-5."""
    return SpecialOnRisk() | IndividualAfter()

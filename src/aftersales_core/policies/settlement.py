"""Settlement (结算), REP-11: collect on the spot or invoice first.

Small amounts are collected on the spot (then handed to finance, the invoice sent
later); larger ones are invoiced first and collected after. The threshold is a
policy parameter; the library's default is ¥2,000 (the SPEC names no number).

>>> from aftersales_core.money import Money
>>> policy = CollectOnSiteBelow(Money("2000"))
>>> policy(SettlementRequest(Money("350"))).result.value
'collect_on_site'
>>> policy(SettlementRequest(Money("2000"))).result.value
'invoice'
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import attrs

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.money import Money
from aftersales_core.policies.base import Composable, decide

if TYPE_CHECKING:
    from aftersales_core.model import Case

__all__ = [
    "DEFAULT_ON_SITE_THRESHOLD",
    "CollectOnSiteBelow",
    "SettlementMethod",
    "SettlementPolicy",
    "SettlementRequest",
    "default_settlement",
]

#: Amounts below this are collected on the spot by default (REP-11).
DEFAULT_ON_SITE_THRESHOLD = Money(2000)


class SettlementMethod(StrEnum):
    """How a repair's charge is settled (REP-11)."""

    COLLECT_ON_SITE = "collect_on_site"
    INVOICE = "invoice"
    NOTHING_DUE = "nothing_due"

    @property
    def zh(self) -> str:
        return {"collect_on_site": "现场收款", "invoice": "先开票后收款", "nothing_due": "无需收费"}[
            self.value
        ]


@attrs.frozen
class SettlementRequest:
    """How should ``amount`` (the customer's total charge) be settled?"""

    amount: Money
    case: Case | None = None


class SettlementPolicy(Protocol):
    """Decides a :class:`SettlementMethod`; ``None`` means no opinion."""

    def __call__(self, request: SettlementRequest, /) -> Decision | None: ...


def _threshold(value: object) -> Money:
    money = value if isinstance(value, Money) else Money(value)  # type: ignore[arg-type]
    if money.amount <= 0:
        raise PolicyConfigError("settlement.threshold", f"must be positive, got {money.amount}")
    return money


@attrs.frozen
class CollectOnSiteBelow(Composable[SettlementRequest]):
    """Collect on the spot when the charge is below ``threshold``, else invoice
    (REP-11); nothing due for a zero charge."""

    threshold: Money = attrs.field(default=DEFAULT_ON_SITE_THRESHOLD, converter=_threshold)

    def __call__(self, request: SettlementRequest, /) -> Decision:
        amount = request.amount
        if not amount:
            method, why = SettlementMethod.NOTHING_DUE, "nothing to charge"
        elif amount < self.threshold:
            method, why = (
                SettlementMethod.COLLECT_ON_SITE,
                f"{amount} is below {self.threshold}: collect on the spot",
            )
        else:
            method, why = SettlementMethod.INVOICE, f"{amount} is {self.threshold} or more: invoice first"
        return decide("settlement", "REP-11", method, why, source=self)


def default_settlement() -> CollectOnSiteBelow:
    """Collect on site below ¥2,000 (library default; REP-11 leaves the number to policy)."""
    return CollectOnSiteBelow()

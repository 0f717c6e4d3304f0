"""Fees (收费), REP-3, REP-7, FIN-1, FIN-2: what each line of a repair costs the
company and what it charges the customer.

A repair is billed **per line** — a part drawn for a component, hours of labour,
a trip — and each component on its own, with its own warranty (REP-3). For each
line the fee policy decides one of three service types:

* ``free`` (无偿) — the component is within warranty and not damaged by the user
  (REP-7 for parts, REP-3 for labour and travel): nothing is charged;
* ``contract_price`` (协议价) — under a maintenance agreement (协议服务) whose price
  list names the item (REP-3);
* ``cost_fee`` (有偿, 成本费) — user damage (人为损坏) or an expired warranty: the
  published fee schedule's rate (收费标准表) for labour and travel, the part's cost
  (or its published price) for parts (REP-7). A charge must be quoted to the
  customer and accepted before the work (REP-7; the repair workflow enforces it).

The **cost** to the company (``unit_cost × qty``) and the **charge** to the
customer (``unit_charge × qty``) are kept apart (FIN-2), each rounded half-up to the
fen per line, so a total is the exact sum of its lines (FIN-1). Amounts are
:class:`~aftersales_core.money.Money`; the pydantic models below write them to JSON
as strings (``"120.00"``), never as floats.

>>> from decimal import Decimal
>>> line = FeeLine(kind="labour", item="labour", component="motor", qty=Decimal("1.5"))
>>> priced, decision = price_line(default_fees(), FeeRequest(line, in_warranty=False))
>>> priced.basis.value, priced.cost, priced.charge
('cost_fee', Money('120.00'), Money('180.00'))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Protocol

import attrs
import pydantic
from pydantic import Field

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.intake import Input, Text
from aftersales_core.money import Money
from aftersales_core.policies.base import Composable, decide

__all__ = [
    "DEFAULT_FEE_ITEMS",
    "FeeBasis",
    "FeeItem",
    "FeeLine",
    "FeePolicy",
    "FeeRequest",
    "FeeSchedule",
    "LineKind",
    "MoneyField",
    "PricedLine",
    "Quantity",
    "default_fees",
    "price_line",
]


# --------------------------------------------------------------------------- pydantic types


def _money(value: Any) -> Money:
    if isinstance(value, Money):
        money = value
    else:
        try:
            money = Money(value)
        except TypeError as exc:  # floats are refused (FIN-1)
            raise ValueError(str(exc)) from None
    if money.amount < 0:
        raise ValueError(f"an amount cannot be negative, got {money.amount}")
    return money


def _money_text(value: Money) -> str:
    return str(value.amount)


#: A non-negative :class:`Money` field: Money/Decimal/int/str in (floats refused),
#: Money in Python, ``"12.30"`` in JSON.
MoneyField = Annotated[
    Money,
    pydantic.PlainValidator(_money),
    pydantic.PlainSerializer(_money_text, return_type=str, when_used="json"),
    pydantic.WithJsonSchema(
        {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "description": "CNY, exact to the fen"}
    ),
]


def _quantity(value: Any) -> Any:
    if isinstance(value, bool | float):
        raise ValueError(f"a quantity must be Decimal, int or str, not {type(value).__name__}")
    return value


#: A positive quantity (pieces, hours, trips): Decimal/int/str, floats refused.
Quantity = Annotated[Decimal, pydantic.BeforeValidator(_quantity), Field(gt=0, le=10_000, decimal_places=3)]


class LineKind(StrEnum):
    """What a fee line is for (FIN-2: parts, labour, travel)."""

    PART = "part"
    LABOUR = "labour"
    TRAVEL = "travel"

    @property
    def zh(self) -> str:
        return {"part": "配件", "labour": "人工", "travel": "差旅"}[self.value]


class FeeBasis(StrEnum):
    """The service type of a line (REP-3)."""

    FREE = "free"
    COST_FEE = "cost_fee"
    CONTRACT_PRICE = "contract_price"

    @property
    def zh(self) -> str:
        return {"free": "无偿(保修期内)", "cost_fee": "有偿(成本费)", "contract_price": "协议价"}[self.value]


class FeeLine(Input):
    """One line of work to price: a part (``item`` is the part number; ``unit_cost``
    required), or labour/travel (``item`` is a fee-schedule code such as
    ``"labour"``). ``component`` names the component it serves (``""``: the product
    as a whole); ``user_damage`` marks 人为损坏."""

    kind: LineKind = LineKind.PART
    item: Text
    component: str = ""
    qty: Quantity = Decimal(1)
    unit_cost: MoneyField | None = None
    user_damage: bool = False

    @pydantic.model_validator(mode="after")
    def _part_cost(self) -> FeeLine:
        if self.kind is LineKind.PART and self.unit_cost is None:
            raise ValueError("a part line needs its unit_cost")
        return self


class PricedLine(FeeLine):
    """A line with its fee decision: cost to the company and charge to the customer
    kept apart (FIN-2), each ``unit × qty`` rounded half-up to the fen (FIN-1)."""

    unit_cost: MoneyField
    unit_charge: MoneyField
    cost: MoneyField
    charge: MoneyField
    basis: FeeBasis
    rule: str
    reason: str

    @property
    def chargeable(self) -> bool:
        """True when the customer pays something for it (REP-7: quote first)."""
        return bool(self.charge)


# --------------------------------------------------------------------------- the policy


@attrs.frozen
class FeeRequest:
    """Price ``line`` for a component whose warranty is ``in_warranty`` (ending
    ``until``), for a customer under maintenance agreement ``contract`` (if any)."""

    line: FeeLine
    in_warranty: bool
    until: date | None = None
    contract: str = ""


class FeePolicy(Protocol):
    """Prices one line. The decision's ``result`` maps ``basis`` (:class:`FeeBasis`),
    ``unit_cost`` and ``unit_charge`` (:class:`Money`); ``None`` means no opinion
    (e.g. an item the schedule does not list)."""

    def __call__(self, request: FeeRequest, /) -> Decision | None: ...


def _money_cfg(value: Any, path: str) -> Money:
    try:
        return _money(value)
    except ValueError as exc:
        raise PolicyConfigError(path, str(exc)) from None


@attrs.frozen
class FeeItem:
    """A row of the fee schedule (收费标准表): per ``unit``, what it costs the
    company and what the customer is charged."""

    code: str
    kind: LineKind = attrs.field(converter=LineKind)
    unit: str
    unit_cost: Money = attrs.field(converter=Money)
    unit_charge: Money = attrs.field(converter=Money)
    zh: str = ""
    en: str = ""


def _items(value: Mapping[str, Any]) -> dict[str, FeeItem]:
    out: dict[str, FeeItem] = {}
    for code, row in value.items():
        where = f"fees.items[{code!r}]"
        if isinstance(row, FeeItem):
            out[code] = row
            continue
        if not isinstance(row, Mapping):
            raise PolicyConfigError(where, "expected a fee item or a mapping")
        try:
            kind = LineKind(row["kind"])
        except KeyError:
            raise PolicyConfigError(f"{where}.kind", "missing") from None
        except ValueError:
            raise PolicyConfigError(f"{where}.kind", "expected labour or travel") from None
        out[code] = FeeItem(
            code,
            kind,
            str(row.get("unit", "")),
            _money_cfg(row.get("unit_cost", 0), f"{where}.unit_cost"),
            _money_cfg(row.get("unit_charge", 0), f"{where}.unit_charge"),
            str(row.get("zh", "")),
            str(row.get("en", "")),
        )
    for code, item in out.items():
        if item.kind is LineKind.PART:
            raise PolicyConfigError(
                f"fees.items[{code!r}].kind", "parts are priced by part_prices, not items"
            )
    return out


def _prices(value: Mapping[str, Any], path: str) -> dict[str, Money]:
    return {k: _money_cfg(v, f"{path}[{k!r}]") for k, v in value.items()}


def _part_prices(value: Mapping[str, Any]) -> dict[str, Money]:
    return _prices(value, "fees.part_prices")


def _contract_prices(value: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Money]]:
    return {cid: _prices(prices, f"fees.contracts[{cid!r}]") for cid, prices in value.items()}


DEFAULT_FEE_ITEMS: Mapping[str, FeeItem] = {
    i.code: i
    for i in (
        FeeItem("labour", LineKind.LABOUR, "hour", Money(80), Money(120), "维修人工费", "repair labour"),
        FeeItem(
            "remote_support", LineKind.LABOUR, "hour", Money(60), Money(80), "远程技术支持", "remote support"
        ),
        FeeItem(
            "travel_same_city", LineKind.TRAVEL, "trip", Money(60), Money(80), "同城上门费", "same-city trip"
        ),
        FeeItem(
            "travel_other_city",
            LineKind.TRAVEL,
            "trip",
            Money(300),
            Money(400),
            "异地差旅费",
            "trip to another city",
        ),
    )
}


@attrs.frozen
class FeeSchedule(Composable[FeeRequest]):
    """The built-in fee policy: the published fee schedule (收费标准表), configured
    by data::

        FeeSchedule(
            items={"labour": {"kind": "labour", "unit": "hour", "unit_cost": "80", "unit_charge": "120"}},
            part_prices={"MTR-24": "980.00"},          # published part prices (else: at cost)
            contracts={"MA-2025-017": {"labour": "60", "MTR-24": "800"}},  # contract price lists
        )

    ``items`` price labour and travel by code; parts are charged at their published
    price, else at cost (成本费). Contract price lists map an item code or part
    number to the unit price the agreement fixes. The default items' amounts are
    placeholders: publish your own schedule.
    """

    items: Mapping[str, FeeItem] = attrs.field(factory=lambda: dict(DEFAULT_FEE_ITEMS), converter=_items)
    part_prices: Mapping[str, Money] = attrs.field(factory=dict, converter=_part_prices)
    contracts: Mapping[str, Mapping[str, Money]] = attrs.field(factory=dict, converter=_contract_prices)

    def __call__(self, request: FeeRequest, /) -> Decision | None:
        line = request.line
        item: FeeItem | None = None
        if line.kind is LineKind.PART:
            unit_cost = line.unit_cost
            if unit_cost is None:
                return None
            standard = self.part_prices.get(line.item, unit_cost)
            standard_src: object = (
                f"FeeSchedule.part_prices[{line.item!r}]={standard.amount}"
                if line.item in self.part_prices
                else "FeeSchedule: parts at cost (成本费)"
            )
        else:
            item = self.items.get(line.item)
            if item is None or item.kind is not line.kind:
                return None
            unit_cost = line.unit_cost if line.unit_cost is not None else item.unit_cost
            standard, standard_src = item.unit_charge, item

        what = f"{line.kind.value} {line.item}" + (f" for {line.component}" if line.component else "")
        if request.in_warranty and not line.user_damage:
            until = f" until {request.until.isoformat()}" if request.until else ""
            return self._decide(
                FeeBasis.FREE,
                "REP-7" if line.kind is LineKind.PART else "REP-3",
                unit_cost,
                Money(0),
                f"{what}: free, within warranty{until} and no user damage",
                "FeeSchedule: free within warranty",
            )
        cause = "user damage (人为损坏)" if line.user_damage else "warranty expired"
        prices = self.contracts.get(request.contract) if request.contract else None
        if prices is not None and line.item in prices:
            price = prices[line.item]
            return self._decide(
                FeeBasis.CONTRACT_PRICE,
                "REP-3",
                unit_cost,
                price,
                f"{what}: {cause}; contract price {price.amount} under agreement {request.contract}",
                f"FeeSchedule.contracts[{request.contract!r}][{line.item!r}]={price.amount}",
            )
        note = ""
        if request.contract:
            note = (
                f"; agreement {request.contract} has no price for {line.item}"
                if prices is not None
                else f"; agreement {request.contract} has no price list"
            )
        return self._decide(
            FeeBasis.COST_FEE,
            "REP-7",
            unit_cost,
            standard,
            f"{what}: {cause}; cost fee {standard.amount} per {item.unit if item else 'piece'}{note}",
            standard_src,
        )

    @staticmethod
    def _decide(
        basis: FeeBasis, rule: str, unit_cost: Money, unit_charge: Money, reason: str, source: object
    ) -> Decision:
        return decide(
            "fees",
            rule,
            {"basis": basis, "unit_cost": unit_cost, "unit_charge": unit_charge},
            reason,
            source=source,
        )


def default_fees() -> FeeSchedule:
    """The built-in schedule: labour, remote support and travel rates (placeholders
    to replace with the published 收费标准表), parts at cost, no contracts."""
    return FeeSchedule()


def price_line(policy: FeePolicy, request: FeeRequest) -> tuple[PricedLine, Decision] | None:
    """Ask ``policy`` to price ``request.line``; the priced line and the decision, or
    ``None`` when the policy has no price for it. Cost and charge are each
    ``unit × qty``, rounded half-up to the fen (FIN-1)."""
    decision = policy(request)
    if decision is None:
        return None
    result = decision.result
    unit_cost = _money(result["unit_cost"])
    unit_charge = _money(result["unit_charge"])
    qty = request.line.qty
    priced = PricedLine(
        **request.line.model_dump(exclude={"unit_cost"}),
        unit_cost=unit_cost,
        unit_charge=unit_charge,
        cost=Money(unit_cost.amount * qty),
        charge=Money(unit_charge.amount * qty),
        basis=FeeBasis(result["basis"]),
        rule=decision.rule,
        reason=decision.reason,
    )
    return priced, decision

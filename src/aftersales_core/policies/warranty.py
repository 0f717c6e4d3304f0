"""Warranty (保修期), REP-2: per component, until when and on what basis.

The warranty is decided **at intake**, once, for the whole product and for each of
its components, and the decisions are recorded on the case (a later change of the
policy does not move what an open case was told). Each decision's ``result`` is a
mapping::

    {"component": "motor", "in_warranty": True, "until": date(2027, 11, 30),
     "basis": WarrantyBasis.COMPONENT, "months": 24, "start": date(2025, 12, 1)}

``until`` is the **last day covered** (inclusive). The basis is the first that
applies, in this order (REP-2, REP-3):

1. ``contract`` — the product is under a maintenance agreement (协议服务) that the
   table knows: its term (months from the start, or a fixed end date) applies;
2. ``promotion`` — the product was sold during a promotion that extends warranty
   (the sale date is the purchase date, else the delivery date): the period of
   3. or 4. plus the promotion's extra months;
3. ``component`` — the component has its own period: from the product data (sales
   contract or manual, ``Component.warranty_months``), else from the table's
   ``components``;
4. ``product_line`` — the line's default: smart textile equipment 12 months,
   functional fabric 6 months (SPEC); software 12 months (the SPEC names no number
   for software: configure yours).

The period runs from the purchase date (``start="purchase"``, the default) or the
delivery date (``start="delivery"``), falling back to the other when one is
missing. A product under a contract the table does not know gets the standard
terms, and the decision's reason says so.

>>> from datetime import date
>>> from aftersales_core.model import Component, Product
>>> table = WarrantyTable(components={"motor": 24})
>>> loom = Product("JX-9", "smart_equipment", purchase_date=date(2024, 12, 1),
...                components=(Component("motor"), Component("sensor")))
>>> decisions = decide_warranty(table, loom, on=date(2026, 3, 2))
>>> [(name, d.result["in_warranty"], d.result["basis"].value) for name, d in decisions.items()]
[('product', False, 'product_line'), ('motor', True, 'component'), ('sensor', False, 'product_line')]
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

import attrs

from aftersales_core.errors import PolicyConfigError
from aftersales_core.events import Decision
from aftersales_core.model import Component, Product, ProductLine
from aftersales_core.policies.base import Composable, decide

__all__ = [
    "WHOLE_PRODUCT",
    "MaintenanceAgreement",
    "WarrantyBasis",
    "WarrantyPolicy",
    "WarrantyPromotion",
    "WarrantyRequest",
    "WarrantyTable",
    "add_months",
    "decide_warranty",
    "default_warranty",
]

#: The key of the whole product's decision among the per-component ones.
WHOLE_PRODUCT = "product"


class WarrantyBasis(StrEnum):
    """What a warranty decision rests on, strongest first (REP-2)."""

    CONTRACT = "contract"
    PROMOTION = "promotion"
    COMPONENT = "component"
    PRODUCT_LINE = "product_line"

    @property
    def zh(self) -> str:
        return {
            "contract": "维保协议",
            "promotion": "促销延保",
            "component": "部件保修期",
            "product_line": "产品线保修期",
        }[self.value]


@attrs.frozen
class WarrantyRequest:
    """Is ``component`` of ``product`` (``None``: the product as a whole) under
    warranty on day ``on``?"""

    product: Product
    component: Component | None
    on: date


class WarrantyPolicy(Protocol):
    """Decides the warranty of one component (REP-2). The decision's ``result`` is
    the mapping described in :mod:`aftersales_core.policies.warranty`; ``None``
    means no opinion (the next policy of a ``|`` chain is asked)."""

    def __call__(self, request: WarrantyRequest, /) -> Decision | None: ...


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's end).

    >>> add_months(date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _months(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 600:
        raise PolicyConfigError(path, f"expected a whole number of months 0..600, got {value!r}")
    return value


def _date(value: Any, path: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PolicyConfigError(path, f"expected a date (YYYY-MM-DD), got {value!r}") from None


@attrs.frozen
class MaintenanceAgreement:
    """The warranty terms of a maintenance agreement (协议服务, REP-3): covered for
    ``months`` from the warranty start, or until ``until`` (inclusive)."""

    id: str
    months: int | None = None
    until: date | None = None

    def __attrs_post_init__(self) -> None:
        where = f"warranty.contracts[{self.id!r}]"
        if (self.months is None) == (self.until is None):
            raise PolicyConfigError(where, "give exactly one of months and until")
        if self.months is not None:
            _months(self.months, f"{where}.months")


def _line_set(value: Iterable[Any]) -> frozenset[ProductLine]:
    return frozenset(ProductLine(v) for v in value)


@attrs.frozen
class WarrantyPromotion:
    """Products sold from ``sold_from`` to ``sold_to`` (inclusive) get ``extra_months``
    more warranty (REP-2); ``lines`` limits it to some product lines (empty: all)."""

    name: str
    sold_from: date
    sold_to: date
    extra_months: int
    lines: frozenset[ProductLine] = attrs.field(default=frozenset(), converter=_line_set)

    def __attrs_post_init__(self) -> None:
        where = f"warranty.promotions[{self.name!r}]"
        _months(self.extra_months, f"{where}.extra_months")
        if self.sold_to < self.sold_from:
            raise PolicyConfigError(where, "sold_to is before sold_from")

    def applies(self, product: Product) -> bool:
        sold = product.purchase_date or product.delivery_date
        if sold is None or not self.sold_from <= sold <= self.sold_to:
            return False
        return not self.lines or product.line in self.lines


def _lines(value: Mapping[Any, Any]) -> dict[ProductLine, int]:
    out: dict[ProductLine, int] = {}
    for key, months in value.items():
        try:
            line = ProductLine(key)
        except ValueError:
            known = ", ".join(p.value for p in ProductLine)
            raise PolicyConfigError(
                f"warranty.lines[{key!r}]", f"unknown product line; known: {known}"
            ) from None
        out[line] = _months(months, f"warranty.lines[{key!r}]")
    return out


def _components(value: Mapping[str, Any]) -> dict[str, int]:
    return {name: _months(m, f"warranty.components[{name!r}]") for name, m in value.items()}


def _promotions(value: Iterable[Any]) -> tuple[WarrantyPromotion, ...]:
    out: list[WarrantyPromotion] = []
    for i, p in enumerate(value):
        if isinstance(p, WarrantyPromotion):
            out.append(p)
            continue
        if not isinstance(p, Mapping):
            raise PolicyConfigError(f"warranty.promotions[{i}]", "expected a promotion or a mapping")
        where = f"warranty.promotions[{i}]"
        try:
            out.append(
                WarrantyPromotion(
                    name=str(p["name"]),
                    sold_from=_date(p["sold_from"], f"{where}.sold_from"),
                    sold_to=_date(p["sold_to"], f"{where}.sold_to"),
                    extra_months=p["extra_months"],
                    lines=p.get("lines", ()),
                )
            )
        except KeyError as exc:
            raise PolicyConfigError(f"{where}.{exc.args[0]}", "missing") from None
        except ValueError as exc:
            if isinstance(exc, PolicyConfigError):
                raise
            raise PolicyConfigError(f"{where}.lines", str(exc)) from None
    return tuple(out)


def _contracts(value: Mapping[str, Any]) -> dict[str, MaintenanceAgreement]:
    out: dict[str, MaintenanceAgreement] = {}
    for cid, terms in value.items():
        if isinstance(terms, MaintenanceAgreement):
            out[cid] = terms
            continue
        if not isinstance(terms, Mapping):
            raise PolicyConfigError(f"warranty.contracts[{cid!r}]", "expected a contract or a mapping")
        until = terms.get("until")
        out[cid] = MaintenanceAgreement(
            cid,
            months=terms.get("months"),
            until=_date(until, f"warranty.contracts[{cid!r}].until") if until is not None else None,
        )
    return out


DEFAULT_LINES: Mapping[ProductLine, int] = {
    ProductLine.SMART_EQUIPMENT: 12,
    ProductLine.FUNCTIONAL_FABRIC: 6,
    ProductLine.SOFTWARE: 12,
}


@attrs.frozen
class WarrantyTable(Composable[WarrantyRequest]):
    """The built-in warranty policy (REP-2), configured by data::

        WarrantyTable(
            lines={"smart_equipment": 12, "functional_fabric": 6, "software": 12},
            components={"motor": 24, "sensor": 12},
            promotions=[{"name": "618", "sold_from": "2025-06-01", "sold_to": "2025-06-30",
                         "extra_months": 6}],
            contracts={"MA-2025-017": {"until": "2027-12-31"}},
        )

    It decides every request; see the module docstring for the order of bases.
    """

    lines: Mapping[ProductLine, int] = attrs.field(factory=lambda: dict(DEFAULT_LINES), converter=_lines)
    components: Mapping[str, int] = attrs.field(factory=dict, converter=_components)
    promotions: tuple[WarrantyPromotion, ...] = attrs.field(default=(), converter=_promotions)
    contracts: Mapping[str, MaintenanceAgreement] = attrs.field(factory=dict, converter=_contracts)
    start: Literal["purchase", "delivery"] = attrs.field(default="purchase")

    @start.validator
    def _check_start(self, _: Any, value: str) -> None:
        if value not in ("purchase", "delivery"):
            raise PolicyConfigError("warranty.start", f"expected 'purchase' or 'delivery', got {value!r}")

    def start_date(self, product: Product) -> date | None:
        first, second = (
            (product.purchase_date, product.delivery_date)
            if self.start == "purchase"
            else (product.delivery_date, product.purchase_date)
        )
        return first or second

    def __call__(self, request: WarrantyRequest, /) -> Decision | None:
        product, component, on = request.product, request.component, request.on
        name = component.name if component is not None else WHOLE_PRODUCT
        start = self.start_date(product)
        if start is None:
            return None  # nothing to count from: no opinion
        notes: list[str] = []
        contract = self.contracts.get(product.contract) if product.contract else None
        if product.contract and contract is None:
            notes.append(f"contract {product.contract!r} is not in the contract table: standard terms")
        if contract is not None:
            if contract.until is not None:
                until, months = contract.until, None
                why = f"maintenance agreement {contract.id} covers until {until.isoformat()}"
            else:
                assert contract.months is not None
                months = contract.months
                until = add_months(start, months) - timedelta(days=1)
                why = f"maintenance agreement {contract.id}: {months} months from {start.isoformat()}"
            return self._decide(name, on, start, until, months, WarrantyBasis.CONTRACT, why, contract)

        months, basis, source, why = self._base_period(product, component)
        promotion = next((p for p in self.promotions if p.applies(product)), None)
        if promotion is not None:
            months += promotion.extra_months
            why = f"{why}, plus {promotion.extra_months} months of promotion {promotion.name!r}"
            basis, source = WarrantyBasis.PROMOTION, promotion
        until = add_months(start, months) - timedelta(days=1)
        why = f"{why}, from {start.isoformat()}" + "".join(f"; {n}" for n in notes)
        return self._decide(name, on, start, until, months, basis, why, source)

    def _base_period(
        self, product: Product, component: Component | None
    ) -> tuple[int, WarrantyBasis, object, str]:
        if component is not None:
            if component.warranty_months is not None:
                return (
                    component.warranty_months,
                    WarrantyBasis.COMPONENT,
                    f"Product.components[{component.name!r}].warranty_months={component.warranty_months}",
                    f"{component.name}: {component.warranty_months} months (sales contract or manual)",
                )
            if component.name in self.components:
                m = self.components[component.name]
                return (
                    m,
                    WarrantyBasis.COMPONENT,
                    f"WarrantyTable.components[{component.name!r}]={m}",
                    f"{component.name}: {m} months (component period)",
                )
        m = self.lines.get(product.line, 0)
        return (
            m,
            WarrantyBasis.PRODUCT_LINE,
            f"WarrantyTable.lines[{product.line.value!r}]={m}",
            f"{product.line.zh} {m} months (product line)",
        )

    def _decide(
        self,
        name: str,
        on: date,
        start: date,
        until: date,
        months: int | None,
        basis: WarrantyBasis,
        why: str,
        source: object,
    ) -> Decision:
        inside = on <= until
        state = "in warranty" if inside else "warranty expired"
        return decide(
            "warranty",
            "REP-2",
            {
                "component": name,
                "in_warranty": inside,
                "until": until,
                "basis": basis,
                "months": months,
                "start": start,
            },
            f"{name}: {state} (until {until.isoformat()}); {why}",
            source=source,
        )


def default_warranty() -> WarrantyTable:
    """SPEC defaults: smart textile equipment 12 months, functional fabric 6 months;
    software 12 months (library default, the SPEC leaves it to configuration)."""
    return WarrantyTable()


def decide_warranty(policy: WarrantyPolicy, product: Product, *, on: date) -> dict[str, Decision]:
    """Ask ``policy`` about the whole product (key :data:`WHOLE_PRODUCT`) and each
    of its components, on day ``on``. A policy that decides nothing is a
    configuration error."""
    out: dict[str, Decision] = {}
    for component in (None, *product.components):
        name = component.name if component is not None else WHOLE_PRODUCT
        decision = policy(WarrantyRequest(product, component, on))
        if decision is None:
            raise PolicyConfigError(
                "warranty",
                f"no warranty rule decided {name!r} of {product.model!r} (line {product.line.value})",
            )
        out[name] = decision
    return out

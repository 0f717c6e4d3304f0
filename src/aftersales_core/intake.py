"""Pydantic models for data entering the library (intake and trigger input).

Domain objects (``Customer``, ``Product``) are attrs; these models validate what
an ERP sends and convert it. Every model forbids unknown fields, so a typo is an
:class:`~aftersales_core.errors.InvalidInput` naming the field, never a silent drop.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pydantic
from pydantic import ConfigDict, Field

from aftersales_core._frozen import FrozenDict, declares_atomic_fields, freeze
from aftersales_core.model import Channel, Component, Customer, Product, ProductLine
from aftersales_core.money import Money, to_decimal

__all__ = [
    "Amount",
    "ComponentIn",
    "CustomerIn",
    "DomainIn",
    "Input",
    "IntakeBase",
    "ProductIn",
    "Text",
]


def _amount(value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except TypeError as exc:  # floats are refused (FIN-1)
        raise ValueError(str(exc)) from None


#: A money amount: Decimal/int/str accepted, floats refused, rounded half-up to the fen.
Amount = Annotated[Decimal, pydantic.BeforeValidator(_amount), Field(ge=0)]
#: Non-empty, stripped text.
Text = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class Input(pydantic.BaseModel):
    """Base of every trigger's input: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DomainIn(Input):
    """Input that may also be given as the domain object itself (a linked case
    copies its parent's ``Customer`` and ``Product``): pydantic reads its attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)


class CustomerIn(DomainIn):
    id: Text
    name: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    partner: str = ""

    def to_domain(self) -> Customer:
        return Customer(self.id, self.name, self.phone, self.address, self.city, self.partner)


class ComponentIn(DomainIn):
    name: Text
    warranty_months: int | None = Field(default=None, ge=0, le=600)
    serial: str = ""
    value: Amount | None = None

    def to_domain(self) -> Component:
        return Component(
            self.name,
            self.warranty_months,
            self.serial,
            Money(self.value) if self.value is not None else None,
        )


class ProductIn(DomainIn):
    model: Text
    line: ProductLine
    serial: str = ""
    purchase_date: date | None = None
    delivery_date: date | None = None
    components: tuple[ComponentIn, ...] = ()
    contract: str = ""

    @pydantic.model_validator(mode="after")
    def _dates(self) -> ProductIn:
        if self.purchase_date and self.delivery_date and self.delivery_date < self.purchase_date:
            raise ValueError("delivery_date is before purchase_date")
        return self

    def to_domain(self) -> Product:
        return Product(
            self.model,
            self.line,
            self.serial,
            self.purchase_date,
            self.delivery_date,
            tuple(c.to_domain() for c in self.components),
            self.contract,
        )


class IntakeBase(Input):
    """Fields every case records at intake (G-3, G-4)."""

    customer: CustomerIn
    channel: Channel
    product: ProductIn | None = None
    origin: str = ""  # the case this one was opened from (linked cases)

    def domain_parts(self) -> tuple[Customer, Product | None, FrozenDict[str, Any]]:
        """Split into the customer, the product and the remaining intake fields (frozen)."""
        rest = dict(self.__dict__)
        del rest["customer"], rest["product"]
        product = self.product
        atomic = declares_atomic_fields(type(self), _PARTS)
        return (
            self.customer.to_domain(),
            product.to_domain() if product is not None else None,
            FrozenDict(rest) if atomic else freeze(rest),
        )


_PARTS = frozenset({"customer", "product"})

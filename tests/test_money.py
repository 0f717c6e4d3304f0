from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales_core import Money
from aftersales_core.money import to_decimal


def test_half_up_to_the_fen() -> None:
    assert Money("0.005").amount == Decimal("0.01")
    assert Money("0.004").amount == Decimal("0.00")
    assert Money("-0.005").amount == Decimal("-0.01")
    assert Money("2.675").amount == Decimal("2.68")  # a float would give 2.67


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="FIN-1"):
        Money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_decimal(True)


def test_garbage_is_refused() -> None:
    with pytest.raises(ValueError, match="not a decimal"):
        Money("abc")
    with pytest.raises(ValueError, match="finite"):
        Money("Infinity")


def test_immutable_and_hashable() -> None:
    m = Money("1.00")
    with pytest.raises(AttributeError):
        m.amount = Decimal(2)  # type: ignore[misc]
    assert {Money("1"), Money("1.00")} == {Money(1)}


def test_sum_and_repr() -> None:
    assert sum([Money("0.10"), Money("0.20")]) == Money("0.30")
    assert repr(Money("3")) == "Money('3.00')"
    assert str(Money("1234.5")) == "¥1,234.50"


@given(st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=2), max_size=30))
def test_sum_is_exact(values: list[Decimal]) -> None:
    assert sum((Money(v) for v in values), Money.zero()).amount == sum(values, Decimal(0))

"""Money: exact ``Decimal`` yuan (CNY), rounded half-up to the fen (FIN-1).

No float ever enters: constructing ``Money`` from a float raises ``TypeError``.

>>> Money("12.345")
Money('12.35')
>>> Money("0.10") + Money("0.20") == Money("0.30")
True
>>> Money("19.99") * 3
Money('59.97')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

__all__ = ["FEN", "Money", "to_decimal"]

FEN = Decimal("0.01")


def to_decimal(value: Any, *, field: str = "amount") -> Decimal:
    """Convert ``value`` (Decimal, int or str) to a Decimal rounded half-up to the fen.

    Floats are refused (FIN-1): they cannot represent most fen amounts exactly.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(f"{field}: money must be Decimal, int or str, not {type(value).__name__} (FIN-1)")
    if isinstance(value, Money):
        return value.amount
    try:
        dec = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"{field}: {value!r} is not a decimal amount") from exc
    if not dec.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite amount")
    return dec.quantize(FEN, rounding=ROUND_HALF_UP)


class Money:
    """An amount of CNY, exact to the fen. Immutable, hashable, ordered."""

    __slots__ = ("amount",)
    currency: ClassVar[str] = "CNY"
    amount: Decimal

    def __init__(self, amount: Decimal | int | str | Money = 0) -> None:
        object.__setattr__(self, "amount", to_decimal(amount))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def zero(cls) -> Money:
        return _ZERO

    # arithmetic -----------------------------------------------------------------
    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount + other.amount)

    def __radd__(self, other: Any) -> Money:
        if other == 0:  # so that sum() works
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount - other.amount)

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            return NotImplemented
        return Money(self.amount * factor)

    __rmul__ = __mul__

    # comparison ------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and self.amount == other.amount

    def __hash__(self) -> int:
        return hash(("CNY", self.amount))

    def __lt__(self, other: Money) -> bool:
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r})"

    def __str__(self) -> str:
        return f"¥{self.amount:,}"

    def __reduce__(self) -> tuple[type[Money], tuple[Decimal]]:
        return (Money, (self.amount,))


_ZERO = Money(0)

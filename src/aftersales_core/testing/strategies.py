"""Hypothesis strategies for the library's public types (house style: plural
names, keyword-only arguments, ``min_value``/``max_value``)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from hypothesis import strategies as st

from aftersales_core.model import Actor, Customer, Role
from aftersales_core.money import Money

__all__ = ["actors", "amounts", "customers"]

_IDS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


def customers() -> st.SearchStrategy[Customer]:
    """Customers with generated ids and (personal) contact data."""
    return st.builds(
        Customer,
        id=_IDS.map(lambda s: f"C-{s}"),
        name=st.sampled_from(["", "华纺织造", "李明", "Acme Textiles"]),
        phone=st.sampled_from(["", "13800000000", "021-5555-0101"]),
        address=st.sampled_from(["", "上海市浦东新区", "绍兴市柯桥区"]),
        city=st.sampled_from(["", "上海", "绍兴", "苏州"]),
    )


def actors(*, roles: Iterable[Role] | None = None) -> st.SearchStrategy[Actor]:
    """Actors with one of ``roles`` (default: every human role)."""
    pool = sorted(roles if roles is not None else (r for r in Role if r is not Role.SYSTEM))
    return st.builds(Actor, id=_IDS.map(lambda s: f"u-{s}"), role=st.sampled_from(pool))


def amounts(
    *, min_value: Decimal | int | str = 0, max_value: Decimal | int | str = 100_000
) -> st.SearchStrategy[Money]:
    """Money amounts between ``min_value`` and ``max_value`` (CNY, exact to the fen)."""
    lo, hi = Money(min_value).amount, Money(max_value).amount
    if lo > hi:
        raise ValueError(f"min_value={lo} is greater than max_value={hi}")
    return st.decimals(min_value=lo, max_value=hi, places=2).map(Money)

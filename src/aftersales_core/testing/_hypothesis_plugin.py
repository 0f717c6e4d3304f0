"""Registered through the ``hypothesis`` entry point: makes ``st.from_type`` work
for the library's public value types."""

from __future__ import annotations


def _register() -> None:
    from hypothesis import strategies as st

    from aftersales_core.model import Actor, Customer
    from aftersales_core.money import Money
    from aftersales_core.testing import strategies as ours

    st.register_type_strategy(Customer, ours.customers())
    st.register_type_strategy(Actor, ours.actors())
    st.register_type_strategy(Money, ours.amounts())

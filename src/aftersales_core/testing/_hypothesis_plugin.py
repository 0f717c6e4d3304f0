"""Registered through the ``hypothesis`` entry point (``pyproject.toml``): makes
``st.from_type`` work for the library's public value types.

Hypothesis runs :func:`_register` while it is being imported, so nothing here may
import ``aftersales_core.testing`` eagerly (that package imports hypothesis): each
registration is a function that builds its strategy on first use.
"""

from __future__ import annotations

from typing import Any


def _register() -> None:
    from hypothesis import strategies as st

    from aftersales_core.model import Actor, Case, Component, Customer, Product
    from aftersales_core.money import Money
    from aftersales_core.policies import PolicySet

    def ours() -> Any:
        from aftersales_core.testing import strategies

        return strategies

    st.register_type_strategy(Customer, lambda _: ours().customers())
    st.register_type_strategy(Actor, lambda _: ours().actors())
    st.register_type_strategy(Money, lambda _: ours().amounts())
    st.register_type_strategy(Component, lambda _: ours().components())
    st.register_type_strategy(Product, lambda _: ours().products())
    st.register_type_strategy(Case, lambda _: ours().cases())
    st.register_type_strategy(PolicySet, lambda _: ours().policy_sets())

"""Property-testing kit for users of aftersales_core (needs the ``testing`` extra: hypothesis).

Strategies in hypothesis' house style, workflow state-machine bases, and the
contract tests of every port.
"""

from __future__ import annotations

from aftersales_core.testing.strategies import actors, amounts, customers

__all__ = ["actors", "amounts", "customers"]

"""Examples in docstrings run (STYLE 12: code shown to users is executed)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "aftersales_core.calendar",
    "aftersales_core.clock",
    "aftersales_core.codec",
    "aftersales_core.desk",
    "aftersales_core.diagrams",
    "aftersales_core.money",
    "aftersales_core.policies.fees",
    "aftersales_core.policies.settlement",
    "aftersales_core.policies.warranty",
    "aftersales_core.privacy",
    "aftersales_core.reporting",
    "aftersales_core.simulation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} shows no example"
    assert result.failed == 0

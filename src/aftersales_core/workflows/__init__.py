"""The built-in workflows, one module each, loaded on first use.

Each module defines ``WORKFLOW``: a :class:`~aftersales_core.engine.Workflow`
built from a state list and a transition table in lifecycle order.
"""

from __future__ import annotations

import importlib

from aftersales_core.engine import Workflow

__all__ = ["BUILTIN_KINDS", "get_workflow"]

_MODULES: dict[str, str] = {
    "consultation": "aftersales_core.workflows.consultation",
    "complaint": "aftersales_core.workflows.complaint",
    "return": "aftersales_core.workflows.returns",
    "repair": "aftersales_core.workflows.repair",
}

BUILTIN_KINDS: tuple[str, ...] = tuple(_MODULES)

_cache: dict[str, Workflow] = {}


def get_workflow(kind: str) -> Workflow:
    """The compiled built-in workflow for ``kind``; ``KeyError`` if there is none."""
    wf = _cache.get(kind)
    if wf is None:
        module = importlib.import_module(_MODULES[kind])
        wf = _cache[kind] = module.WORKFLOW
    return wf

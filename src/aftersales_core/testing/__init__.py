"""Property-testing kit for users of aftersales_core (needs the ``testing`` extra:
hypothesis).

* **Strategies** in hypothesis' house style for the public types and for the data
  entering the library: :func:`customers`, :func:`products`, :func:`components`,
  :func:`actors`, :func:`amounts`, :func:`workdays`, :func:`intakes`,
  :func:`transition_inputs`, :func:`histories`, :func:`cases`, :func:`policy_sets`,
  :func:`sla_tables`; :func:`register_input_strategy` overrides what is derived
  from an input model. With the kit installed, ``st.from_type(Case)`` (and
  ``Customer``, ``Product``, ``Component``, ``Actor``, ``Money``, ``PolicySet``)
  works through the ``hypothesis`` entry point.
* **A state-machine base**, :class:`WorkflowMachine` (and :func:`machine_for`), that
  drives a workflow on a desk with a fixed clock under your policies and checks the
  kit's invariants after every step; the checks are usable alone
  (:func:`check_case`, :func:`check_step`, :func:`check_refused`,
  :func:`check_offered`, :func:`check_decision`, :func:`check_spec_rules`).
* **Model-based coverage**: :func:`coverage_paths` finds the shortest trigger path
  firing every transition and reaching every state; :func:`run_steps` replays one.
* **Port contracts** to subclass in your own tests: :class:`StoreContract`,
  :class:`CalendarContract`, :class:`ClockContract`.
* Helpers: :func:`make_desk` (a test desk), :func:`actor_for` (one actor per role),
  :func:`builtin_kinds`.

See the how-to "Property-test your rules".
"""

from __future__ import annotations

from aftersales_core.testing.contracts import CalendarContract, ClockContract
from aftersales_core.testing.coverage import (
    DEFAULT_START,
    REFUSALS,
    CoverageReport,
    DeskFactory,
    Edge,
    Step,
    actor_for,
    builtin_kinds,
    coverage_paths,
    make_desk,
    run_steps,
)
from aftersales_core.testing.stateful import (
    WorkflowMachine,
    check_case,
    check_decision,
    check_offered,
    check_refused,
    check_spec_rules,
    check_step,
    machine_for,
)
from aftersales_core.testing.store_contract import StoreContract
from aftersales_core.testing.strategies import (
    History,
    actors,
    amounts,
    cases,
    components,
    customers,
    histories,
    intakes,
    policy_sets,
    products,
    register_input_strategy,
    sla_tables,
    transition_inputs,
    workdays,
)

__all__ = [
    "DEFAULT_START",
    "REFUSALS",
    "CalendarContract",
    "ClockContract",
    "CoverageReport",
    "DeskFactory",
    "Edge",
    "History",
    "Step",
    "StoreContract",
    "WorkflowMachine",
    "actor_for",
    "actors",
    "amounts",
    "builtin_kinds",
    "cases",
    "check_case",
    "check_decision",
    "check_offered",
    "check_refused",
    "check_spec_rules",
    "check_step",
    "components",
    "coverage_paths",
    "customers",
    "histories",
    "intakes",
    "machine_for",
    "make_desk",
    "policy_sets",
    "products",
    "register_input_strategy",
    "run_steps",
    "sla_tables",
    "transition_inputs",
    "workdays",
]

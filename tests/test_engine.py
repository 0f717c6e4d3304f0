"""The workflow definition checks and the compiled machine (engine.py)."""

from __future__ import annotations

import pytest

from aftersales_core import PolicyConfigError
from aftersales_core.engine import StateDef, TransitionDef, Workflow, guard
from aftersales_core.intake import IntakeBase
from aftersales_core.workflows import BUILTIN_KINDS, get_workflow

S = StateDef


def _wf(states: list[StateDef], rows: list[TransitionDef]) -> Workflow:
    return Workflow("toy", zh="玩具", en="toy", states=states, transitions=rows, intake=IntakeBase)


def test_unreachable_state_is_rejected() -> None:
    with pytest.raises(PolicyConfigError, match=r"unreachable.*lost"):
        _wf(
            [S("a", "甲", "a"), S("b", "乙", "b", final=True), S("lost", "丢", "lost", final=True)],
            [TransitionDef("go", "a", "b", "G-1")],
        )


def test_trap_state_is_rejected() -> None:
    with pytest.raises(PolicyConfigError, match="trap"):
        _wf([S("a", "甲", "a"), S("b", "乙", "b")], [TransitionDef("go", "a", "b", "G-1")])


def test_unknown_state_is_rejected() -> None:
    with pytest.raises(PolicyConfigError, match="unknown state 'nowhere'"):
        _wf([S("a", "甲", "a", final=True)], [TransitionDef("go", "a", "nowhere", "G-1")])


def test_lambda_guard_is_rejected() -> None:
    from aftersales_core.engine import Guard

    g = Guard("<lambda>", "G-1", "no", lambda ctx: True)
    with pytest.raises(PolicyConfigError, match="unnamed guard"):
        _wf(
            [S("a", "甲", "a"), S("b", "乙", "b", final=True)],
            [TransitionDef("go", "a", "b", "G-1", guards=(g,))],
        )


def test_row_must_cite_a_rule() -> None:
    with pytest.raises(PolicyConfigError, match="cites no rule"):
        _wf([S("a", "甲", "a"), S("b", "乙", "b", final=True)], [TransitionDef("go", "a", "b", "")])


def test_guard_decorator_names_the_guard() -> None:
    @guard("REP-7", "needs consent")
    def consented(ctx: object) -> bool:
        return False

    assert consented.name == "consented"
    assert consented.rule == "REP-7"


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_dispatch_agrees_with_the_transitions_machine(kind: str) -> None:
    wf = get_workflow(kind)
    machine = wf.machine
    assert not hasattr(machine, "to_closed"), "auto transitions must be off"
    for state in wf.states:
        assert set(machine.get_triggers(state.name)) == set(wf.transitions_from(state.name))
    assert {t.trigger for t in wf.transitions} <= set(machine.events)


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_every_state_has_labels(kind: str) -> None:
    wf = get_workflow(kind)
    for state in wf.states:
        assert state.zh
        assert state.en
    for row in wf.transitions:
        assert row.rule

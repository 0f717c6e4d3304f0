"""Every workflow under the kit's state machine, and wrong policies the kit catches.

``test_workflow_keeps_the_kit_invariants`` runs :func:`machine_for` for each
built-in kind (read at collection: a new workflow is picked up). The rest shows
the kit catching deliberately wrong rules, each shrunk to a short, readable case.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from aftersales_core import Decision, PolicyConfigError
from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow
from aftersales_core.errors import RuleViolation
from aftersales_core.policies import PolicySet, decide
from aftersales_core.policies.fees import FeeBasis, FeeRequest, LineKind, default_fees
from aftersales_core.policies.routing import Category, RoutingRequest, default_routing
from aftersales_core.testing import WorkflowMachine, builtin_kinds, machine_for
from aftersales_core.workflows.consultation import WORKFLOW as CONSULTATION

FAST = settings(max_examples=25, stateful_step_count=20, deadline=None)
# finding a planted bug: deterministic, nothing saved between runs, no explanation
# phase (it adds lines a reader does not need)
HUNT = settings(
    max_examples=300,
    stateful_step_count=10,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("kind", builtin_kinds())
def test_workflow_keeps_the_kit_invariants(kind: str) -> None:
    run_state_machine_as_test(machine_for(kind), settings=FAST)


# ------------------------------------------------------------------ a user's machine, as the docs show it


class ConsultationFaq(WorkflowMachine):
    """A user's own invariant on top of the kit's: an FAQ candidate was answered."""

    kind = "consultation"

    @invariant()
    def faq_candidates_have_an_answer(self) -> None:
        for case in self.all_cases():
            if "faq_candidate" in case.flags:
                assert case.fact("answer"), case.id


TestConsultationFaq = ConsultationFaq.TestCase
TestConsultationFaq.settings = FAST


# ------------------------------------------------------------------ wrong policies the kit catches


def failure(machine: type[WorkflowMachine]) -> tuple[BaseException, str]:
    """Run ``machine`` until it fails; the exception and the shrunk case as printed."""
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - any failure the kit raises
        run_state_machine_as_test(machine, settings=HUNT)
    return caught.value, "\n".join(getattr(caught.value, "__notes__", []))


def _loses_other(request: RoutingRequest, /) -> Decision | None:
    """Wrong on purpose: "other" complaints reach no department (no default)."""
    if request.category is Category.OTHER:
        return None
    return default_routing()(request)


class RoutingNowhere(WorkflowMachine):
    kind = "complaint"
    policies = PolicySet(version="wrong-routing", routing=_loses_other)


def test_a_routing_that_sends_a_category_nowhere_is_caught_and_shrunk() -> None:
    error, case = failure(RoutingNowhere)
    assert isinstance(error, PolicyConfigError)
    assert "'other'" in str(error)
    # the shrunk case: open an "other" complaint, route it — and nothing more
    assert "<Category.OTHER: 'other'>" in case
    assert "Draw 1 (trigger): 'route'" in case
    assert case.count("state.fire_allowed(") == 1
    assert "state.fire_any(" not in case
    assert "state.time_passes(" not in case
    # hypothesis does not always manage to drop an unrelated first case: still short
    assert case.count("state.open_") <= 2, case
    assert len(case.splitlines()) <= 30, case
    assert len(case) < 2000, case


_FEES = default_fees()


def _motors_at_cost(request: FeeRequest, /) -> Decision | None:
    """Wrong on purpose: motor parts are charged at cost, warranty or not (REP-7)."""
    line = request.line
    if line.kind is LineKind.PART and line.component == "motor" and line.unit_cost is not None:
        result = {"basis": FeeBasis.COST_FEE, "unit_cost": line.unit_cost, "unit_charge": line.unit_cost}
        return decide("fees", "REP-7", result, "motor parts at cost", source="_motors_at_cost")
    return _FEES(request)


class ChargesInWarranty(WorkflowMachine):
    kind = "repair"
    policies = PolicySet(version="wrong-fees", fees=_motors_at_cost)


def test_a_fee_policy_charging_an_in_warranty_part_is_caught_and_shrunk() -> None:
    error, case = failure(ChargesInWarranty)
    assert isinstance(error, AssertionError)
    assert str(error).startswith("REP-7: ")
    assert "'motor' is in warranty" in str(error)
    # the shrunk case: one repair taken along a shortest path through a motor part being used
    assert case.count("state.open_along_path(edge=") == 1, case
    assert "state.fire" not in case
    assert len(case.splitlines()) <= 15, case


def _answer_once(ctx: Context) -> None:
    # wrong on purpose: refuses every second answer for a reason allowed() cannot see
    if ctx.case.fact("answers", 0) >= 1:
        raise RuleViolation("CON-3", "already answered")
    ctx.set("answers", ctx.case.fact("answers", 0) + 1)


def _lying_workflow() -> Workflow:
    rows = (
        TransitionDef("note", "received", None, "CON-3", "记录", "note", effect=_answer_once),
        TransitionDef("close", "received", "closed", "G-1", "关闭", "close"),
    )
    states = (StateDef("received", "已受理", "received"), StateDef("closed", "已关闭", "closed", final=True))
    return Workflow(
        "lying",
        zh="说谎",
        en="lying",
        states=states,
        transitions=rows,
        intake=CONSULTATION.intake,
        example=dict(CONSULTATION.example),
    )


class AllowedLies(WorkflowMachine):
    kind = "lying"
    workflow_def = _lying_workflow()


def test_allowed_offering_what_always_fails_is_caught_and_shrunk() -> None:
    error, case = failure(AllowedLies)
    assert isinstance(error, AssertionError)
    assert "allowed() offered 'note'" in str(error)
    assert "takes no input" in str(error)
    assert "'note'" in case, case
    assert len(case.splitlines()) <= 20, case


def test_a_machine_must_name_its_kind() -> None:
    from hypothesis.errors import InvalidDefinition

    class Nameless(WorkflowMachine):
        pass

    with pytest.raises(InvalidDefinition, match="must set kind"):
        Nameless()


def test_machine_for_names_the_class_and_keeps_attributes() -> None:
    policies = PolicySet(version="v-test")
    cls: Any = machine_for("consultation", policies=policies, max_cases=1)
    assert cls.__name__ == "ConsultationMachine"
    assert cls.policies is policies
    assert cls.max_cases == 1
    assert issubclass(cls, WorkflowMachine)

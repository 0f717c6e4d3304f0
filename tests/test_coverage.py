"""Model-based coverage: every transition of every workflow is fired by a shortest path
from the workflow's example intake, and each path replays under the kit's checks.

The kinds are read when the tests are collected (``builtin_kinds()``), so a new
workflow is covered without touching this file, and a transition added without a
reachable example fails ``test_every_transition_is_covered``.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from aftersales_core.engine import Context, StateDef, TransitionDef, Workflow, guard
from aftersales_core.intake import Input, Text
from aftersales_core.model import Role
from aftersales_core.policies import PermissionTable, Permit, PolicySet
from aftersales_core.testing import (
    CoverageReport,
    Edge,
    actor_for,
    builtin_kinds,
    check_case,
    check_step,
    coverage_paths,
    make_desk,
    run_steps,
)
from aftersales_core.workflows.consultation import WORKFLOW as CONSULTATION
from aftersales_core.workflows.consultation import ConsultationIntake

KINDS = builtin_kinds()


@functools.cache
def report_for(kind: str) -> CoverageReport:
    return coverage_paths(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_every_transition_is_covered(kind: str) -> None:
    report = report_for(kind)
    assert report.uncovered == (), report.explain()
    assert report.unreached_states == (), report.explain()
    assert report.errors == (), report.explain()
    assert report.complete


@pytest.mark.parametrize("kind", KINDS)
def test_every_path_replays_under_the_kit_checks(kind: str) -> None:
    report = report_for(kind)
    assert report.paths, report.explain()
    for edge, path in report.paths.items():
        desk = make_desk()
        case = desk.open(kind, actor=actor_for(report.opened_by), **report.intake)
        run_steps(desk, case.id, path, check=functools.partial(check_step, desk))
        last = desk.history(case.id)[-1]
        assert (last.source, last.trigger, last.dest) == (edge.source, edge.trigger, edge.dest), edge
        for case_id in desk.store.case_ids():
            check_case(desk, case_id)


def test_consultation_paths_are_the_shortest() -> None:
    report = report_for("consultation")
    review = report.path_to("closed --review[3]--> reviewed")
    assert [s.trigger for s in review] == ["answer", "close", "review"]
    assert review[-1].role is Role.CS_SUPERVISOR  # agents may not review (G-7): the next role is tried
    assert [s.trigger for s in report.state_paths["referred"]] == ["refer"]
    assert report.state_paths["received"] == ()


def test_a_breach_fires_on_a_running_deadline_only() -> None:
    report = report_for("consultation")
    edge = Edge("referred", "breach", "referred", 4)
    assert [str(s) for s in report.paths[edge]] == [
        "refer(to='zhao.gang', contact='email') by agent",
        "breach(deadline='answer') by system",
    ]
    # nothing runs once a consultation is answered: a wildcard row need not fire everywhere
    assert Edge("answered", "breach", "answered", 4) in report.unreached_wildcards
    assert all(e.trigger != "breach" for e in report.uncovered)


# ------------------------------------------------------------------ a toy workflow


class NoteIn(Input):
    note: Text


@guard("T-1", "never passes")
def never(ctx: Context) -> bool:
    return False


@guard("T-2", "only once the case is marked")
def marked(ctx: Context) -> bool:
    return "marked" in ctx.case.flags


def mark(ctx: Context) -> None:
    ctx.flag("marked")


def toy(*, with_dead_row: bool) -> Workflow:
    rows = [
        TransitionDef("mark", "open", None, "T-3", "标记", "mark", effect=mark),
        # two rows for one trigger: the selector picks the destination (counted apart)
        TransitionDef("finish", "open", "special", "T-2", "特办", "finish specially", when=marked),
        TransitionDef("finish", "open", "done", "T-2", "办结", "finish"),
        TransitionDef(
            "note", ("special", "done"), None, "T-4", "备注", "note", input=NoteIn, example={"note": "x"}
        ),
    ]
    if with_dead_row:
        rows.append(TransitionDef("skip", "open", "skipped", "T-1", "跳过", "skip", guards=(never,)))
    states = [
        StateDef("open", "待办", "open"),
        StateDef("special", "特办", "special", final=True),
        StateDef("done", "办结", "done", final=True),
    ]
    if with_dead_row:
        states.append(StateDef("skipped", "跳过", "skipped", final=True))
    return Workflow(
        "toy",
        zh="玩具",
        en="toy",
        states=states,
        transitions=rows,
        intake=ConsultationIntake,
        example=dict(CONSULTATION.example),
    )


def test_rows_chosen_by_a_selector_count_apart() -> None:
    report = coverage_paths(toy(with_dead_row=False))
    assert report.complete, report.explain()
    special = report.path_to("open --finish[1]--> special")
    assert [s.trigger for s in special] == ["mark", "finish"]
    assert [s.trigger for s in report.path_to("open --finish[2]--> done")] == ["finish"]
    assert [s.trigger for s in report.path_to("special --note[3]--> special")] == ["mark", "finish", "note"]


def test_a_transition_no_path_reaches_is_reported() -> None:
    report = coverage_paths(toy(with_dead_row=True))
    assert [str(e) for e in report.uncovered] == ["open --skip[4]--> skipped"]
    assert report.unreached_states == ("skipped",)
    assert not report.complete
    assert "open --skip[4]--> skipped" in report.explain()


def test_the_search_runs_under_the_policies_given() -> None:
    nobody_reviews = PolicySet(permissions=PermissionTable(permits=(Permit("review", ()),)))
    report = coverage_paths(
        "consultation", desk_factory=functools.partial(make_desk, policies=nobody_reviews)
    )
    assert [str(e) for e in report.uncovered] == ["closed --review[3]--> reviewed"]
    assert report.unreached_states == ("reviewed",)


def test_inputs_given_are_tried_first() -> None:
    inputs: dict[str, Any] = {"answer": [{"answer": "See the manual, page 12."}]}
    report = coverage_paths("consultation", inputs=inputs)
    step = report.path_to("received --answer[1]--> answered")[-1]
    assert dict(step.data) == {"answer": "See the manual, page 12."}


def test_a_defect_is_reported_and_the_search_goes_on() -> None:
    def refuse_badly(ctx: Context) -> None:
        raise TypeError("effect bug")

    wf = toy(with_dead_row=False)
    broken = Workflow(
        "toy",
        zh="玩具",
        en="toy",
        states=wf.states,
        transitions=[
            *wf.transitions[:3],
            TransitionDef(
                "note",
                ("special", "done"),
                None,
                "T-4",
                "备注",
                "note",
                input=NoteIn,
                example={"note": "x"},
                effect=refuse_badly,
            ),
        ],
        intake=ConsultationIntake,
        example=dict(CONSULTATION.example),
    )
    report = coverage_paths(broken)
    assert report.errors
    assert "TypeError: effect bug" in report.errors[0]
    assert {e.trigger for e in report.uncovered} == {"note"}

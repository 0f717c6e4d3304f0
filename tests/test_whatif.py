"""What-if replay under another policy set (issue 7, DESIGN §4)."""

from __future__ import annotations

from typing import Any

from aftersales_core import Actor, Desk, FixedClock, Role
from aftersales_core.policies import PermissionTable, Permit, PolicySet, SlaTable, Target, default_sla

INTAKE: dict[str, Any] = {"customer": {"id": "C1", "name": "华纺"}, "channel": "phone", "question": "q"}


def _history(desk: Desk, agent: Actor, clock: FixedClock) -> str:
    case = desk.open("consultation", actor=agent, **INTAKE)
    clock.advance(hours=3)
    desk.fire(case.id, "refer", actor=agent, to="eng-1")
    clock.advance(days=1)
    desk.fire(case.id, "answer", actor=agent, answer="done")
    return case.id


def test_same_policies_change_nothing(desk: Desk, agent: Actor, clock: FixedClock) -> None:
    _history(desk, agent, clock)
    report = desk.what_if(desk.policies.replace(version="same-again"))
    assert report.changed == ()
    assert report.policies_after == "same-again"


def test_a_longer_sla_target_is_reported(desk: Desk, agent: Actor, clock: FixedClock) -> None:
    cid = _history(desk, agent, clock)
    before = desk.history(cid)
    targets = dict(default_sla().targets)
    targets["consultation.answer"] = Target(4, "CON-2")
    report = desk.what_if(PolicySet(version="v2", sla=SlaTable(targets=targets)))
    (diff,) = report.changed
    assert [(d.seq, d.trigger, d.policy, d.before, d.after) for d in diff.decisions] == [
        (2, "refer", "sla", 2, 4)
    ]
    assert desk.history(cid) == before  # nothing written
    assert "sla@2:refer" in report.summary()


def test_a_trigger_the_new_rules_refuse(desk: Desk, agent: Actor, clock: FixedClock) -> None:
    cid = _history(desk, agent, clock)
    strict = PolicySet(
        version="no-referrals", permissions=PermissionTable((Permit("refer", {Role.MANAGER}),))
    )
    report = desk.what_if(strict, [cid])
    (diff,) = report.refused
    assert diff.refused is not None
    assert (diff.refused.seq, diff.refused.trigger, diff.refused.error) == (2, "refer", "PermissionDenied")
    assert diff.state_before == "answered"


def test_policy_versions_decide_by_event_time(agent: Actor) -> None:
    """A case is decided under the version in force when the deciding event happened."""
    from datetime import datetime

    from aftersales_core import CHINA_TZ
    from aftersales_core.policies import PolicyVersions

    targets = dict(default_sla().targets)
    targets["consultation.response"] = Target(3, "CON-1")
    v1 = PolicySet(version="v1")
    v2 = PolicySet(version="v2", sla=SlaTable(targets=targets))
    clock = FixedClock(datetime(2026, 6, 29, 9, tzinfo=CHINA_TZ))
    versions = PolicyVersions(
        [(datetime(2026, 7, 1, tzinfo=CHINA_TZ), v2), (datetime(2026, 1, 1, tzinfo=CHINA_TZ), v1)]
    )
    desk = Desk(clock=clock, policies=versions)
    early = desk.open("consultation", actor=agent, **INTAKE)
    clock.advance(days=3)
    late = desk.open("consultation", actor=agent, **INTAKE)
    assert early.decisions[0].version == "v1"
    assert early.deadlines["response"].workdays == 1
    assert late.decisions[0].version == "v2"
    assert late.deadlines["response"].workdays == 3
    assert desk.get(early.id).deadlines == early.deadlines  # a later version never moves it
    assert desk.policies.version == "v2"


def test_policy_versions_are_checked() -> None:
    import pytest

    from aftersales_core import PolicyConfigError
    from aftersales_core.policies import PolicyVersions

    with pytest.raises(PolicyConfigError, match="at least one"):
        PolicyVersions([])

"""SLA targets: how many working days each stage of each case kind may take (SLA, CON, REP-4).

:class:`SlaTable` maps ``"kind.stage"`` to a :class:`Target` (working days and the
SPEC rule). A priority may tighten a target (``"complaint.resolution@urgent"``):
special cases (专案, CPL-4) get less time. ``hours`` optionally restricts the
working day to office hours; deadlines then fall due at the end of office hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from aftersales_core.events import Decision
from aftersales_core.policies.base import decide

if TYPE_CHECKING:
    from aftersales_core.calendar import WorkingHours
    from aftersales_core.model import Case

__all__ = ["SlaPolicy", "SlaRequest", "SlaTable", "Target", "default_sla"]


@attrs.frozen
class SlaRequest:
    kind: str
    stage: str
    priority: str
    case: Case | None = None


class SlaPolicy(Protocol):
    """Gives the target of a stage; the decision's ``result`` is the number of working days."""

    @property
    def hours(self) -> WorkingHours | None: ...

    def __call__(self, request: SlaRequest, /) -> Decision: ...

    def pauses(self, kind: str, state: str, default: bool, /) -> bool:
        """Whether deadlines stand still while a case of ``kind`` is in ``state``
        (SLA-3, a policy choice); ``default`` is the workflow's own marking."""
        ...


def _non_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        from aftersales_core.errors import PolicyConfigError

        raise PolicyConfigError(f"sla.target.{attribute.name}", f"must be a whole number >= 0, got {value!r}")


@attrs.frozen
class Target:
    workdays: int = attrs.field(validator=_non_negative)
    rule: str = "SLA-2"


def _targets(value: Mapping[str, Any]) -> dict[str, Target]:
    return {
        k: v if isinstance(v, Target) else Target(**v) if isinstance(v, Mapping) else Target(*v)
        for k, v in value.items()
    }


def _pauses(value: Mapping[str, bool]) -> dict[str, bool]:
    return dict(value)


@attrs.frozen
class SlaTable:
    """Targets by ``"kind.stage"`` (optionally ``"kind.stage@priority"``)."""

    targets: Mapping[str, Target] = attrs.field(converter=_targets)
    hours: WorkingHours | None = None
    #: ``"kind.state" -> bool``: override which states stop the clocks (SLA-3). States
    #: not named keep the workflow's marking (e.g. ``repair.awaiting_consent`` pauses).
    pause_states: Mapping[str, bool] = attrs.field(factory=dict, converter=_pauses)
    # decisions per (kind, stage, priority): the table is immutable, so each is built once
    _cache: dict[tuple[str, str, str], Decision] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        from aftersales_core.errors import PolicyConfigError

        for key in self.pause_states:
            if key.count(".") != 1 or not all(key.split(".")):
                raise PolicyConfigError(f"sla.pause_states[{key!r}]", "keys are 'kind.state'")
        for key in self.targets:
            base = key.split("@", 1)[0]
            if base.count(".") != 1 or not all(base.split(".")):
                raise PolicyConfigError(
                    f"sla.targets[{key!r}]", "keys are 'kind.stage' or 'kind.stage@priority'"
                )

    def pauses(self, kind: str, state: str, default: bool, /) -> bool:
        if not self.pause_states:
            return default
        return self.pause_states.get(f"{kind}.{state}", default)

    def __call__(self, request: SlaRequest, /) -> Decision:
        return self.target(request.kind, request.stage, request.priority)

    def target(self, kind: str, stage: str, priority: str, /) -> Decision:
        """The decision for one stage, without building an :class:`SlaRequest`
        (the table's answer depends on these three only)."""
        ckey = (kind, stage, priority)
        cached = self._cache.get(ckey)
        if cached is None:
            cached = self._cache[ckey] = self._decide(kind, stage, priority)
        return cached

    def _decide(self, kind: str, stage: str, priority: str) -> Decision:
        base = f"{kind}.{stage}"
        target = self.targets.get(f"{base}@{priority}")
        key = f"{base}@{priority}"
        if target is None:
            target = self.targets.get(base)
            key = base
        if target is None:
            from aftersales_core.errors import PolicyConfigError

            raise PolicyConfigError(f"sla.targets[{base!r}]", "no SLA target for this stage")
        return decide(
            "sla",
            target.rule,
            target.workdays,
            f"{key}: {target.workdays} working day(s)",
            source=f"SlaTable[{key!r}]",
        )


def default_sla() -> SlaTable:
    """SPEC defaults."""
    return SlaTable(
        targets={
            "consultation.response": Target(1, "CON-1"),
            "consultation.answer": Target(2, "CON-2"),
            "complaint.response": Target(1, "CPL-1"),
            "complaint.resolution": Target(5, "CPL-1"),
            "complaint.resolution@urgent": Target(2, "CPL-4"),
            "repair.remote": Target(2, "REP-4"),
            "repair.visit_same_city": Target(3, "REP-4"),
            "repair.visit_other_city": Target(5, "REP-4"),
            "repair.completion": Target(10, "REP-12"),
            "return.review": Target(2, "RET-2"),
            "return.refund": Target(3, "RET-2"),
        }
    )

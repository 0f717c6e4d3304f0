"""Escalation (多级投诉制), CPL-3: the ladder a complaint climbs, and what moves it.

The ladder runs handler → supervisor → department manager → leadership; each
:class:`Level` names the role that owns the complaint there. An escalation policy
answers *to which level does this complaint go now?* for an
:class:`EscalationRequest` whose ``cause`` says why it is asked:

``intake``
    where a new complaint starts (the first level);
``manual``
    the handler passes it up: one level, or to the level named in ``to`` when that
    is the next one;
``customer``
    the customer complains over the handler's head: to the direct superior, or
    straight to the level named in ``to`` (e.g. leadership);
``urgent``
    an urgent matter is reported up at once (紧急事件应立即上报): to ``urgent_to``
    (default: the department manager), or one level up if it is already there;
``breach``
    an SLA deadline was missed (SLA-2): ``on_breach`` levels up (default 1, capped
    at the top; 0 records the breach without escalating).

The decision's ``result`` is a mapping ``{"level": int, "name": str, "role": str}``
(level 0 is the first rung). Escalating past the top, or down, is refused with
:class:`~aftersales_core.errors.RuleViolation` (CPL-3). A plain function with the
same shape can stand in front of the ladder (``my_rule | default_escalation()``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Protocol

import attrs

from aftersales_core.errors import InvalidInput, PolicyConfigError, RuleViolation
from aftersales_core.events import Decision
from aftersales_core.model import Role
from aftersales_core.policies.base import Composable, decide

__all__ = [
    "DEFAULT_LADDER",
    "EscalationCause",
    "EscalationLadder",
    "EscalationPolicy",
    "EscalationRequest",
    "Level",
    "default_escalation",
    "rung",
]


class EscalationCause(StrEnum):
    """Why the escalation policy is asked (CPL-3, SLA-2)."""

    INTAKE = "intake"
    MANUAL = "manual"
    CUSTOMER = "customer"
    URGENT = "urgent"
    BREACH = "breach"

    @property
    def zh(self) -> str:
        return {
            "intake": "受理",
            "manual": "逐级上报",
            "customer": "客户越级投诉",
            "urgent": "紧急上报",
            "breach": "超时升级",
        }[self.value]


@attrs.frozen
class Level:
    """A rung of the ladder: its name and the role that owns complaints there."""

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    role: Role = attrs.field(converter=Role)
    zh: str = attrs.field(default="", eq=False)

    def __repr__(self) -> str:
        return f"Level({self.name!r}, {self.role.value!r})"


def _levels(value: Iterable[Level | tuple[str, str] | tuple[str, str, str]]) -> tuple[Level, ...]:
    return tuple(v if isinstance(v, Level) else Level(*v) for v in value)


def _cause(value: EscalationCause | str) -> EscalationCause:
    return value if type(value) is EscalationCause else EscalationCause(value)


@attrs.frozen
class EscalationRequest:
    """Current ``level`` (0 = first rung), the ``cause``, optionally the level name
    asked for (``to``), the person's ``reason`` and the breached ``deadline``."""

    level: int = attrs.field(validator=attrs.validators.ge(0))
    cause: EscalationCause = attrs.field(converter=_cause)
    to: str | None = None
    reason: str = ""
    deadline: str | None = None


class EscalationPolicy(Protocol):
    """Decides the level a complaint goes to; ``result`` is ``{"level", "name", "role"}``.

    ``None`` means "no opinion" (for ``breach``: no escalation). Refusals raise
    :class:`~aftersales_core.errors.RuleViolation` naming CPL-3.
    """

    def __call__(self, request: EscalationRequest, /) -> Decision | None: ...


def rung(index: int, level: Level) -> dict[str, Any]:
    """The ``result`` of an escalation decision for ``level`` at position ``index``."""
    return {"level": index, "name": level.name, "role": level.role.value}


#: handler → supervisor → department manager → leadership (CPL-3).
DEFAULT_LADDER: tuple[Level, ...] = (
    Level("handler", Role.AGENT, "经办人"),
    Level("supervisor", Role.CS_SUPERVISOR, "客服主管"),
    Level("manager", Role.MANAGER, "售后部门经理"),
    Level("leadership", Role.LEADERSHIP, "公司领导"),
)


@attrs.frozen
class EscalationLadder(Composable[EscalationRequest]):
    """The built-in escalation policy: a ladder of levels and what moves a complaint up."""

    levels: tuple[Level, ...] = attrs.field(default=DEFAULT_LADDER, converter=_levels)
    on_breach: int = 1
    urgent_to: str = "manager"
    # the ladder is immutable: each distinct request is decided once
    _decisions: dict[tuple[Any, ...], Decision | None] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        if len(self.levels) < 2:
            raise PolicyConfigError("escalation.levels", "a ladder needs at least two levels")
        names = [lv.name for lv in self.levels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise PolicyConfigError("escalation.levels", f"level names must be unique: {', '.join(dupes)}")
        if self.urgent_to not in names[1:]:
            raise PolicyConfigError(
                "escalation.urgent_to",
                f"{self.urgent_to!r} is not a level above the first; levels: {', '.join(names)}",
            )
        if not isinstance(self.on_breach, int) or self.on_breach < 0:
            raise PolicyConfigError("escalation.on_breach", "levels to climb on a breach: an integer >= 0")

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def index(self, name: str) -> int:
        """The position of the level called ``name`` (``InvalidInput`` on ``to`` if none)."""
        for i, lv in enumerate(self.levels):
            if lv.name == name:
                return i
        raise InvalidInput(
            "to", f"no escalation level {name!r}; levels: {', '.join(lv.name for lv in self.levels)}"
        )

    def __call__(self, request: EscalationRequest, /) -> Decision | None:
        key = (request.level, request.cause, request.to, request.reason, request.deadline)
        try:
            return self._decisions[key]
        except KeyError:
            pass
        return self._decide_new(key, request)

    def decide_for(
        self,
        level: int,
        cause: EscalationCause,
        to: str | None = None,
        reason: str = "",
        deadline: str | None = None,
        /,
    ) -> Decision | None:
        """The decision for these request fields; a decision already taken comes back
        without an :class:`EscalationRequest` being built (the workflow's hot path)."""
        key = (level, cause, to, reason, deadline)
        try:
            return self._decisions[key]
        except KeyError:
            pass
        return self._decide_new(key, EscalationRequest(level, cause, to, reason, deadline))

    def _decide_new(self, key: tuple[Any, ...], request: EscalationRequest) -> Decision | None:
        decision = self._decide_request(request)  # refusals raise and are not cached
        if len(self._decisions) > 4096:
            self._decisions.clear()
        self._decisions[key] = decision
        return decision

    def _decide_request(self, request: EscalationRequest) -> Decision | None:
        cur = min(request.level, self.top)
        cause = request.cause
        if cause is EscalationCause.INTAKE:
            return self._decide(request, 0, "a new complaint starts on the first level")
        if cause is EscalationCause.BREACH:
            if self.on_breach == 0:
                return None
            target = min(cur + self.on_breach, self.top)
            what = f"deadline {request.deadline!r} breached" if request.deadline else "deadline breached"
            if target == cur:
                return self._decide(request, cur, f"{what}; already at the top, recorded without escalating")
            return self._decide(request, target, f"{what}; up {target - cur} level(s)")
        if cur >= self.top:
            raise RuleViolation(
                "CPL-3",
                f"the complaint is already at the top of the escalation ladder "
                f"({self.levels[cur].name}); it cannot go higher",
            )
        if request.to is not None:
            target = self.index(request.to)
            if target <= cur:
                raise RuleViolation(
                    "CPL-3",
                    f"the complaint is already at {self.levels[cur].name!r}; escalation goes up the "
                    f"ladder, not to {request.to!r}",
                )
            if target > cur + 1 and cause is EscalationCause.MANUAL:
                raise RuleViolation(
                    "CPL-3",
                    f"the ladder goes one level at a time; going straight to {request.to!r} needs "
                    "the customer's request or an urgent matter",
                )
        elif cause is EscalationCause.URGENT:
            urgent = self.index(self.urgent_to)
            target = urgent if urgent > cur else cur + 1
        else:
            target = cur + 1
        return self._decide(request, target, _CAUSE_TEXT[cause])

    def _decide(self, request: EscalationRequest, target: int, why: str) -> Decision:
        level = self.levels[target]
        start = self.levels[min(request.level, self.top)]
        move = (
            f"{level.name} ({level.role.value})"
            if request.cause is EscalationCause.INTAKE or target == request.level
            else f"{start.name} -> {level.name} ({level.role.value})"
        )
        reason = f"{why}: {move}"
        if request.reason:
            reason += f"; {request.reason}"
        return decide("escalation", "CPL-3", rung(target, level), reason, source=self)


_CAUSE_TEXT = {
    EscalationCause.MANUAL: "passed up the ladder",
    EscalationCause.CUSTOMER: "the customer complained over the handler's head",
    EscalationCause.URGENT: "urgent matter reported up at once",
}


def default_escalation() -> EscalationLadder:
    """The SPEC ladder: handler → supervisor → department manager → leadership;
    a breach climbs one level; urgent matters go to the department manager."""
    return EscalationLadder()

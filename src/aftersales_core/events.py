"""What gets recorded: events and the policy decisions taken while handling them (G-2).

An :class:`Event` is self-contained: besides the trigger and its validated data it
carries the *changes* it made (facts, flags, deadlines, state). Replaying a
history therefore never calls a policy again — a policy or calendar update cannot
move what an open case was already told — and folding the events of a case from
nothing gives the identical :class:`~aftersales_core.model.Case`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from aftersales_core._frozen import EMPTY, SCALARS, FrozenDict, freeze

if TYPE_CHECKING:
    from aftersales_core.model import Actor, Deadline

__all__ = ["Decision", "Event"]


def _freeze_any(value: Any) -> Any:
    cls = value.__class__
    if cls is FrozenDict or cls in SCALARS or value == ():
        return value
    return freeze(value)


def _freeze_map(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    if value.__class__ is FrozenDict:  # the engine's hot path: already frozen
        return value
    return freeze(dict(value)) if value else EMPTY


@attrs.frozen
class Decision:
    """One policy decision: what was decided, by which rule, why, under which version.

    ``policy`` is the slot (``"routing"``, ``"warranty"``...), ``source`` the repr
    of the configured policy object that decided — so the audit trail shows the
    exact rule row or parameters.
    """

    policy: str
    rule: str
    result: Any = attrs.field(converter=_freeze_any)
    reason: str
    version: str = ""
    source: str = ""


@attrs.frozen
class Event:
    """One recorded change of a case (append-only).

    ``seq`` is the case version the event produced (1 for ``open``). ``changes``
    are the facts it set, ``flags_on``/``flags_off`` the flags it raised or cleared,
    ``deadlines`` the deadlines it set (a ``None`` value clears one).
    """

    seq: int
    case_id: str
    kind: str
    trigger: str
    at: datetime
    actor: Actor
    source: str
    dest: str
    data: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=_freeze_map)
    decisions: tuple[Decision, ...] = ()
    changes: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=_freeze_map)
    flags_on: frozenset[str] = frozenset()
    flags_off: frozenset[str] = frozenset()
    deadlines: FrozenDict[str, Deadline | None] = attrs.field(default=EMPTY, converter=_freeze_map)
    key: str | None = None
    #: linked cases this event opens once stored: (kind, case id, intake); see ``Context.spawn``
    spawns: tuple[tuple[str, str, Any], ...] = attrs.field(default=(), converter=_freeze_any)

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids of the decisions this event took."""
        return tuple(d.rule for d in self.decisions)

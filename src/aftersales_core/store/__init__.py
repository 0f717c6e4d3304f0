"""The store port (DESIGN §5) and its in-memory adapter.

A store keeps each case's snapshot and its append-only events, atomically, with
optimistic concurrency on ``version`` and idempotency keys; it indexes running
deadlines so ``due`` never scans every case. Adapters that need a third-party
package live in their own module behind an extra (``aftersales_core.store.sql``).
Check your own adapter with :class:`aftersales_core.testing.StoreContract`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from aftersales_core.events import Event
from aftersales_core.model import Case, Deadline

__all__ = ["DueItem", "KeyRecord", "MemoryStore", "Store"]


@attrs.frozen
class DueItem:
    """A running deadline of an open case (what ``Desk.due`` lists)."""

    case_id: str
    kind: str
    state: str
    deadline: Deadline

    @property
    def due(self) -> datetime:
        return self.deadline.due


@attrs.frozen
class KeyRecord:
    """What an idempotency key was first used for."""

    key: str
    case_id: str
    seq: int
    trigger: str


@runtime_checkable
class Store(Protocol):
    """Where cases and their events live."""

    def new_id(self, prefix: str, /) -> str:
        """A fresh, unique case id starting with ``prefix``."""
        ...

    def load(self, case_id: str, /) -> Case:
        """The current snapshot; raises ``CaseNotFound``."""
        ...

    def events(self, case_id: str, /) -> Sequence[Event]:
        """The case's events, oldest first; raises ``CaseNotFound``."""
        ...

    def append(
        self, case: Case, events: Sequence[Event], /, *, expected_version: int, key: str | None = None
    ) -> None:
        """Store ``events`` and the resulting snapshot ``case`` atomically.

        Raises ``ConcurrencyConflict`` (and stores nothing) when the stored version
        is not ``expected_version`` (0 for a new case) or ``key`` was used already.
        """
        ...

    def lookup_key(self, key: str, /) -> KeyRecord | None:
        """The record of an idempotency key, or None."""
        ...

    def due(self, before: datetime, /) -> list[DueItem]:
        """Running deadlines due strictly before ``before``, earliest first."""
        ...

    def case_ids(self, kind: str | None = None, /) -> Iterator[str]:
        """Ids of stored cases (of ``kind``), in creation order."""
        ...


from aftersales_core.store.memory import MemoryStore  # noqa: E402  (the port is defined first)

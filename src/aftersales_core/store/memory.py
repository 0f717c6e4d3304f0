"""In-memory store: for tests, simulations and small single-process hosts."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime

from aftersales_core.errors import CaseNotFound, ConcurrencyConflict
from aftersales_core.events import Event
from aftersales_core.model import Case
from aftersales_core.store import DueItem, KeyRecord

__all__ = ["MemoryStore"]


Entry = tuple[datetime, str, str, DueItem]


def deadline_entries(case: Case) -> list[Entry]:
    """Index entries (due, case id, deadline name, item) for a case's running deadlines."""
    return [
        (d.due, case.id, d.name, DueItem(case.id, case.kind, case.state, d))
        for d in case.deadlines.values()
        if d.paused_since is None
    ]


class MemoryStore:
    """Keeps everything in dicts; ``due`` uses a sorted deadline index (bisect)."""

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[str, KeyRecord] = {}
        self._counter = itertools.count(1)
        self._index: list[Entry] = []
        # case id -> (state, [(due, name)] of running deadlines, its index entries)
        self._indexed: dict[str, tuple[str, list[tuple[datetime, str]], list[Entry]]] = {}

    def new_id(self, prefix: str, /) -> str:
        while True:
            cid = f"{prefix}-{next(self._counter):06d}"
            if cid not in self._cases:
                return cid

    def load(self, case_id: str, /) -> Case:
        try:
            return self._cases[case_id]
        except KeyError:
            raise CaseNotFound(case_id) from None

    def events(self, case_id: str, /) -> Sequence[Event]:
        try:
            return tuple(self._events[case_id])
        except KeyError:
            raise CaseNotFound(case_id) from None

    def append(
        self, case: Case, events: Sequence[Event], /, *, expected_version: int, key: str | None = None
    ) -> None:
        current = self._cases.get(case.id)
        actual = current.version if current is not None else 0
        if actual != expected_version:
            raise ConcurrencyConflict(case.id, expected_version, actual)
        if key is not None and key in self._keys:
            raise ConcurrencyConflict(case.id, expected_version, actual)
        # all checks passed: from here on nothing can fail
        if current is None:
            self._events[case.id] = list(events)
        else:
            self._events[case.id].extend(events)
        self._cases[case.id] = case
        if key is not None:
            self._keys[key] = KeyRecord(key, case.id, case.version, events[-1].trigger)
        self._reindex(case)

    def _reindex(self, case: Case) -> None:
        old = self._indexed.get(case.id)
        if old is None and not case.deadlines:
            return
        running = [(d.due, d.name) for d in case.deadlines.values() if d.paused_since is None]
        if old is not None and old[0] == case.state and old[1] == running:
            return  # same deadlines, same state: the index holds
        index = self._index
        if old is not None:
            for entry in old[2]:
                i = bisect.bisect_left(index, entry[:3])  # a 3-tuple sorts just before its entry
                if i < len(index) and index[i][:3] == entry[:3]:
                    del index[i]
        new = deadline_entries(case)
        for entry in new:
            bisect.insort(index, entry)
        if new:
            self._indexed[case.id] = (case.state, running, new)
        else:
            self._indexed.pop(case.id, None)

    def lookup_key(self, key: str, /) -> KeyRecord | None:
        return self._keys.get(key)

    def due(self, before: datetime, /) -> list[DueItem]:
        end = bisect.bisect_left(self._index, (before,))
        return [entry[3] for entry in self._index[:end]]

    def case_ids(self, kind: str | None = None, /) -> Iterator[str]:
        for cid, case in self._cases.items():
            if kind is None or case.kind == kind:
                yield cid

    def __len__(self) -> int:
        return len(self._cases)

    def __repr__(self) -> str:
        return f"MemoryStore(cases={len(self._cases)})"

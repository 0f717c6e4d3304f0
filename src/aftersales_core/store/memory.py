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


#: an index entry: (due, case id, deadline name, what ``due`` lists for it)
Entry = tuple[datetime, str, str, DueItem]


class MemoryStore:
    """Keeps everything in dicts; ``due`` reads a sorted index of running deadlines.

    The index is a list of :data:`Entry` sorted by (due, case id, name), so ``due``
    is one bisection and a slice. A deadline that starts, stops or moves is inserted
    or removed by bisection; a transition that only changes the case's state
    replaces the entries' items in place (their position does not change).
    """

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[str, KeyRecord] = {}
        self._counter = itertools.count(1)
        self._index: list[Entry] = []
        #: case id -> (state, {deadline name: due}) of its running deadlines as indexed
        self._indexed: dict[str, tuple[str, dict[str, datetime]]] = {}

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
        if case.deadlines or case.id in self._indexed:
            self._reindex(case)

    def _reindex(self, case: Case) -> None:
        cid, state, index = case.id, case.state, self._index
        old = self._indexed.get(cid)
        running = {d.name: d.due for d in case.deadlines.values() if d.paused_since is None}
        if old is not None and old[1] == running:
            if old[0] != state:  # same deadlines, new state: the entries keep their places
                for name, due in running.items():
                    i = bisect.bisect_left(index, (due, cid, name))  # a 3-tuple sorts just before its entry
                    index[i] = (due, cid, name, DueItem(cid, case.kind, state, case.deadlines[name]))
                self._indexed[cid] = (state, running)
            return
        if old is not None:
            for name, due in old[1].items():
                i = bisect.bisect_left(index, (due, cid, name))
                del index[i]
        for name, due in running.items():
            bisect.insort(index, (due, cid, name, DueItem(cid, case.kind, state, case.deadlines[name])))
        if running:
            self._indexed[cid] = (state, running)
        elif old is not None:
            del self._indexed[cid]

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

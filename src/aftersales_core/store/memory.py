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


#: an index entry: (due, case id, deadline name, what ``due`` listed for it, if it did)
Entry = tuple[datetime, str, str, DueItem | None]


class MemoryStore:
    """Keeps everything in dicts; ``due`` reads a sorted index of running deadlines.

    The index holds :data:`Entry` tuples sorted by (due, case id, name), so ``due``
    is a bisection and a slice. A deadline that starts, stops or moves is inserted
    or removed by bisection. Most deadlines are met before they are ever listed, so
    an entry's :class:`DueItem` is made by the first ``due`` that lists it; a
    transition that leaves the running deadlines alone does not touch the index,
    and ``due`` refreshes an item whose case has a new state (or a new deadline
    object with the same due instant).
    """

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[str, KeyRecord] = {}
        self._counter = itertools.count(1)
        self._index = _SortedIndex()
        #: case id -> {deadline name: due} of its running deadlines as indexed
        self._indexed: dict[str, dict[str, datetime]] = {}

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
        cid, index = case.id, self._index
        old = self._indexed.get(cid)
        running = {d.name: d.due for d in case.deadlines.values() if d.paused_since is None}
        if old == running or (old is None and not running):
            return  # the same deadlines run: a new state or snapshot is picked up by ``due``
        if old is not None:
            for name, due in old.items():
                if running.get(name) != due:
                    index.remove((due, cid, name))
        for name, due in running.items():
            if old is None or old.get(name) != due:
                index.insert((due, cid, name, None))  # its DueItem is made if it is ever listed
        if running:
            self._indexed[cid] = running
        else:
            del self._indexed[cid]

    def lookup_key(self, key: str, /) -> KeyRecord | None:
        return self._keys.get(key)

    def due(self, before: datetime, /) -> list[DueItem]:
        cases, index = self._cases, self._index
        out = []
        for entry in index.below(before):
            item = entry[3]
            case = cases[entry[1]]
            deadline = case.deadlines[entry[2]]
            if item is None or case.state != item.state or deadline is not item.deadline:
                # first listed, or the case moved on since: (re)make the item (its place is the same)
                item = DueItem(case.id, case.kind, case.state, deadline)
                index.replace((entry[0], entry[1], entry[2], item))
            out.append(item)
        return out

    def case_ids(self, kind: str | None = None, /) -> Iterator[str]:
        for cid, case in self._cases.items():
            if kind is None or case.kind == kind:
                yield cid

    def __len__(self) -> int:
        return len(self._cases)

    def __repr__(self) -> str:
        return f"MemoryStore(cases={len(self._cases)})"


class _SortedIndex:
    """Entries sorted by (due, case id, name), kept in blocks of at most ``2 * LOAD``.

    One flat sorted list would move half of itself on every insertion; blocks
    bound that to a block's length, and a second bisection over each block's last
    entry finds the block. (The layout of ``sortedcontainers.SortedList``, reduced
    to what the store needs.)
    """

    LOAD = 512
    __slots__ = ("_blocks", "_lasts")

    def __init__(self) -> None:
        self._blocks: list[list[Entry]] = []
        self._lasts: list[Entry] = []  # the last entry of each block

    def __len__(self) -> int:
        return sum(len(b) for b in self._blocks)

    def insert(self, entry: Entry) -> None:
        blocks, lasts = self._blocks, self._lasts
        if not blocks:
            blocks.append([entry])
            lasts.append(entry)
            return
        i = bisect.bisect_left(lasts, entry)
        if i == len(blocks):  # after everything: onto the last block
            i -= 1
            blocks[i].append(entry)
            lasts[i] = entry
        else:
            bisect.insort(blocks[i], entry)
        block = blocks[i]
        if len(block) > 2 * self.LOAD:
            half = self.LOAD
            blocks[i : i + 1] = [block[:half], block[half:]]
            lasts[i : i + 1] = [block[half - 1], block[-1]]

    def remove(self, key: tuple[datetime, str, str]) -> None:
        # a 3-tuple sorts just before the entry it is the start of
        i = bisect.bisect_left(self._lasts, key)
        block = self._blocks[i]
        j = bisect.bisect_left(block, key)
        assert block[j][:3] == key, "the deadline index lost an entry"
        del block[j]
        if not block:
            del self._blocks[i], self._lasts[i]
        elif j == len(block):
            self._lasts[i] = block[-1]

    def replace(self, entry: Entry) -> None:
        key = entry[:3]
        i = bisect.bisect_left(self._lasts, key)
        block = self._blocks[i]
        j = bisect.bisect_left(block, key)
        assert block[j][:3] == key, "the deadline index lost an entry"
        block[j] = entry
        if j == len(block) - 1:
            self._lasts[i] = entry

    def below(self, before: datetime) -> list[Entry]:
        key = (before,)
        blocks = self._blocks
        i = bisect.bisect_left(self._lasts, key)  # blocks before i end before ``before``
        out = [entry for block in blocks[:i] for entry in block]
        if i < len(blocks):
            block = blocks[i]
            out.extend(block[: bisect.bisect_left(block, key)])
        return out

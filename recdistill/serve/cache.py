"""Per-user result cache: a model's top-N list for a user's current history.

A list is a pure function of (model, history, filters). The cache keeps, per
(slot, user, exclude_seen), the top ``N`` items and scores of the user's
history *as it was* (its length: events only append). Any new event changes
the length, so the next request recomputes; a model swap builds a new
runtime with an empty cache. A request with ``exclude`` or ``category`` is
answered from the cached list when at least ``k`` items survive its filters
(or the list holds every scorable item); masking only removes items, so that
is exactly the top-k the model would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

TOP_N = 100


@dataclass(frozen=True)
class Entry:
    length: int  # the history length the list was computed for
    ids: np.ndarray  # int32 [<= TOP_N], best first
    scores: np.ndarray  # float32, same length
    complete: bool  # True: fewer than TOP_N scorable items exist, the list is all of them


class ResultCache:
    """A bounded LRU of :class:`Entry`, safe to use from several threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[str, int, bool], Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, int, bool], length: int) -> Entry | None:
        if self.size <= 0:
            return None
        with self._lock:
            entry = self._data.get(key)
            if entry is None or entry.length != length:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[str, int, bool], entry: Entry) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = entry
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

"""What the server knows: users' histories (run data + store events) and the models.

:class:`Users` holds every known user's history as item indices, oldest
first: the run's train + valid + test parts (the full history known at
serving time), then the store's events in commit order, then each event
accepted while running. Users first seen through an event are added.

Events are applied at most once, in ``seq`` order, from reads of ``seq >
last`` (the highest ``seq`` applied): :meth:`Users.catch_up`, or the group
commit's own transaction (:mod:`recdistill.serve.commits`). Several processes
(workers, replicas) may write to one store; the store makes ``seq`` order
commit order (:meth:`EventStore.commit`), so that read misses nothing and
never grows with holes in the sequence.

:class:`Runtime` bundles one immutable snapshot of the run folder (catalogue,
models, popularity) with the mutable :class:`Users`; a hot swap builds a new
runtime and replaces one reference.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recdistill.runfolder import RunFolder
from recdistill.serve.cache import ResultCache
from recdistill.serve.catalogue import Catalogue
from recdistill.serve.registry import ServedModels, load_models
from recdistill.serve.store import EventStore, StoredEvent

log = logging.getLogger("recdistill.serve")


class Users:
    """Per-user item-index histories; safe to read from any thread."""

    def __init__(
        self,
        ids: list[str],
        items: np.ndarray,
        indptr: np.ndarray,
        counts: np.ndarray,
        last_time: np.ndarray | None = None,
    ) -> None:
        self.n_base = len(ids)
        self.ids = list(ids)
        self.index = {u: i for i, u in enumerate(self.ids)}
        self._items = items.astype(np.int32, copy=False)
        self._ptr = indptr.astype(np.int64, copy=False)
        self.live: dict[int, list[int]] = {}  # user index -> items from events
        self.counts = counts.astype(np.int64, copy=True)  # popularity, for the fallback
        self._last_time = last_time  # per run user: time of their newest interaction
        self.last_seq = 0
        self.applied = 0
        self.skipped: dict[str, int] = {}  # unknown item id -> events skipped (after a reload)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def history(self, u: int) -> np.ndarray:
        """Item indices of user ``u``, oldest first (int32)."""
        tail = self.live.get(u)
        base = self._items[self._ptr[u] : self._ptr[u + 1]] if u < self.n_base else None
        if not tail:
            return base if base is not None else np.zeros(0, dtype=np.int32)
        extra = np.asarray(tail, dtype=np.int32)
        return extra if base is None else np.concatenate([base, extra])

    def length(self, u: int) -> int:
        base = int(self._ptr[u + 1] - self._ptr[u]) if u < self.n_base else 0
        return base + len(self.live.get(u, ()))

    def recent_first(self, limit: int) -> np.ndarray:
        """Up to ``limit`` run users with a history, most recently active first."""
        has = np.flatnonzero(np.diff(self._ptr) > 0)
        if self._last_time is not None:
            has = has[np.argsort(-self._last_time[has], kind="stable")]
        return has[:limit]

    def model_user(self, u: int, n_model_users: int) -> int:
        """The user index a model sees: the run's index while the user has no live
        events (factor models use their learned vector), else -1 so every model
        folds in the history and reflects the new events."""
        if u < self.n_base and u < n_model_users and u not in self.live:
            return u
        return -1

    # -- applying events -----------------------------------------------------
    def apply(self, events: list[StoredEvent], catalogue: Catalogue) -> int:
        """Apply committed events, in ``seq`` order, not applied yet; returns how many."""
        new = 0
        with self._lock:
            for ev in events:
                if ev.seq <= self.last_seq:
                    continue
                self.last_seq = ev.seq
                item = catalogue.items.get(ev.item_id)
                if item < 0:
                    self.skipped[ev.item_id] = self.skipped.get(ev.item_id, 0) + 1
                    continue
                u = self.index.get(ev.user_id)
                if u is None:
                    u = len(self.ids)
                    self.ids.append(ev.user_id)
                    self.index[ev.user_id] = u
                self.live.setdefault(u, []).append(item)
                self.counts[item] += 1
                new += 1
            self.applied += new
        return new

    def catch_up(self, store: EventStore, catalogue: Catalogue) -> int:
        """Apply events committed by anyone since the last look; returns how many."""
        after = self.last_seq
        events = store.since(after) if after else [ev for c in store.scan() for ev in c]
        return self.apply(events, catalogue) if events else 0


@dataclass
class Runtime:
    """One served state: the run folder's snapshot plus users. Swapped whole on reload."""

    run: RunFolder
    catalogue: Catalogue
    models: ServedModels
    users: Users
    data_key: str
    loaded_at: float
    cache: ResultCache


def data_key(run: RunFolder) -> str:
    """Identifies the run's data (id maps and split): same key, same user histories."""
    return run.data_key()


def base_users(run: RunFolder) -> Users:
    """Users with the run's full known history (train + valid + test), no events."""
    table = run.table("train")
    for part in ("valid", "test"):
        table = table.concat(run.table(part))
    ptr = table.indptr()
    last = np.full(len(run.users), np.iinfo(np.int64).min, dtype=np.int64)
    has = np.flatnonzero(np.diff(ptr) > 0)
    last[has] = table.time[ptr[has + 1] - 1]
    return Users(run.users.to_list(), table.item, ptr, table.item_counts(), last)


def build_runtime(
    run_dir: Path,
    store: EventStore,
    *,
    model: str | None = None,
    previous: Runtime | None = None,
    cache_size: int = 0,
) -> Runtime:
    """Load the run folder and rebuild users from it and the store.

    With ``previous`` holding the same data (same :func:`data_key`), its users
    are kept as they are (a model-only swap: no event can be lost).
    """
    run = RunFolder.open(run_dir)
    key = data_key(run)
    catalogue = Catalogue.from_dataset(run.dataset)
    models = load_models(run, model)
    try:
        users = _users(run, store, catalogue, key, previous)
    except BaseException:
        models.close()  # no scoring threads left behind by a failed (re)load
        raise
    return Runtime(run, catalogue, models, users, key, time.time(), ResultCache(cache_size))


def _users(
    run: RunFolder, store: EventStore, catalogue: Catalogue, key: str, previous: Runtime | None
) -> Users:
    if previous is not None and previous.data_key == key:
        return previous.users
    t0 = time.perf_counter()
    users = base_users(run)
    users.catch_up(store, catalogue)
    log.info(
        "serve: %d users, %d events from the store applied (%.2fs)",
        len(users), users.applied, time.perf_counter() - t0,
    )
    if users.skipped:
        log.warning(
            "serve: skipped %d stored events of %d items not in this run's catalogue",
            sum(users.skipped.values()), len(users.skipped),
        )
    return users

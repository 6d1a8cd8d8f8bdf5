"""Dynamic batching: one thread per slow model scores the requests waiting for it together.

A transformer's single-user pass is mostly per-operation overhead, so under
concurrent load scoring the waiting users in one ``B x I`` call costs little
more than scoring one. Requests queue their history; the model's thread
takes whatever is waiting (up to ``max_batch``), scores it in one call and
hands each request its row. With no concurrency a batch is one request and
nothing waits for a timer.

A closed batcher answers every request queued before :meth:`Batcher.close`
and refuses later ones at once (:class:`BatcherClosed`), so a request that
raced a hot swap is never left waiting on a thread that has gone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from recdistill.models.base import Histories

log = logging.getLogger("recdistill.serve")


def stack(hists: list[np.ndarray], users: list[int]) -> Histories:
    """A :class:`Histories` batch from item-index arrays (one per row) and user indices."""
    lengths = np.fromiter((h.size for h in hists), dtype=np.int64, count=len(hists))
    indptr = np.zeros(len(hists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    items = np.concatenate(hists) if hists else np.zeros(0, np.int32)
    return Histories(
        np.asarray(users, dtype=np.int64), indptr, items.astype(np.int32, copy=False)
    )


class BatcherClosed(RuntimeError):
    """The batcher was closed (its model swapped out); the caller scores the request itself."""


T = TypeVar("T")


def next_batch(q: queue.SimpleQueue[T | None], limit: int) -> tuple[list[T], bool]:
    """Wait for one item, then take what else is queued, up to ``limit`` items.

    ``stop`` is True when the ``None`` sentinel was met: the items taken before it
    are still to be handled, then the consumer ends.
    """
    first = q.get()
    if first is None:
        return [], True
    items = [first]
    while len(items) < limit:
        try:
            nxt = q.get_nowait()
        except queue.Empty:
            break
        if nxt is None:
            return items, True
        items.append(nxt)
    return items, False


@dataclass
class _Job:
    hist: np.ndarray
    user: int
    future: Future[np.ndarray]


class Batcher:
    """Scores single-user requests for one model in batches, on its own thread.

    Args:
        score: the model's ``score(Histories) -> B x I`` (called on this thread only,
            so the model never runs two calls at once).
        name: for the thread's name and logs.
        max_batch: most requests scored in one call.
    """

    def __init__(
        self, score: Callable[[Histories], np.ndarray], name: str, max_batch: int = 32
    ) -> None:
        self._score = score
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._gate = threading.Lock()  # orders submits against close()
        self.batches = 0
        self.rows = 0
        self._thread = threading.Thread(target=self._run, name=f"score-{name}", daemon=True)
        self._thread.start()

    def submit(self, hist: np.ndarray, user: int) -> Future[np.ndarray]:
        """Queue one history; the future resolves to its row of scores (float32 ``[I]``)."""
        future: Future[np.ndarray] = Future()
        with self._gate:
            if self._closed:
                raise BatcherClosed(f"{self._thread.name} was closed (the model was swapped)")
            self._queue.put(_Job(hist, user, future))
        return future

    def close(self) -> None:
        """Stop after the requests already queued are answered; refuse new ones."""
        with self._gate:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)

    def _run(self) -> None:
        while True:
            jobs, stop = next_batch(self._queue, self.max_batch)
            if jobs:
                self._answer(jobs)
            if stop:
                return

    def _answer(self, jobs: list[_Job]) -> None:
        batch = stack([j.hist for j in jobs], [j.user for j in jobs])
        try:
            scores = self._score(batch)
        except Exception as exc:  # hand the failure to every waiting request
            log.exception("serve: scoring a batch of %d failed", len(jobs))
            for j in jobs:
                j.future.set_exception(exc)
            return
        self.batches += 1
        self.rows += len(jobs)
        for i, j in enumerate(jobs):
            j.future.set_result(np.array(scores[i], dtype=np.float32, copy=True))

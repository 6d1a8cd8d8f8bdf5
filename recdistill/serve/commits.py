"""Events into the store and into memory: group commit and following other writers.

:class:`GroupCommit` is the one writer of a server process. Requests hand it
their event and wait; its thread takes every event queued while the previous
transaction was committing and commits them together
(:meth:`EventStore.commit`): one transaction and one fsync for all the events
that arrived together, and each request is answered only after the commit
that holds its event. The same transaction reads the store forward from the
users' last applied ``seq``, and those events are applied before the acks go
out: a client reads its own write, and events other processes committed
before are applied first, in order.

:class:`Follower` applies what other processes (workers, replicas) commit,
without any query on the request path: it waits on the store's
:class:`~recdistill.serve.store.CommitWatch` (PostgreSQL: woken by NOTIFY at
each commit; SQLite: a short poll) and catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import sqlalchemy as sa

from recdistill.serve.batcher import next_batch
from recdistill.serve.state import Runtime
from recdistill.serve.store import Appended, EventStore, NewEvent

log = logging.getLogger("recdistill.serve")

MAX_BATCH = 1024  # events per transaction at most
POLL_S = {"sqlite": 0.02, "postgresql": 1.0}  # the follower's fallback wait per backend


class StoreUnavailable(Exception):
    """The event store could not commit (it is down, or refused the batch)."""


class GroupCommit:
    """Commits queued events in batches on one thread; see the module docstring."""

    def __init__(self, store: EventStore, runtime: Callable[[], Runtime]) -> None:
        self.store = store
        self._runtime = runtime
        self._queue: queue.SimpleQueue[tuple[NewEvent, Future[Appended]] | None] = (
            queue.SimpleQueue()
        )
        self.batches = 0
        self.events = 0
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, event: NewEvent) -> Future[Appended]:
        fut: Future[Appended] = Future()
        self._queue.put((event, fut))
        return fut

    async def append(self, event: NewEvent) -> Appended:
        """Commit ``event`` with whatever else is queued; returns once it is durable."""
        return await asyncio.wrap_future(self.submit(event))

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            batch, stop = next_batch(self._queue, MAX_BATCH)
            if batch:
                self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[NewEvent, Future[Appended]]]) -> None:
        rt = self._runtime()
        try:
            done = self.store.commit([ev for ev, _ in batch], after=rt.users.last_seq)
        except sa.exc.SQLAlchemyError as exc:
            if len(batch) > 1 and not isinstance(exc, sa.exc.OperationalError):
                # One event the database refuses must not fail the others.
                for one in batch:
                    self._commit([one])
                return
            log.error("serve: event store refused a batch of %d events: %s", len(batch), exc)
            err = StoreUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            for _, fut in batch:
                fut.set_exception(err)
            return
        except Exception as exc:  # a bug: answer every waiting request, keep the thread
            log.exception("serve: committing %d events failed", len(batch))
            for _, fut in batch:
                fut.set_exception(exc)
            return
        self.batches += 1
        self.events += len(batch)
        try:
            rt.users.apply(done.forward, rt.catalogue)
        except Exception:  # committed and durable; the follower or the next batch applies it
            log.exception("serve: applying committed events failed")
        for (_, fut), res in zip(batch, done.results, strict=True):
            fut.set_result(res)


class Follower:
    """Applies other processes' commits on a background thread."""

    def __init__(self, store: EventStore, runtime: Callable[[], Runtime]) -> None:
        self.store = store
        self._runtime = runtime
        self.poll_s = POLL_S[store.backend]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="follower", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # gone: the wait times out itself
            self.store.notify()  # wake a LISTEN at once
        self._thread.join(timeout=self.poll_s + 5)

    def _run(self) -> None:
        watch = self.store.commits()
        failing = False
        try:
            while not self._stop.is_set():
                try:
                    rt = self._runtime()
                    rt.users.catch_up(self.store, rt.catalogue)
                    failing = False
                except Exception as exc:  # the store is down (or a bug): keep following
                    if not failing:
                        log.warning("serve: cannot follow the event store (%s); retrying", exc)
                    failing = True
                watch.wait(self.poll_s)
        finally:
            watch.close()

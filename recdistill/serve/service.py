"""Recommendation and ingestion logic, independent of HTTP.

Unknown-user policy (named in every response's ``policy``):

- ``known_user``: the user has a history (from the run or from events): the
  model scores it. Items in the history are excluded unless asked otherwise.
- ``history``: an ad-hoc history given in the request (``POST
  /v1/recommendations``): the model scores it as a new user's.
- ``fallback``: a user with no history at all: the most popular items, by
  interaction counts over the run's data plus accepted events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool

from recdistill.models.base import top_row
from recdistill.serve.batcher import stack
from recdistill.serve.cache import TOP_N, Entry
from recdistill.serve.commits import Follower, GroupCommit, StoreUnavailable
from recdistill.serve.registry import ServedModel
from recdistill.serve.state import Runtime, build_runtime
from recdistill.serve.store import EventConflict, EventStore, NewEvent, StoredEvent

log = logging.getLogger("recdistill.serve")


class ServeError(Exception):
    """A request the service refuses: an HTTP status and a one-line message."""

    def __init__(
        self, status: int, message: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors  # a validation failure's every {loc, msg}

    def body(self) -> dict[str, object]:
        """The JSON answer: ``{"detail": ...}`` (and ``errors`` for a validation failure)."""
        if self.errors is None:
            return {"detail": self.message}
        return {"detail": self.message, "errors": self.errors}


@dataclass(frozen=True)
class Query:
    """One recommendation request, already validated for shape and bounds."""

    k: int = 10
    model: str = "student"
    exclude: Sequence[str] = ()
    category: str | None = None
    exclude_seen: bool = True


@dataclass(frozen=True)
class Pending:
    """A request that needs the model: everything to finish it once the row is scored."""

    rt: Runtime
    served: ServedModel
    q: Query
    user_id: str
    u: int
    hist: np.ndarray
    mu: int


def cache_entry(scores: np.ndarray, length: int) -> Entry:
    """The cached list of a masked row: its top-``TOP_N`` for a history of ``length``."""
    ids, vals = top_row(scores, TOP_N)
    return Entry(length, ids.astype(np.int32), vals, ids.size < TOP_N)


class Service:
    """Holds the current :class:`Runtime` (one reference, swapped on reload)."""

    def __init__(
        self,
        run_dir: Path,
        store: EventStore,
        *,
        model: str | None = None,
        sync: bool = False,
        cache_size: int = 0,
    ) -> None:
        self.run_dir = run_dir
        self.store = store
        self.model_override = model
        self.sync = sync  # follow events other processes commit (a background thread)
        self.cache_size = cache_size
        self.runtime: Runtime = build_runtime(run_dir, store, model=model, cache_size=cache_size)
        self.started = time.time()
        self.reloads = 0
        self.warmed = 0
        self.warming = False
        self._reload_lock = asyncio.Lock()
        top_row(np.zeros(2, np.float32), 1)  # compile (or load) the kernel before any request
        self.writer = GroupCommit(store, lambda: self.runtime)
        self.follower = Follower(store, lambda: self.runtime) if sync else None

    def close(self) -> None:
        """Commit queued events, stop following, stop the models' threads."""
        self.writer.close()
        if self.follower is not None:
            self.follower.close()
        self.runtime.models.close()

    # -- recommendations -------------------------------------------------------
    def slot(self, rt: Runtime, name: str) -> ServedModel:
        served = rt.models.get(name)
        if served is None:
            if name == "teacher":
                raise ServeError(422, "model 'teacher' is not loaded: the run has no teacher")
            raise ServeError(422, f"model must be 'student' or 'teacher', got '{name}'")
        return served

    def begin(self, user_id: str, q: Query) -> dict[str, Any] | Pending:
        """The answer when no model has to run (fallback, cache hit), else what to score."""
        rt = self.runtime
        served = self.slot(rt, q.model)
        u = rt.users.index.get(user_id)
        hist = rt.users.history(u) if u is not None else None
        if u is None or hist is None or hist.size == 0:
            return self._fallback(rt, served, q, user_id=user_id)
        hit = self._from_cache(rt, served, q, u, int(hist.size), user_id)
        if hit is not None:
            return hit
        mu = rt.users.model_user(u, served.model.n_users)
        return Pending(rt, served, q, user_id, u, hist, mu)

    def finish(self, p: Pending, row: np.ndarray) -> dict[str, Any]:
        """The answer from the user's row of scores (fills the cache)."""
        key = (p.served.slot, p.u, p.q.exclude_seen)
        ids, vals = self.rank(p.rt, p.q, row, p.hist, cache_key=key)
        return self._response(p.rt, p.served, p.q, "known_user", ids, vals, p.user_id)

    def rank(
        self,
        rt: Runtime,
        q: Query,
        row: np.ndarray,
        hist: np.ndarray,
        *,
        cache_key: tuple[str, int, bool] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One row of scores -> the query's top-k ``(ids, scores)``, best first.

        Score -> mask -> top-k -> cache, the one way every answer is ranked: the
        history is masked (``exclude_seen``); with ``cache_key`` the unfiltered
        top-``TOP_N`` is cached for the user's current history and the answer taken
        from it when enough items survive the query's filters; else the filters
        (``exclude``, ``category``) are applied to the whole row.
        """
        scores = np.array(row, dtype=np.float32, copy=True)
        if q.exclude_seen:
            scores[hist] = -np.inf
        if cache_key is not None and rt.cache.size > 0:
            entry = cache_entry(scores, int(hist.size))
            rt.cache.put(cache_key, entry)
            got = self._filter_entry(rt, q, entry)
            if got is not None:
                return got
        return top_row(self._mask(rt, scores, q), q.k)

    def for_user(self, user_id: str, q: Query) -> dict[str, Any]:
        """Top-k for a user (blocking: call from a worker thread)."""
        got = self.begin(user_id, q)
        if not isinstance(got, Pending):
            return got
        return self.finish(got, got.served.score_one(got.hist, got.mu))

    async def for_user_async(self, user_id: str, q: Query) -> dict[str, Any]:
        """Top-k for a user from the event loop: never blocks it on a slow model (that
        goes to the model's batching thread); no database read on this path."""
        got = self.begin(user_id, q)
        if not isinstance(got, Pending):
            return got
        return self.finish(got, await got.served.score_one_async(got.hist, got.mu))

    def _from_cache(
        self, rt: Runtime, served: ServedModel, q: Query, u: int, length: int, user_id: str
    ) -> dict[str, Any] | None:
        entry = rt.cache.get((served.slot, u, q.exclude_seen), length)
        return None if entry is None else self._from_entry(rt, served, q, entry, user_id)

    def _from_entry(
        self, rt: Runtime, served: ServedModel, q: Query, entry: Entry, user_id: str
    ) -> dict[str, Any] | None:
        got = self._filter_entry(rt, q, entry)
        if got is None:
            return None
        return self._response(rt, served, q, "known_user", got[0], got[1], user_id)

    def _filter_entry(
        self, rt: Runtime, q: Query, entry: Entry
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The query's top-k from a cached list (None: the filters removed too much)."""
        ids, vals = entry.ids, entry.scores
        if q.exclude or q.category is not None:
            keep = np.isfinite(self._mask(rt, np.zeros(len(rt.catalogue), np.float32), q)[ids])
            ids, vals = ids[keep], vals[keep]
        if ids.size < q.k and not entry.complete:
            return None  # score the full catalogue instead
        return ids[: q.k], vals[: q.k]

    def for_history(self, item_ids: Sequence[str], q: Query) -> dict[str, Any]:
        rt = self.runtime
        served = self.slot(rt, q.model)
        idx = rt.catalogue.items.indices(item_ids)
        unknown = [i for i, x in zip(item_ids, idx, strict=True) if x < 0]
        if unknown:
            shown = ", ".join(repr(i) for i in unknown[:5])
            raise ServeError(422, f"history: unknown item id(s) {shown}")
        if idx.size == 0:
            return self._fallback(rt, served, q, user_id=None)
        hist = idx.astype(np.int32)
        ids, vals = self.rank(rt, q, served.score_one(hist, -1), hist)
        return self._response(rt, served, q, "history", ids, vals, None)

    def _mask(self, rt: Runtime, scores: np.ndarray, q: Query) -> np.ndarray:
        """Apply ``exclude`` and ``category`` to one row of scores, in place."""
        if q.exclude:
            idx = rt.catalogue.items.indices(q.exclude)
            scores[idx[idx >= 0]] = -np.inf
        if q.category is not None:
            outside = rt.catalogue.outside(q.category)
            if outside is None:
                raise ServeError(422, f"category: no items in category '{q.category}'")
            scores[outside] = -np.inf
        return scores

    def _fallback(
        self, rt: Runtime, served: ServedModel, q: Query, *, user_id: str | None
    ) -> dict[str, Any]:
        scores = self._mask(rt, rt.users.counts.astype(np.float32), q)
        ids, vals = top_row(scores, q.k)
        return self._response(rt, served, q, "fallback", ids, vals, user_id)

    @staticmethod
    def _response(
        rt: Runtime,
        served: ServedModel,
        q: Query,
        policy: str,
        ids: np.ndarray,
        scores: np.ndarray,
        user_id: str | None,
    ) -> dict[str, Any]:
        cat = rt.catalogue
        items = [
            {
                "item_id": cat.id(i),
                "score": float(s),
                "title": cat.titles[i],
                "category": cat.categories[i],
            }
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
            if i >= 0
        ]
        return {
            "user_id": user_id,
            "model": q.model,
            "model_name": served.name,
            "model_version": served.version,
            "policy": policy,
            "items": items,
        }

    # -- warm-up ---------------------------------------------------------------
    def warm(self, limit: int, batch: int = 16) -> int:
        """Fill the cache for up to ``limit`` users, most recently active first.

        Runs on a background thread after start and after each reload; scores in
        small batches, so live requests wait at most one batch for the model. Stops
        early when a reload replaces the runtime. Returns the lists computed.
        """
        rt = self.runtime
        if rt.cache.size <= 0 or limit <= 0:
            return 0
        users = rt.users.recent_first(min(limit, rt.cache.size))
        t0 = time.perf_counter()
        done = 0
        seen: set[str] = set()
        for served in rt.models.slots():
            if served.name in seen and served.slot == "teacher":
                continue
            seen.add(served.name)
            for start in range(0, len(users), batch):
                if self.runtime is not rt:
                    return done
                chunk = users[start : start + batch]
                hists = [rt.users.history(int(u)) for u in chunk]
                mus = [rt.users.model_user(int(u), served.model.n_users) for u in chunk]
                scores = served.score(stack(hists, mus))
                for row, u, hist in zip(scores, chunk, hists, strict=True):
                    masked = np.array(row, dtype=np.float32, copy=True)
                    masked[hist] = -np.inf
                    rt.cache.put((served.slot, int(u), True), cache_entry(masked, int(hist.size)))
                    done += 1
        self.warmed = done
        log.info("serve: cache warmed with %d lists in %.1fs", done, time.perf_counter() - t0)
        return done

    # -- events ----------------------------------------------------------------
    def check_event(self, item_id: str) -> None:
        if self.runtime.catalogue.items.get(item_id) < 0:
            raise ServeError(422, f"item_id: unknown item '{item_id}'")

    async def record(
        self, user_id: str, item_id: str, timestamp: int, event_id: str | None
    ) -> tuple[StoredEvent, bool, bool]:
        """Commit one event with the others arriving together; ``(event, created,
        new_user)``. Answered once the event is durable and applied to the users."""
        self.check_event(item_id)
        new_user = user_id not in self.runtime.users.index
        try:
            got = await self.writer.append(NewEvent(user_id, item_id, timestamp, event_id))
        except StoreUnavailable as exc:
            raise ServeError(503, f"event store unavailable: {exc}") from None
        if isinstance(got, EventConflict):
            raise ServeError(409, str(got))
        stored, created = got
        return stored, created, new_user and created

    # -- reload ----------------------------------------------------------------
    async def reload(self) -> dict[str, Any]:
        """Rebuild from the run folder off the event loop, then swap one reference."""
        async with self._reload_lock:
            old = self.runtime
            new = await run_in_threadpool(
                build_runtime,
                self.run_dir,
                self.store,
                model=self.model_override,
                previous=old,
                cache_size=self.cache_size,
            )
            self.runtime = new
            old.models.close()  # their threads finish the requests already queued
            if new.users is not old.users:
                # Events committed while the new users were being read.
                await run_in_threadpool(new.users.catch_up, self.store, new.catalogue)
            self.reloads += 1
        changed = {
            m.slot: {"from": (old.models.get(m.slot) or m).version, "to": m.version}
            for m in new.models.slots()
        }
        log.info("serve: reloaded %s", changed)
        return {
            "reloaded": True,
            "models": {m.slot: m.info() for m in new.models.slots()},
            "versions": changed,
            "users_rebuilt": new.users is not old.users,
            "note": new.models.note,
        }

"""Efficiency figures for any model: parameters, serving bytes, latency.

Latency is wall-clock time of ``recommend`` (score + mask + top-k) per user,
measured single (one request at a time) and batched (``batch`` users per
call), on users drawn from the history table. Single requests run on one
thread (torch and BLAS), as one serving worker answers one request: with
several threads, tiny per-request operations spend more on thread hand-offs
than on work (on this project's 2-core machine under load, a transformer's
single-user pass took ~2 ms on one thread and >100 ms on two). Batched calls
use every thread. It is a measurement on the machine at hand; compare ratios
measured in one run, not absolute numbers across runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from recdistill.data.types import Interactions
from recdistill.models.base import Histories, Recommender


@dataclass(frozen=True)
class Efficiency:
    params: int
    serving_bytes: int
    latency_ms_per_user: float
    latency_ms_per_user_batched: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "params": self.params,
            "serving_bytes": self.serving_bytes,
            "latency_ms_per_user": self.latency_ms_per_user,
            "latency_ms_per_user_batched": self.latency_ms_per_user_batched,
        }


@contextmanager
def one_thread() -> Iterator[None]:
    """Limit BLAS/OpenMP pools, and torch if it is loaded, to one thread."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None and before is not None:
                torch.set_num_threads(before)


def measure_latency(
    model: Recommender,
    history: Interactions,
    *,
    n_users: int = 200,
    batch: int = 256,
    k: int = 10,
    seed: int = 0,
) -> tuple[float, float]:
    """(single, batched) milliseconds per user for ``recommend``."""
    present = history.users_present()
    rng = np.random.default_rng(seed)
    users = rng.choice(present, size=min(n_users, len(present)), replace=False)
    ptr = history.indptr()
    singles = [Histories.of_users(history, users[i : i + 1], ptr) for i in range(len(users))]
    with one_thread():
        model.recommend(singles[0], k)  # warm-up (lazy init, caches)
        t0 = time.perf_counter()
        for h in singles:
            model.recommend(h, k)
        single = (time.perf_counter() - t0) * 1000.0 / len(singles)
    big = Histories.of_users(history, np.resize(users, max(batch, len(users))), ptr)
    model.recommend(big, k)
    t0 = time.perf_counter()
    model.recommend(big, k)
    batched = (time.perf_counter() - t0) * 1000.0 / len(big)
    return single, batched


def measure(model: Recommender, history: Interactions, n_users: int = 200) -> Efficiency:
    single, batched = measure_latency(model, history, n_users=n_users)
    return Efficiency(model.n_params(), model.serving_bytes(), single, batched)

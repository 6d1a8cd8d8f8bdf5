"""What a model will cost before it is fitted: peak memory, fit time, one evaluation.

Each model's :meth:`~recdistill.models.base.Recommender.estimate` answers from
the data's size alone (users, items, training interactions, users scored per
evaluation), with the arithmetic of its algorithm and throughputs measured on
this project's 2-core machine (:data:`DENSE_FLOPS` and friends). The estimates
are deliberately rough (within a few times): they exist so that a baseline
whose memory would not fit, or whose grid would not fit its share of the time
budget, is shrunk or skipped *before* it runs, not after the machine swaps.
"""

from __future__ import annotations

from dataclasses import dataclass

#: dense float32 matrix products (BLAS), floating-point operations per second
DENSE_FLOPS = 2.0e10
#: element-wise work on dense arrays (masking, top-k selection), elements per second
DENSE_ELEMENTS = 2.0e8
#: sparse products, stored entries touched per second
SPARSE_ENTRIES = 5.0e7


@dataclass(frozen=True)
class DataSize:
    """The sizes an estimate reads.

    Attributes:
        users: training users.
        items: catalogue size.
        interactions: training interactions.
        eval_users: users scored in one evaluation (validation or test).
    """

    users: int
    items: int
    interactions: int
    eval_users: int

    @property
    def per_user(self) -> float:
        return self.interactions / max(self.users, 1)

    @property
    def per_item(self) -> float:
        return self.interactions / max(self.items, 1)


@dataclass(frozen=True)
class Cost:
    """Peak bytes while fitting or scoring, seconds of one fit, seconds of one evaluation."""

    memory_bytes: float
    fit_seconds: float
    eval_seconds: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            max(self.memory_bytes, other.memory_bytes),
            self.fit_seconds + other.fit_seconds,
            self.eval_seconds + other.eval_seconds,
        )


def ranking_seconds(size: DataSize) -> float:
    """Masking and exact top-k over the catalogue for every evaluated user."""
    return size.eval_users * size.items / DENSE_ELEMENTS


def scores_bytes(size: DataSize, batch: int = 1024) -> float:
    """One evaluation batch of dense float32 scores (and its copy)."""
    return 2.0 * 4.0 * min(batch, max(size.eval_users, 1)) * size.items

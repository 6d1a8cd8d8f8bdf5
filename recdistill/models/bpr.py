"""BPR-MF (Rendle et al., UAI 2009) trained with ``implicit``'s CPU solver."""

from __future__ import annotations

from typing import Any

import numpy as np
from implicit.cpu.bpr import BayesianPersonalizedRanking
from pydantic import Field
from scipy import sparse

from recdistill.models._factors import FactorModel
from recdistill.models.base import ModelConfig, register
from recdistill.models.cost import DENSE_FLOPS, Cost, DataSize, ranking_seconds, scores_bytes
from recdistill.models.state import Dense, declare


class BPRConfig(ModelConfig):
    """Hyperparameters of :class:`BPR`."""

    factors: int = Field(64, ge=1, description="Latent dimensions (plus one item bias).")
    learning_rate: float = Field(0.01, gt=0.0, description="SGD step size.")
    regularization: float = Field(0.01, ge=0.0, description="L2 penalty on the factors.")
    iterations: int = Field(100, ge=1, description="Epochs over the training interactions.")


@register
class BPR(FactorModel):
    """Matrix factorisation ``score(u, i) = p_u . q_i + b_i`` trained with the BPR loss.

    Known users (``0 <= users[b] < U``) use their learned factor ``p_u``.
    Unknown users are folded in as the mean of their history items' factors,
    ``p = mean_{i in h} q_i`` (cheap, no solve; BPR has no closed-form
    fold-in); an empty history gives ``p = 0``, i.e. the item biases, a
    popularity-like ranking.

    Fitting is bit-reproducible for a seed only with ``FitOptions.threads=1``
    (implicit's multi-threaded SGD is lock-free).

    State: ``user_factors`` (``U x F``), ``item_factors`` (``I x F``),
    ``item_bias`` (``[I]``), all float32.
    """

    kind = "bpr"
    Config = BPRConfig
    config: BPRConfig
    solver = BayesianPersonalizedRanking
    STATE = declare({**FactorModel.STATE, "item_bias": Dense("item_bias")})
    item_bias: np.ndarray

    def estimate(self, size: DataSize) -> Cost:
        """SGD: every interaction once per iteration, ``F`` multiply-adds each."""
        c = self.config
        return Cost(
            memory_bytes=8.0 * (size.users + size.items) * (c.factors + 1) + scores_bytes(size),
            fit_seconds=size.interactions * c.iterations * (c.factors + 1) / 2.5e8,
            eval_seconds=2.0 * size.eval_users * size.items * c.factors / DENSE_FLOPS
            + ranking_seconds(size),
        )

    def solver_params(self) -> dict[str, Any]:
        c = self.config
        return {
            "factors": c.factors,
            "learning_rate": c.learning_rate,
            "regularization": c.regularization,
            "iterations": c.iterations,
        }

    def set_factors(self, users: np.ndarray, items: np.ndarray) -> None:
        # implicit appends a column: 1 for users, the bias for items.
        f = self.config.factors
        self.user_factors = np.ascontiguousarray(users[:, :f])
        self.item_factors = np.ascontiguousarray(items[:, :f])
        self.item_bias = np.ascontiguousarray(items[:, f])

    def fold_in(self, h: sparse.csr_matrix) -> np.ndarray:
        """The mean of the history items' factors (zero for an empty history)."""
        counts = np.asarray(h.sum(axis=1), dtype=np.float32).ravel()
        sums = np.asarray(h @ self.item_factors, dtype=np.float32)
        out: np.ndarray = sums / np.maximum(counts, 1.0)[:, None]
        return out

    def add_bias(self, scores: np.ndarray) -> None:
        scores += self.item_bias[None, :]

"""BPR-MF (Rendle et al., UAI 2009) trained with ``implicit``'s CPU solver."""

from __future__ import annotations

from typing import Self

import numpy as np
from implicit.cpu.bpr import BayesianPersonalizedRanking
from pydantic import Field

from recdistill.models._implicit import as_numpy, fit_implicit
from recdistill.models._sparse import history_matrix, known_users
from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)


class BPRConfig(ModelConfig):
    """Hyperparameters of :class:`BPR`."""

    factors: int = Field(64, ge=1, description="Latent dimensions (plus one item bias).")
    learning_rate: float = Field(0.01, gt=0.0, description="SGD step size.")
    regularization: float = Field(0.01, ge=0.0, description="L2 penalty on the factors.")
    iterations: int = Field(100, ge=1, description="Epochs over the training interactions.")


@register
class BPR(Recommender):
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

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        f = self.config.factors
        self.user_factors = np.zeros((0, f), dtype=np.float32)
        self.item_factors = np.zeros((0, f), dtype=np.float32)
        self.item_bias = np.zeros(0, dtype=np.float32)

    def fit(self, data: TrainData, options: FitOptions | None = None) -> Self:
        self.n_users, self.n_items = data.n_users, data.n_items
        c = self.config
        model = fit_implicit(
            BayesianPersonalizedRanking,
            data.matrix,
            options,
            factors=c.factors,
            learning_rate=c.learning_rate,
            regularization=c.regularization,
            iterations=c.iterations,
        )
        # implicit appends a column: 1 for users, the bias for items.
        users, items = as_numpy(model.user_factors), as_numpy(model.item_factors)
        self.user_factors = np.ascontiguousarray(users[:, : c.factors])
        self.item_factors = np.ascontiguousarray(items[:, : c.factors])
        self.item_bias = np.ascontiguousarray(items[:, c.factors])
        return self

    def user_vectors(self, batch: Histories) -> np.ndarray:
        """``B x F`` float32 user factors: learned for known users, folded in otherwise."""
        known = known_users(batch, self.n_users)
        out = np.zeros((len(batch), self.config.factors), dtype=np.float32)
        out[known] = self.user_factors[batch.users[known]]
        if not known.all():
            unknown = np.flatnonzero(~known)
            h = history_matrix(batch, self.n_items)[unknown]
            counts = np.asarray(h.sum(axis=1), dtype=np.float32).ravel()
            sums = np.asarray(h @ self.item_factors, dtype=np.float32)
            out[unknown] = sums / np.maximum(counts, 1.0)[:, None]
        return out

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores ``P Q^T + b``."""
        scores = self.user_vectors(batch) @ self.item_factors.T
        scores += self.item_bias[None, :]
        return np.ascontiguousarray(scores, dtype=np.float32)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "item_bias": self.item_bias,
        }

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.user_factors = np.asarray(state["user_factors"], dtype=np.float32)
        self.item_factors = np.asarray(state["item_factors"], dtype=np.float32)
        self.item_bias = np.asarray(state["item_bias"], dtype=np.float32)

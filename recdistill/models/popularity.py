"""Most-popular baseline: every user gets the same scores, the item's training count."""

from __future__ import annotations

from typing import Self

import numpy as np

from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)


class PopularityConfig(ModelConfig):
    """Popularity has no hyperparameters."""


@register
class Popularity(Recommender):
    """Scores item ``i`` by the number of distinct training users who interacted with it.

    ``score`` returns the same ``B x I`` rows for every user, known, unknown
    or with an empty history. State: ``counts`` (float32 ``[I]``).
    """

    kind = "popularity"
    Config = PopularityConfig
    config: PopularityConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, data: TrainData, options: FitOptions | None = None) -> Self:
        self.n_users, self.n_items = data.n_users, data.n_items
        self.counts = np.asarray(data.matrix.sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32: the count row repeated for each user."""
        return np.tile(self.counts, (len(batch), 1))

    def state(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.counts = np.asarray(state["counts"], dtype=np.float32)

"""Most-popular baseline: every user gets the same scores, the item's training count."""

from __future__ import annotations

import numpy as np

from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)
from recdistill.models.state import Dense, declare


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
    STATE = declare({"counts": Dense("counts")})
    counts: np.ndarray

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        self.counts = np.asarray(data.matrix.sum(axis=0), dtype=np.float32).ravel()

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32: the count row repeated for each user."""
        return np.tile(self.counts, (len(batch), 1))

"""Weighted blend of a collaborative model and a content model, row-normalised."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    build_model,
    register,
)
from recdistill.models.cost import Cost, DataSize


class SubModel(ModelConfig):
    """A model inside another: its registered kind and its config parameters."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class HybridConfig(ModelConfig):
    """Hyperparameters of :class:`Hybrid`. ``weight`` is meant to be tuned on validation."""

    cf: SubModel = Field(
        default_factory=lambda: SubModel(kind="ease"), description="The collaborative model."
    )
    content: SubModel = Field(
        default_factory=lambda: SubModel(kind="tfidf"), description="The content model."
    )
    weight: float = Field(0.8, ge=0.0, le=1.0, description="Share of the collaborative model.")
    normalize: Literal["minmax", "zscore"] = Field(
        "minmax", description="Per-row normalisation of each model's scores before blending."
    )


def normalize_rows(scores: np.ndarray, method: str) -> np.ndarray:
    """Row-normalised copy of a ``B x I`` matrix (float32); constant rows become zeros.

    ``minmax`` maps each row to ``[0, 1]``; ``zscore`` to mean 0, std 1.
    """
    s = scores.astype(np.float64)
    if method == "zscore":
        centre = s.mean(axis=1, keepdims=True)
        scale = s.std(axis=1, keepdims=True)
    else:
        centre = s.min(axis=1, keepdims=True)
        scale = s.max(axis=1, keepdims=True) - centre
    out = np.divide(s - centre, scale, out=np.zeros_like(s), where=scale > 0)
    return out.astype(np.float32)


@register
class Hybrid(Recommender):
    """``weight * norm(cf) + (1 - weight) * norm(content)``, per row.

    Each sub-model's ``B x I`` scores are normalised per row (min-max to
    ``[0, 1]`` by default, or z-score) so that the blend does not depend on
    their scales. A sub-model's all-equal row (e.g. zeros for an empty
    history) contributes zero. Unknown users and empty histories are handled
    by each sub-model's own policy.

    State: the sub-models' arrays under ``cf.`` and ``content.`` prefixes;
    ``meta`` records their kinds, full configs and metadata.
    """

    kind = "hybrid"
    Config = HybridConfig
    config: HybridConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.cf = build_model(self.config.cf.kind, self.config.cf.params)
        self.content = build_model(self.config.content.kind, self.config.content.params)

    def parts(self) -> dict[str, Recommender]:
        return {"cf": self.cf, "content": self.content}

    def estimate(self, size: DataSize) -> Cost:
        """Both parts, fitted and scored one after the other."""
        return self.cf.estimate(size) + self.content.estimate(size)

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        for model in self.parts().values():
            model.fit(data, options)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 blended scores."""
        c = self.config
        out = normalize_rows(self.cf.score(batch), c.normalize) * np.float32(c.weight)
        out += normalize_rows(self.content.score(batch), c.normalize) * np.float32(1 - c.weight)
        return out

    def state(self) -> dict[str, np.ndarray]:
        return {
            f"{name}.{key}": value
            for name, model in self.parts().items()
            for key, value in model.state().items()
        }

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        for name, model in self.parts().items():
            prefix = f"{name}."
            model.load_state(
                {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            )

    def n_params(self) -> int:
        return sum(model.n_params() for model in self.parts().values())

    def meta(self) -> dict[str, Any]:
        out = super().meta()
        for name, model in self.parts().items():
            out[name] = {"kind": model.kind, "config": model.get_config(), "meta": model.meta()}
        return out

    def load_meta(self, meta: dict[str, Any]) -> None:
        for name, model in self.parts().items():
            sub = meta.get(name, {}).get("meta", {})
            model.n_users = int(sub.get("n_users", self.n_users))
            model.n_items = int(sub.get("n_items", self.n_items))
            model.load_meta(sub)

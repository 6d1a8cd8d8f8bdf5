"""Models behind one contract (:class:`recdistill.models.base.Recommender`)."""

from recdistill.models.base import (
    MODELS,
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    build_model,
    load_model,
    model_class,
    register,
    top_k,
)

__all__ = [
    "MODELS",
    "FitOptions",
    "Histories",
    "ModelConfig",
    "Recommender",
    "TrainData",
    "build_model",
    "load_model",
    "model_class",
    "register",
    "top_k",
]

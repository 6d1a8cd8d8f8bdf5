"""Models behind one contract (:class:`recdistill.models.base.Recommender`).

Importing this package registers the built-in baselines in :data:`MODELS`:

==============  ===============================================================
kind            model
==============  ===============================================================
``popularity``  training counts, the same for everyone
``itemknn``     item-item cosine/pearson neighbours, ``h @ S``
``userknn``     user-user cosine/pearson neighbours
``tfidf``       content: cosine of TF-IDF item text with the history profile
``ease``        EASE closed form, ``h @ B``
``bpr``         BPR matrix factorisation (implicit)
``ials``        implicit ALS (implicit), exact fold-in for unknown users
``hybrid``      row-normalised blend of a collaborative and a content model
``sasrec``      causal transformer over the history (teacher; small: a student)
``twotower``    history-pooled two-tower student (no user table)
==============  ===============================================================

Policy for histories the model cannot use: item-based models (itemknn,
userknn, tfidf, ease) score any history, known user or not, and score an empty
history zero everywhere; factor models use the learned factor of a known user
and fold an unknown one in from its history (bpr: zero factor, i.e. item
biases, for an empty history; ials: zero scores). Popularity ignores the
history. The server applies its own explicit fallback for empty histories.
"""

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
from recdistill.models.bpr import BPR, BPRConfig
from recdistill.models.ease import EASE, EASEConfig
from recdistill.models.hybrid import Hybrid, HybridConfig, SubModel
from recdistill.models.ials import IALS, IALSConfig
from recdistill.models.itemknn import ItemKNN, ItemKNNConfig
from recdistill.models.popularity import Popularity, PopularityConfig
from recdistill.models.sasrec import SASRec, SASRecConfig
from recdistill.models.tfidf import Tfidf, TfidfConfig
from recdistill.models.twotower import TwoTower, TwoTowerConfig
from recdistill.models.userknn import UserKNN, UserKNNConfig

__all__ = [
    "BPR",
    "EASE",
    "IALS",
    "MODELS",
    "BPRConfig",
    "EASEConfig",
    "FitOptions",
    "Histories",
    "Hybrid",
    "HybridConfig",
    "IALSConfig",
    "ItemKNN",
    "ItemKNNConfig",
    "ModelConfig",
    "Popularity",
    "PopularityConfig",
    "Recommender",
    "SASRec",
    "SASRecConfig",
    "SubModel",
    "Tfidf",
    "TfidfConfig",
    "TrainData",
    "TwoTower",
    "TwoTowerConfig",
    "UserKNN",
    "UserKNNConfig",
    "build_model",
    "load_model",
    "model_class",
    "register",
    "top_k",
]

"""The one model contract shared by baselines, teachers and students.

Every model implements the same three verbs (STYLE.md #1, #5):

- ``fit(data, options)``: learn from a :class:`TrainData` table; run context
  (seed, device, threads, progress, validation) comes in :class:`FitOptions`,
  never in the model's config. ``fit`` is a template: it records the data's
  sizes, calls the model's ``_fit`` once, then ``_derive`` (arrays computed from
  the state, also run after loading), and returns the model.
- ``score(batch)``: a dense ``B x I`` float32 matrix of scores for a
  :class:`Histories` batch (``B`` users, ``I`` items). Each row carries the
  user's index as seen at fit time (or -1 when the model never saw the user)
  and their history, oldest first. Sequential models read the history's
  order, item-based ones its set, factor models the user index (folding the
  history in where the user is unknown). So the evaluator, the distiller and
  the server call every model the same way, including for a history given at
  request time.
- ``recommend(batch, k, ...)``: top-k ``(ids, scores)`` arrays with explicit
  filters (exclude the history, an extra exclusion matrix, an allow list).

Artifacts are a folder with ``config.json`` (kind, typed config, metadata) and
``state.safetensors`` (arrays); no pickle. ``state()`` holds exactly what
serving needs, so ``serving_bytes`` is honest by construction; most models
declare it (``STATE``, :mod:`recdistill.models.state`) instead of writing it.

What a model class declares besides ``kind`` and ``Config``:

- ``STATE``: its serving arrays (default ``state()`` / ``load_state()``);
- ``distillable``: it accepts a teacher handle in ``FitOptions.distill`` (its
  trainer implements :class:`~recdistill.train.StudentTrainer`);
- ``quantizations``: the precisions :meth:`Recommender.quantized` can serve it in.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors.numpy import load_file, save_file
from scipy import sparse

from recdistill.data.views import Histories, Scorer, TrainData
from recdistill.errors import ConfigError
from recdistill.models.cost import Cost, DataSize, ranking_seconds, scores_bytes
from recdistill.models.ranking import mask_scores, top_k, top_row
from recdistill.models.state import StateField
from recdistill.train.options import FitOptions

__all__ = [
    "MODELS",
    "FitOptions",
    "Histories",
    "ModelConfig",
    "Recommender",
    "Scorer",
    "TrainData",
    "build_model",
    "load_model",
    "mask_scores",
    "model_class",
    "register",
    "top_k",
    "top_row",
]

FORMAT_VERSION = 1


class ModelConfig(BaseModel):
    """Base of every model's typed config: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Recommender(ABC):
    """Base class of every model. Subclasses set ``kind`` and ``Config``."""

    kind: ClassVar[str]
    Config: ClassVar[type[ModelConfig]]
    #: serving arrays: safetensors key -> the attribute holding it (see module docstring)
    STATE: ClassVar[Mapping[str, StateField]] = {}
    #: whether ``FitOptions.distill`` is honoured (a neural student of the epoch loop)
    distillable: ClassVar[bool] = False
    #: precisions :meth:`quantized` accepts (empty: the model is served as trained)
    quantizations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()
        self.n_users = 0
        self.n_items = 0
        for spec in self.STATE.values():
            setattr(self, spec.attr, spec.empty())

    # -- the contract ------------------------------------------------------
    def fit(self, data: TrainData, options: FitOptions | None = None) -> Self:
        """Learn from ``data`` (see the module docstring). Returns self."""
        self.n_users, self.n_items = data.n_users, data.n_items
        self._fit(data, options if options is not None else FitOptions())
        self._derive()
        return self

    @abstractmethod
    def _fit(self, data: TrainData, options: FitOptions) -> None:
        """Learn the state from ``data`` (``n_users`` / ``n_items`` already set)."""

    def _derive(self) -> None:
        """Recompute whatever is derived from the state (after ``fit`` and after loading)."""
        return None

    @abstractmethod
    def score(self, batch: Histories) -> np.ndarray:
        """Scores ``B x n_items`` (float32) for a batch of users/histories."""

    def state(self) -> dict[str, np.ndarray]:
        """Every array needed to answer requests (saved to safetensors)."""
        out: dict[str, np.ndarray] = {}
        for key, spec in self.STATE.items():
            out.update(spec.pack(key, getattr(self, spec.attr)))
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore from :meth:`state` output (``n_users``/``n_items`` already set)."""
        for key, spec in self.STATE.items():
            setattr(self, spec.attr, spec.unpack(key, state, self.kind))
        self._derive()

    def recommend(
        self,
        batch: Histories,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        exclude: sparse.csr_matrix | None = None,
        allow: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item indices and scores, ``B x k`` each, best first.

        Args:
            batch: users and histories.
            k: list length.
            exclude_seen: drop items in each row's history.
            exclude: optional ``B x I`` sparse matrix; nonzero entries are dropped.
            allow: optional item indices; only these may be recommended.
        """
        scores = np.array(self.score(batch), dtype=np.float32, copy=True)
        mask_scores(scores, batch, exclude_seen=exclude_seen, exclude=exclude, allow=allow)
        return top_k(scores, k)

    def quantized(self, precision: str) -> Recommender:
        """A copy served from fewer bits (``precision`` in :attr:`quantizations`)."""
        raise ConfigError(
            f"quantize: model '{self.kind}' cannot be quantized "
            f"(precisions it supports: {', '.join(self.quantizations) or 'none'})"
        )

    # -- cost before fitting -------------------------------------------------
    def estimate(self, size: DataSize) -> Cost:
        """Peak memory, one fit's and one evaluation's seconds on data of ``size``.

        The default suits models whose state is a few numbers per user and item and
        whose fit is a pass over the interactions; models that grow faster override
        it (:mod:`recdistill.models.cost`).
        """
        state = 4.0 * 64 * (size.users + size.items)
        return Cost(
            memory_bytes=state + scores_bytes(size),
            fit_seconds=size.interactions / 1e7,
            eval_seconds=ranking_seconds(size),
        )

    # -- sizes -------------------------------------------------------------
    def n_params(self) -> int:
        """Learned (or stored floating-point) numbers needed at serving time."""
        return int(sum(a.size for a in self.state().values() if a.dtype.kind == "f"))

    def serving_bytes(self) -> int:
        """Bytes of every array needed at serving time."""
        return int(sum(a.nbytes for a in self.state().values()))

    # -- artifacts ---------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        """JSON-safe metadata saved beside the config (extend in subclasses)."""
        return {"n_users": self.n_users, "n_items": self.n_items}

    def load_meta(self, meta: dict[str, Any]) -> None:
        """Restore extra metadata written by :meth:`meta` (override when extended)."""
        return None

    def save(self, path: Path) -> Path:
        """Write ``config.json`` + ``state.safetensors`` into folder ``path``."""
        path.mkdir(parents=True, exist_ok=True)
        state = {k: np.ascontiguousarray(v) for k, v in self.state().items()}
        save_file(state, str(path / "state.safetensors"))
        doc = {
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "config": self.config.model_dump(mode="json"),
            "meta": self.meta(),
        }
        (path / "config.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_config(cls, params: dict[str, Any] | ModelConfig) -> Self:
        """A model from its typed config, or from a plain dict validated into one."""
        if isinstance(params, ModelConfig):
            if not isinstance(params, cls.Config):
                raise ConfigError(f"model '{cls.kind}': expected a {cls.Config.__name__}")
            return cls(params)
        try:
            return cls(cls.Config.model_validate(params))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            msg = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
            raise ConfigError(f"model '{cls.kind}': parameter '{loc}': {msg}") from None

    def get_config(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")


MODELS: dict[str, type[Recommender]] = {}


M = TypeVar("M", bound=type[Recommender])


def register(cls: M) -> M:
    """Class decorator: make a model available by its ``kind``.

    The built-in models register when :mod:`recdistill.models` is imported,
    which any import of one of its modules does first.
    """
    MODELS[cls.kind] = cls
    return cls


def model_class(kind: str) -> type[Recommender]:
    try:
        return MODELS[kind]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(f"unknown model kind '{kind}' (known: {known})") from None


def build_model(kind: str, params: dict[str, Any] | ModelConfig | None = None) -> Recommender:
    return model_class(kind).from_config(params if params is not None else {})


def load_model(path: Path) -> Recommender:
    """Load a model folder written by :meth:`Recommender.save` (no pickle)."""
    cfg_file = path / "config.json"
    if not cfg_file.exists():
        raise ConfigError(f"{path}: not a model folder (no config.json)")
    doc = json.loads(cfg_file.read_text(encoding="utf-8"))
    model = build_model(doc["kind"], doc["config"])
    meta = doc.get("meta", {})
    model.n_users = int(meta.get("n_users", 0))
    model.n_items = int(meta.get("n_items", 0))
    model.load_meta(meta)
    model.load_state(load_file(str(path / "state.safetensors")))
    return model

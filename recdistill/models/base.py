"""The one model contract shared by baselines, teachers and students.

Every model implements the same three verbs (STYLE.md #1, #5):

- ``fit(data, options)``: learn from a :class:`TrainData` table; run context
  (seed, device, threads, progress) comes in :class:`FitOptions`, never in the
  model's config.
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
serving needs, so ``serving_bytes`` is honest by construction.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors.numpy import load_file, save_file
from scipy import sparse

from recdistill.data.types import Interactions
from recdistill.errors import ConfigError

if TYPE_CHECKING:  # the loop imports this module; only its type is needed here
    from recdistill.train.loop import EpochTrainer

FORMAT_VERSION = 1


class ModelConfig(BaseModel):
    """Base of every model's typed config: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Histories:
    """A batch of ``B`` users and their histories, in CSR layout.

    Attributes:
        users: int64 ``[B]``; the user's index at fit time, or -1 if unknown.
        indptr: int64 ``[B + 1]``; row ``b`` is ``items[indptr[b]:indptr[b+1]]``.
        items: int32 ``[nnz]``; item indices, oldest first within a row.

    Example:
        >>> h = Histories.from_lists([[3, 1], []], users=[0, -1])
        >>> h.row(0).tolist(), len(h)
        ([3, 1], 2)
    """

    users: np.ndarray
    indptr: np.ndarray
    items: np.ndarray

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def row(self, b: int) -> np.ndarray:
        return self.items[self.indptr[b] : self.indptr[b + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def csr(self, n_items: int) -> sparse.csr_matrix:
        """Binary ``B x n_items`` matrix of the histories (repeats count once)."""
        data = np.ones(self.items.shape[0], dtype=np.float32)
        m = sparse.csr_matrix(
            (data, self.items.copy(), self.indptr.copy()), shape=(len(self), n_items)
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    @staticmethod
    def from_lists(
        lists: Sequence[Sequence[int]], users: Sequence[int] | np.ndarray | None = None
    ) -> Histories:
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        items = (
            np.concatenate([np.asarray(x, dtype=np.int32) for x in lists])
            if len(lists) and indptr[-1] > 0
            else np.zeros(0, dtype=np.int32)
        )
        u = np.full(len(lists), -1, dtype=np.int64) if users is None else np.asarray(users)
        return Histories(u.astype(np.int64), indptr, items.astype(np.int32))

    @staticmethod
    def of_users(
        table: Interactions, users: np.ndarray, indptr: np.ndarray | None = None
    ) -> Histories:
        """Histories of ``users`` taken from a table sorted by (user, time)."""
        ptr = table.indptr() if indptr is None else indptr
        users = np.asarray(users, dtype=np.int64)
        starts, ends = ptr[users], ptr[users + 1]
        lengths = ends - starts
        out_ptr = np.zeros(len(users) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_ptr[1:])
        if out_ptr[-1] == 0:
            return Histories(users, out_ptr, np.zeros(0, dtype=np.int32))
        # Gather the rows' slices without a Python loop.
        offsets = np.repeat(starts - out_ptr[:-1], lengths)
        idx = np.arange(out_ptr[-1], dtype=np.int64) + offsets
        return Histories(users, out_ptr, table.item[idx].astype(np.int32))


@dataclass
class TrainData:
    """What a model learns from: a training table plus item side information.

    Attributes:
        interactions: the training interactions (sorted by user, time).
        item_text: per item, the text a language model or TF-IDF reads.
        item_category: per item, a category string ('' when unknown).
    """

    interactions: Interactions
    item_text: list[str] = field(default_factory=list)
    item_category: list[str] = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return self.interactions.n_users

    @property
    def n_items(self) -> int:
        return self.interactions.n_items

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        """Binary user x item training matrix (float32 CSR)."""
        return self.interactions.csr()

    @cached_property
    def indptr(self) -> np.ndarray:
        return self.interactions.indptr()

    def histories(self, users: np.ndarray) -> Histories:
        return Histories.of_users(self.interactions, users, self.indptr)


@dataclass(frozen=True)
class FitOptions:
    """Run context for training: not hyperparameters (STYLE.md #3).

    Attributes:
        seed: random seed.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda[:N]``.
        threads: CPU threads for numeric work (None: library default).
        progress: show progress bars.
        out_dir: folder for checkpoints and logs of this model (None: none kept).
        validate: callback scoring a model on the validation split (higher is
            better, e.g. NDCG@10); iterative models use it for early stopping and
            best-epoch selection. Built by the pipeline, so models never import
            the evaluator. Returns validation metrics by name.
        select_metric: the key of ``validate``'s result to maximise.
        distill: the teacher handle (built by :mod:`recdistill.distill`): given a
            neural model's trainer and the training data, returns a trainer whose
            loss adds distillation terms. None: train on the ground truth alone.
            Models that do not train through the epoch loop ignore it.
    """

    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    progress: bool = True
    out_dir: Path | None = None
    validate: Callable[[Recommender], dict[str, float]] | None = None
    select_metric: str = "ndcg@10"
    distill: Callable[[EpochTrainer, TrainData], EpochTrainer] | None = None


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k of a ``B x I`` matrix, best first; ties broken by lower item index.

    Exact at the boundary too: of the items tied with the k-th score, the
    lowest indices are taken. Entries equal to ``-inf`` are never returned as
    real items: rows with fewer than k finite scores are padded with id -1 and
    score -inf.
    """
    b, n = scores.shape
    k = min(k, n)
    if k <= 0:
        return np.zeros((b, 0), dtype=np.int64), np.zeros((b, 0), dtype=np.float32)
    if b == 1:  # one request: a cheaper path for a vector
        ids_1, vals_1 = _top_k_row(scores[0], k)
        return ids_1[None, :], vals_1[None, :]
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), (b, n)).copy()
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(vals, order, axis=1)
    redo: np.ndarray = np.zeros(0, dtype=np.int64)
    if k < n:
        # The partition picks arbitrary members of a tie at the k-th score: redo the
        # (rare) rows where an item tied with it was left out, exactly.
        kth = vals[:, -1:]
        left_out = (scores == kth).sum(axis=1) > (vals == kth).sum(axis=1)
        redo = np.flatnonzero(left_out & np.isfinite(kth[:, 0]))
    vals = vals.astype(np.float32)
    for r in redo:
        ids[r], vals[r] = _top_k_row(scores[r], k)
    ids[vals == -np.inf] = -1
    return ids, vals


def _top_k_row(row: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k` of one row (``0 < k <= len(row)``), ``-inf`` entries as id -1.

    A threshold ``t`` at most the k-th largest score is found cheaply (the k-th
    largest of about ``4k`` block maxima, or the k-th largest score itself for
    short rows); every top-k item, and every item tied with the last of them,
    scores at least ``t``, and only those few candidates are sorted by
    ``(-score, index)``.
    """
    n = row.shape[0]
    if k >= n:
        cand = np.arange(n)
    else:
        block = n // (4 * k)
        if block >= 8:
            blocks = np.maximum.reduceat(row, np.arange(0, n, block))
            t = np.partition(blocks, blocks.shape[0] - k)[blocks.shape[0] - k]
        else:
            t = np.partition(row, n - k)[n - k]
        cand = np.flatnonzero(row >= t) if t == t else np.argpartition(-row, k - 1)[:k]
    vals = row[cand]
    order = np.lexsort((cand, -vals))[:k]
    ids = cand[order].astype(np.int64)
    vals = vals[order].astype(np.float32)
    ids[vals == -np.inf] = -1
    return ids, vals


def top_row(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of one row, best first, ties to the lower index; ``-inf`` entries dropped."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    ids, vals = _top_k_row(scores, k)
    keep = ids >= 0
    return ids[keep], vals[keep]


class Recommender(ABC):
    """Base class of every model. Subclasses set ``kind`` and ``Config``."""

    kind: ClassVar[str]
    Config: ClassVar[type[ModelConfig]]

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config if config is not None else self.Config()
        self.n_users = 0
        self.n_items = 0

    # -- the contract ------------------------------------------------------
    @abstractmethod
    def fit(self, data: TrainData, options: FitOptions | None = None) -> Self:
        """Learn from ``data``. Returns self."""

    @abstractmethod
    def score(self, batch: Histories) -> np.ndarray:
        """Scores ``B x n_items`` (float32) for a batch of users/histories."""

    @abstractmethod
    def state(self) -> dict[str, np.ndarray]:
        """Every array needed to answer requests (saved to safetensors)."""

    @abstractmethod
    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore from :meth:`state` output (``n_users``/``n_items`` already set)."""

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
    def from_config(cls, params: dict[str, Any]) -> Self:
        try:
            return cls(cls.Config.model_validate(params))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            msg = "unknown parameter" if first["type"] == "extra_forbidden" else first["msg"]
            raise ConfigError(f"model '{cls.kind}': parameter '{loc}': {msg}") from None

    def get_config(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")


def mask_scores(
    scores: np.ndarray,
    batch: Histories,
    *,
    exclude_seen: bool = True,
    exclude: sparse.csr_matrix | None = None,
    allow: np.ndarray | None = None,
) -> np.ndarray:
    """Set excluded entries of ``scores`` (in place) to ``-inf``; returns it."""
    if exclude_seen and batch.items.size:
        if len(batch) == 1:
            scores[0, batch.items] = -np.inf
        else:
            rows = np.repeat(np.arange(len(batch)), batch.lengths())
            scores[rows, batch.items] = -np.inf
    if exclude is not None:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    if allow is not None:
        keep = np.zeros(scores.shape[1], dtype=bool)
        keep[np.asarray(allow, dtype=np.int64)] = True
        scores[:, ~keep] = -np.inf
    return scores


MODELS: dict[str, type[Recommender]] = {}


M = TypeVar("M", bound=type[Recommender])


def register(cls: M) -> M:
    """Class decorator: make a model available by its ``kind``."""
    MODELS[cls.kind] = cls
    return cls


def model_class(kind: str) -> type[Recommender]:
    from recdistill import models as _models  # noqa: F401  (registers the built-ins)

    try:
        return MODELS[kind]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ConfigError(f"unknown model kind '{kind}' (known: {known})") from None


def build_model(kind: str, params: dict[str, Any] | None = None) -> Recommender:
    return model_class(kind).from_config(params or {})


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

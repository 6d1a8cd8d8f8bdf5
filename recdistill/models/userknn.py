"""User-based k-nearest-neighbours collaborative filtering (Herlocker et al. 1999)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field
from scipy import sparse

from recdistill.models._sparse import history_matrix, known_users
from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)
from recdistill.models.cost import (
    DENSE_ELEMENTS,
    SPARSE_ENTRIES,
    Cost,
    DataSize,
    ranking_seconds,
    scores_bytes,
)

# Dense B x U similarity work buffer per chunk, in entries (~128 MB as float64).
_CHUNK_ENTRIES = 16_000_000


class UserKNNConfig(ModelConfig):
    """Hyperparameters of :class:`UserKNN`."""

    similarity: Literal["cosine", "pearson"] = Field(
        "cosine",
        description="cosine of the binary user rows, or pearson: cosine of the mean-centred rows.",
    )
    neighbors: int = Field(50, ge=1, description="Most similar training users that vote.")
    shrink: float = Field(10.0, ge=0.0, description="Added to the similarity's denominator.")


@register
class UserKNN(Recommender):
    """Scores a history by the similarity-weighted rows of its nearest training users.

    For a batch ``H`` (``B x I`` binary) and the training matrix ``X``
    (``U x I`` binary): ``sim = H X^T`` normalised (cosine or pearson, with
    ``shrink``), the top-``neighbors`` entries of each row kept as ``W``
    (``B x U``), scores ``W @ X`` (``B x I``). A known user (``users[b] >= 0``)
    is never its own neighbour. Unknown users are scored from their history;
    an empty history scores zero everywhere.

    State: the training matrix ``X`` as ``train.indices`` (int32 ``[nnz]``)
    and ``train.indptr`` (int64 ``[U + 1]``); its values are all one and are
    not stored. ``n_params`` counts its ``nnz`` entries.
    """

    kind = "userknn"
    Config = UserKNNConfig
    config: UserKNNConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.train = sparse.csr_matrix((0, 0), dtype=np.float32)
        self._derive()

    def estimate(self, size: DataSize) -> Cost:
        """Scoring compares every evaluated user with every training user (dense)."""
        compare = size.eval_users * size.users
        return Cost(
            memory_bytes=8.0 * _CHUNK_ENTRIES * 3 + 12.0 * size.interactions + scores_bytes(size),
            fit_seconds=size.interactions / SPARSE_ENTRIES,
            eval_seconds=3.0 * compare / DENSE_ELEMENTS
            + size.eval_users * size.per_user * size.per_item / SPARSE_ENTRIES
            + ranking_seconds(size),
        )

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        self.train = sparse.csr_matrix(data.matrix, dtype=np.float32)

    def _derive(self) -> None:
        self.train.sort_indices()
        self._train_t = self.train.T.tocsr()
        self._counts = np.diff(self.train.indptr).astype(np.float64)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores (see the class docstring)."""
        h = history_matrix(batch, self.n_items)
        out = np.zeros((len(batch), self.n_items), dtype=np.float32)
        if self.n_users == 0:
            return out
        chunk = max(1, _CHUNK_ENTRIES // max(self.n_users, 1))
        known = known_users(batch, self.n_users)
        for start in range(0, len(batch), chunk):
            stop = min(len(batch), start + chunk)
            w = self._neighbours(h[start:stop], batch.users[start:stop], known[start:stop])
            out[start:stop] = (w @ self.train).toarray()
        return out

    def _neighbours(
        self, h: sparse.csr_matrix, users: np.ndarray, known: np.ndarray
    ) -> sparse.csr_matrix:
        """Sparse ``B x U`` neighbour weights for a chunk of histories."""
        c = self.config
        b, n_users, n_items = h.shape[0], self.n_users, self.n_items
        g = np.asarray((h @ self._train_t).toarray(), dtype=np.float64)
        h_counts = np.diff(h.indptr).astype(np.float64)
        if c.similarity == "pearson":
            m_h, m_u = h_counts / n_items, self._counts / n_items
            g -= n_items * np.outer(m_h, m_u)
            n_h = np.sqrt(np.maximum(h_counts - n_items * m_h**2, 0.0))
            n_u = np.sqrt(np.maximum(self._counts - n_items * m_u**2, 0.0))
        else:
            n_h, n_u = np.sqrt(h_counts), np.sqrt(self._counts)
        denom = np.outer(n_h, n_u) + c.shrink
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, g / denom, 0.0)
        rows = np.flatnonzero(known)
        sim[rows, users[known]] = -np.inf  # never one's own neighbour
        k = min(c.neighbors, n_users)
        if k < n_users:
            cols = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        else:
            cols = np.broadcast_to(np.arange(n_users), (b, n_users))
        vals = np.take_along_axis(sim, cols, axis=1)
        vals[~np.isfinite(vals)] = 0.0
        return sparse.csr_matrix(
            (vals.ravel().astype(np.float32), cols.ravel(), np.arange(0, b * k + 1, k)),
            shape=(b, n_users),
        )

    def state(self) -> dict[str, np.ndarray]:
        return {
            "train.indices": np.ascontiguousarray(self.train.indices, dtype=np.int32),
            "train.indptr": np.ascontiguousarray(self.train.indptr, dtype=np.int64),
        }

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        indices, indptr = state["train.indices"], state["train.indptr"]
        data = np.ones(indices.shape[0], dtype=np.float32)
        self.train = sparse.csr_matrix((data, indices, indptr), shape=(self.n_users, self.n_items))
        self._derive()

    def n_params(self) -> int:
        """Entries of the training matrix (one stored number per interaction)."""
        return int(self.train.nnz)

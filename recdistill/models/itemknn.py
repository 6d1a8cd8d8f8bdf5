"""Item-based k-nearest-neighbours collaborative filtering (Sarwar et al. 2001)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field
from scipy import sparse

from recdistill.models._sparse import history_matrix, top_n_per_column
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
from recdistill.models.state import CSR, declare

# Entries of one dense I x block slice of the Gram matrix (64 MB as float64).
_BLOCK_ENTRIES = 8_000_000


class ItemKNNConfig(ModelConfig):
    """Hyperparameters of :class:`ItemKNN`."""

    similarity: Literal["cosine", "pearson"] = Field(
        "cosine",
        description="cosine of the binary item columns, or pearson: cosine of the "
        "mean-centred columns (adjusted cosine over the binary matrix).",
    )
    neighbors: int = Field(100, ge=1, description="Neighbours kept per item (top-N).")
    shrink: float = Field(10.0, ge=0.0, description="Added to the similarity's denominator.")


def item_similarity(
    x: sparse.csr_matrix, similarity: str, neighbors: int, shrink: float
) -> sparse.csr_matrix:
    """Sparse ``I x I`` similarity ``S`` with the top-``neighbors`` entries of each column.

    ``x`` is the binary ``U x I`` matrix. ``S[i, j]`` is how much history item
    ``i`` votes for candidate ``j``; the diagonal is zero. With ``c`` the
    co-occurrence counts and ``n_i`` the item counts:
    cosine ``c_ij / (sqrt(n_i n_j) + shrink)``; pearson
    ``(c_ij - n_i n_j / U) / (sqrt(v_i v_j) + shrink)`` with ``v_i = n_i (1 - n_i / U)``.
    """
    n_users, n_items = x.shape
    xt = x.T.tocsr()
    xc = x.tocsc()
    counts = np.asarray(x.sum(axis=0), dtype=np.float64).ravel()
    if similarity == "pearson":
        mean = counts / max(n_users, 1)
        norms = np.sqrt(np.maximum(counts - n_users * mean**2, 0.0))
    else:
        mean = np.zeros(n_items)
        norms = np.sqrt(counts)
    block = max(1, min(n_items, _BLOCK_ENTRIES // max(n_items, 1)))
    rows_out, cols_out, vals_out = [], [], []
    for start in range(0, n_items, block):
        stop = min(n_items, start + block)
        cols = np.arange(start, stop)
        g = np.asarray((xt @ xc[:, start:stop]).toarray(), dtype=np.float64)
        if similarity == "pearson":
            g -= n_users * np.outer(mean, mean[start:stop])
        denom = np.outer(norms, norms[start:stop]) + shrink
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(denom > 0, g / denom, 0.0).astype(np.float32)
        s[cols, cols - start] = 0.0
        rows, vals = top_n_per_column(s, neighbors)
        rows_out.append(rows.ravel())
        cols_out.append(np.broadcast_to(cols, rows.shape).ravel())
        vals_out.append(vals.ravel())
    sim = sparse.csr_matrix(
        (np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    sim.eliminate_zeros()
    sim.sort_indices()
    return sim


@register
class ItemKNN(Recommender):
    """Scores ``h @ S``: the sum of the similarities of each candidate to the history items.

    Works for any history, known user or not (the user index is ignored); an
    empty history scores zero everywhere. State: ``sim`` (``I x I`` CSR,
    ``neighbors`` entries per column at most).
    """

    kind = "itemknn"
    Config = ItemKNNConfig
    config: ItemKNNConfig
    STATE = declare({"sim": CSR("sim")})
    sim: sparse.csr_matrix

    def estimate(self, size: DataSize) -> Cost:
        """Dense ``I x block`` slices of the co-occurrences, top-N per item; the scores
        sum ``N`` neighbours per history item."""
        n = self.config.neighbors
        fit = (
            size.users * size.per_user**2 / SPARSE_ENTRIES  # co-occurring pairs
            + 4.0 * float(size.items) ** 2 / DENSE_ELEMENTS  # dense slices, top-N
        )
        score = size.eval_users * size.per_user * n / SPARSE_ENTRIES
        return Cost(
            memory_bytes=8.0 * _BLOCK_ENTRIES * 3 + 12.0 * size.items * n + scores_bytes(size),
            fit_seconds=fit,
            eval_seconds=score + ranking_seconds(size),
        )

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        c = self.config
        self.sim = item_similarity(data.matrix, c.similarity, c.neighbors, c.shrink)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores ``H @ S`` (``H`` the binary history matrix)."""
        h = history_matrix(batch, self.n_items)
        return np.asarray((h @ self.sim).toarray(), dtype=np.float32)

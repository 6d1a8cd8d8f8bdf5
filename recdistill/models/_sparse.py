"""Small helpers shared by the baseline models: history matrices, known users, top-N.

(A CSR matrix in a model's state: :class:`recdistill.models.state.CSR`.)
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recdistill.data.views import Histories


def history_matrix(
    batch: Histories, n_items: int, weights: np.ndarray | None = None
) -> sparse.csr_matrix:
    """``B x n_items`` float32 CSR of the histories; items outside the catalogue are dropped.

    Without ``weights`` the matrix is binary (repeats count once). With
    ``weights`` (float ``[nnz]``, aligned with ``batch.items``) repeated items
    keep the largest weight.
    """
    items = batch.items.astype(np.int64)
    rows = np.repeat(np.arange(len(batch), dtype=np.int64), batch.lengths())
    ok = (items >= 0) & (items < n_items)
    r, c = rows[ok], items[ok]
    v = (
        np.ones(r.shape[0], dtype=np.float32)
        if weights is None
        else np.asarray(weights, dtype=np.float32)[ok]
    )
    order = np.lexsort((-v, c, r))  # by row, then column, largest weight first
    r, c, v = r[order], c[order], v[order]
    first = np.ones(r.shape[0], dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    indptr = np.zeros(len(batch) + 1, dtype=np.int64)
    np.cumsum(np.bincount(r[first], minlength=len(batch)), out=indptr[1:])
    return sparse.csr_matrix(
        (v[first], c[first].astype(np.int32), indptr), shape=(len(batch), n_items)
    )


def known_users(batch: Histories, n_users: int) -> np.ndarray:
    """Boolean ``[B]``: the row's user index was seen at fit time."""
    u = batch.users
    return (u >= 0) & (u < n_users)


def sparse_times_dense(h: sparse.csr_matrix, m: np.ndarray) -> np.ndarray:
    """``h @ m`` as a float32 C-contiguous array, via BLAS when ``h`` is dense enough.

    ``h`` is ``B x I`` sparse, ``m`` is ``I x J`` dense. scipy's sparse-dense
    product is single-threaded; above ~2% density a dense GEMM is faster.
    """
    b, n = h.shape
    dense = b * n > 0 and h.nnz / (b * n) > 0.02 and b * n <= 50_000_000
    out = h.toarray() @ m if dense else h @ m
    return np.ascontiguousarray(out, dtype=np.float32)


def top_n_per_column(g: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions and values of the ``n`` largest entries of each column of ``g``.

    ``g`` is ``R x C`` dense; returns ``rows`` (int64 ``n' x C``) and ``vals``
    (``n' x C``) with ``n' = min(n, R)``. Ties are broken arbitrarily.
    """
    r = g.shape[0]
    n = min(n, r)
    if n >= r:
        rows = np.broadcast_to(np.arange(r)[:, None], g.shape).copy()
        return rows, g.copy()
    rows = np.argpartition(-g, n - 1, axis=0)[:n]
    return rows, np.take_along_axis(g, rows, axis=0)

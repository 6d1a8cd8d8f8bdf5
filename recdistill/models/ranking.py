"""Ranking a row of scores: masking and exact top-k, the last step of every recommendation.

The evaluator, the models' ``recommend`` and the server all end with the same
two steps: set excluded entries to ``-inf`` (:func:`mask_scores`), then take
the best ``k`` with ties broken by the lower item index (:func:`top_k` for a
``B x I`` matrix, :func:`top_row` for one row).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse

from recdistill.data.views import Histories


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
    part = _candidates(scores, k) if k < n else np.broadcast_to(np.arange(n), (b, n)).copy()
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


def _candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """``B x k`` indices of k largest scores per row, in no order (ties at the k-th
    score picked arbitrarily; :func:`top_k` redoes those rows exactly).

    torch's top-k: 19.8x faster than numpy's ``argpartition`` on 1,000 x 45,674
    scores (2 threads; docs/BENCHMARKS.md, "Real size"); NaN counts as ``-inf``
    (as in the evaluator), where torch would rank it first.
    """
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    if not scores.flags.writeable:  # torch wants a writable buffer
        scores = scores.copy()
    t = torch.from_numpy(np.ascontiguousarray(scores))
    return np.asarray(torch.topk(t, k, dim=1, sorted=False).indices.numpy())


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
    from recdistill.models._rowtop_kernel import top_k_row  # numba: compiled on first use

    ids, vals = top_k_row(scores, k)
    return ids, vals.astype(np.float32, copy=False)


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

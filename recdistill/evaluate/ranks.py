"""Target ranks under full ranking, with ties counted pessimistically.

For one user with score row ``s`` (masked items at ``-inf``) and targets ``T``,
the targets are placed in score order among themselves, and below every
non-target item whose score is greater than *or equal to* theirs::

    rank(t_k) = 1 + k + #{ j not in T : s_j >= s_{t_k} }     (k = 0, 1, ... by score)

So a model that gives every item the same score ranks its targets last among
ties, never first. A target whose score is ``-inf`` or NaN (e.g. masked because
it is also in the training history) can never be a hit.
"""

from __future__ import annotations

import numpy as np

UNRANKED = np.iinfo(np.int64).max


def pad_targets(indptr: np.ndarray, items: np.ndarray) -> np.ndarray:
    """CSR targets -> ``B x T`` int64 array padded with -1 (T = most targets of a row)."""
    lengths = np.diff(indptr)
    b = len(lengths)
    t = int(lengths.max()) if b else 0
    out = np.full((b, t), -1, dtype=np.int64)
    if t:
        rows = np.repeat(np.arange(b), lengths)
        cols = np.arange(len(items)) - np.repeat(indptr[:-1], lengths)
        out[rows, cols] = items
    return out


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pessimistic 1-based ranks of each target.

    Args:
        scores: ``B x I`` float scores; ``-inf`` marks masked items, NaN counts as ``-inf``.
        targets: ``B x T`` int item indices, -1 for padding.

    Returns:
        ``(ranks, targets_sorted)``: ``B x T`` int64 ranks ascending per row
        (padding and unhittable targets, score ``-inf``, get :data:`UNRANKED`),
        and the target ids in that same order.
    """
    b, _ = scores.shape
    t = targets.shape[1]
    if t == 0:
        return np.zeros((b, 0), dtype=np.int64), targets
    s = np.where(np.isnan(scores), -np.inf, scores)
    valid = targets >= 0
    safe = np.where(valid, targets, 0)
    ts = np.take_along_axis(s, safe, axis=1)
    ts = np.where(valid, ts, -np.inf)
    # Order the targets of each row by score, best first (padding last).
    order = np.argsort(-ts, axis=1, kind="stable")
    ts = np.take_along_axis(ts, order, axis=1)
    valid = np.take_along_axis(valid, order, axis=1)
    targets_sorted = np.take_along_axis(targets, order, axis=1)
    # Count items with score >= each target's score (targets included), then remove
    # the targets themselves: all targets at or above this one's score.
    ge_all = np.empty((b, t), dtype=np.int64)
    if t <= 16:
        for c in range(t):
            ge_all[:, c] = (s >= ts[:, c : c + 1]).sum(axis=1)
    else:
        srt = np.sort(s, axis=1)
        n = s.shape[1]
        for r in range(b):
            ge_all[r] = n - np.searchsorted(srt[r], ts[r], side="left")
    ge_targets = (ts[:, None, :] >= ts[:, :, None]) & valid[:, None, :]
    ge_non_target = ge_all - ge_targets.sum(axis=2)
    ranks = 1 + np.arange(t)[None, :] + ge_non_target
    hittable = valid & np.isfinite(ts)
    return np.where(hittable, ranks, UNRANKED).astype(np.int64), targets_sorted

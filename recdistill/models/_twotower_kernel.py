"""The two-tower student's single-request scoring, compiled (numba).

One call does what :meth:`recdistill.models.twotower.TwoTower.score` does for
one history: pool the history's item vectors (mean and recency, over
``[BOS] + the last max_len items``), the MLP with exact GELU, LayerNorm, and
the ``I x D`` product with the item table. An int8 matrix is read as int8
and scaled per row on the fly, so no float copy of a quantized table is ever
made. At serving sizes a request is dominated by per-call overhead in numpy
(two dozen small operations); compiled, it is one call.

Compiled on first use (about 2 s per weight dtype) and cached on disk
(``cache=True``): beside this file, or in numba's user-wide cache where that
folder is read-only (``NUMBA_CACHE_DIR`` chooses another place).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_SQRT_HALF = 1.0 / math.sqrt(2.0)


@njit(cache=True, nogil=True, fastmath=True)
def score_history(
    items: np.ndarray,
    n_items: int,
    max_len: int,
    decay: float,
    table: np.ndarray,
    table_scale: np.ndarray,
    bos: np.ndarray,
    w1: np.ndarray,
    w1_scale: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    w2_scale: np.ndarray,
    b2: np.ndarray,
    ln_w: np.ndarray,
    ln_b: np.ndarray,
) -> np.ndarray:
    """``I`` float32 scores of one history (item ids outside ``[0, n_items)`` skipped).

    ``*_scale`` are the per-row scales of int8 matrices, empty for float32 ones.

    Why long: one compiled call per request is the point (no temporaries, no
    Python between the steps); splitting it into numba functions would only
    move the same loops apart.
    """
    d = bos.shape[0]
    mean = np.zeros(d, np.float32)
    recent = np.zeros(d, np.float32)
    last = bos.copy()
    n = 0
    weight = np.float32(1.0)  # decay ** (steps back)
    weight_sum = np.float32(0.0)
    scaled = table_scale.shape[0] > 0
    for j in range(items.shape[0] - 1, -1, -1):  # latest first
        if n == max_len:
            break
        item = items[j]
        if item < 0 or item >= n_items:
            continue
        s = table_scale[item] if scaled else np.float32(1.0)
        for c in range(d):
            v = np.float32(table[item, c]) * s
            mean[c] += v
            recent[c] += weight * v
            if n == 0:
                last[c] = v
        weight_sum += weight
        weight *= np.float32(decay)
        n += 1
    # BOS sits n steps back behind the n items read
    for c in range(d):
        mean[c] = (mean[c] + bos[c]) / np.float32(n + 1)
        recent[c] = (recent[c] + weight * bos[c]) / (weight_sum + weight)

    hidden = w1.shape[0]
    h = np.empty(hidden, np.float32)
    for j in range(hidden):
        acc = np.float32(0.0)
        for c in range(d):
            acc += np.float32(w1[j, c]) * mean[c]
            acc += np.float32(w1[j, d + c]) * recent[c]
            acc += np.float32(w1[j, 2 * d + c]) * last[c]
        if w1_scale.shape[0] > 0:
            acc *= w1_scale[j]
        x = acc + b1[j]
        h[j] = np.float32(0.5) * x * (np.float32(1.0) + np.float32(math.erf(x * _SQRT_HALF)))

    q = np.empty(d, np.float32)
    total = np.float32(0.0)
    for c in range(d):
        acc = np.float32(0.0)
        for j in range(hidden):
            acc += np.float32(w2[c, j]) * h[j]
        if w2_scale.shape[0] > 0:
            acc *= w2_scale[c]
        q[c] = recent[c] + acc + b2[c]
        total += q[c]
    mu = total / np.float32(d)
    var = np.float32(0.0)
    for c in range(d):
        q[c] -= mu
        var += q[c] * q[c]
    inv = np.float32(1.0 / math.sqrt(var / d + 1e-5))
    for c in range(d):
        q[c] = q[c] * inv * ln_w[c] + ln_b[c]

    out = np.empty(table.shape[0], np.float32)
    for i in range(table.shape[0]):  # (one loop per case: a branch inside stops vectorizing)
        acc = np.float32(0.0)
        for c in range(d):
            acc += np.float32(table[i, c]) * q[c]
        out[i] = acc
    if scaled:
        for i in range(table.shape[0]):
            out[i] *= table_scale[i]
    return out

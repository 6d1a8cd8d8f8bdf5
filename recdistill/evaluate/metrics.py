"""Ranking metrics @K, one written definition each (docs/metrics.md).

All accuracy metrics are computed per user from the pessimistic target ranks
of :mod:`recdistill.evaluate.ranks` and then averaged over evaluated users
(users with at least one target), so they do not depend on batch size.
Notation: ``T_u`` the user's targets, ``n_u = |T_u|``, ``r_t`` the rank of
target ``t``, ``hit_t = [r_t <= K]``.

- Precision@K = sum_t hit_t / K
- Recall@K    = sum_t hit_t / n_u
- HR@K        = 1 if any hit_t else 0
- MRR@K       = 1 / min_t r_t if that rank <= K, else 0
- NDCG@K      = sum_t hit_t / log2(r_t + 1)  /  sum_{i=1..min(n_u,K)} 1 / log2(i + 1)
- MAP@K       = (1 / min(n_u, K)) * sum over hits, in rank order, of (hits so far) / r_t

Catalogue metrics use the recommended top-K lists (ties there broken by lower
item index):

- Coverage@K = |union of all users' top-K lists| / number of items
- Novelty@K  = mean over users and list positions of -log2 p_i, with
  p_i = (c_i + 1) / (U + 1), c_i the number of training users who interacted
  with item i and U the number of training users (self-information; the +1
  keeps never-seen items finite).

Popularity groups: items sorted by training interactions, most popular first;
*head* items hold the first third of all training interactions, *mid* the
second third, *tail* the rest (including items never seen).
Recall@K[group] = hits on targets in the group / targets in the group, summed
over all users (micro-average).
"""

from __future__ import annotations

import numpy as np

from recdistill.evaluate.ranks import UNRANKED

ACCURACY = ("precision", "recall", "ndcg", "hr", "mrr", "map")
GROUPS = ("head", "mid", "tail")


def per_user_metrics(ranks: np.ndarray, n_targets: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-user accuracy metrics at cut-off ``k``.

    Args:
        ranks: ``B x T`` sorted pessimistic ranks (:data:`UNRANKED` for padding/misses).
        n_targets: ``B`` number of real targets per user (>= 1).
        k: cut-off.

    Returns:
        ``{name: float64[B]}`` for each of :data:`ACCURACY`.
    """
    n = np.maximum(n_targets.astype(np.float64), 1.0)
    hit = ranks <= k
    rf = np.where(hit, ranks, 1).astype(np.float64)
    hits = hit.sum(axis=1).astype(np.float64)
    dcg = (hit / np.log2(rf + 1.0)).sum(axis=1)
    ideal_n = np.minimum(n_targets, k).astype(np.int64)
    disc = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))])
    idcg = disc[ideal_n]
    first = ranks[:, 0] if ranks.shape[1] else np.full(len(n), UNRANKED)
    mrr = np.where(first <= k, 1.0 / np.where(first <= k, first, 1), 0.0)
    hits_so_far = np.cumsum(hit, axis=1)
    ap = (np.where(hit, hits_so_far / rf, 0.0)).sum(axis=1) / np.maximum(ideal_n, 1)
    return {
        "precision": hits / k,
        "recall": hits / n,
        "ndcg": np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0),
        "hr": (hits > 0).astype(np.float64),
        "mrr": mrr,
        "map": ap,
    }


def popularity_groups(item_counts: np.ndarray) -> np.ndarray:
    """Group id per item: 0 head, 1 mid, 2 tail (see module docstring)."""
    counts = item_counts.astype(np.float64)
    order = np.argsort(-counts, kind="stable")
    total = counts.sum()
    groups = np.full(len(counts), 2, dtype=np.int8)
    if total <= 0:
        return groups
    # Share of interactions held by the items before each item in popularity order.
    before = (np.cumsum(counts[order]) - counts[order]) / total
    g = np.where(before < 1 / 3, 0, np.where(before < 2 / 3, 1, 2)).astype(np.int8)
    g[counts[order] == 0] = 2
    groups[order] = g
    return groups


def self_information(user_counts: np.ndarray, n_train_users: int) -> np.ndarray:
    """``-log2((c_i + 1) / (U + 1))`` per item (bits)."""
    return -np.log2((user_counts.astype(np.float64) + 1.0) / (n_train_users + 1.0))


class MetricAccumulator:
    """Sums per-user metrics over batches; :meth:`result` averages them.

    Batch-size independent: it keeps sums and counts only.
    """

    def __init__(self, ks: list[int], n_items: int, info: np.ndarray, groups: np.ndarray) -> None:
        self.ks = sorted(set(ks))
        self.n_items = n_items
        self.info = info
        self.groups = groups
        self.users = 0
        self.sums = {f"{m}@{k}": 0.0 for k in self.ks for m in ACCURACY}
        self.novelty = {k: 0.0 for k in self.ks}
        self.covered = {k: np.zeros(n_items, dtype=bool) for k in self.ks}
        self.group_hits = {k: np.zeros(3, dtype=np.int64) for k in self.ks}
        self.group_targets = np.zeros(3, dtype=np.int64)

    def add(
        self,
        ranks: np.ndarray,
        targets_sorted: np.ndarray,
        n_targets: np.ndarray,
        top_ids: np.ndarray,
    ) -> None:
        """Add a batch.

        Args:
            ranks: ``B x T`` sorted ranks from :func:`target_ranks`.
            targets_sorted: ``B x T`` target ids in the same order as ``ranks`` (-1 pad).
            n_targets: ``B`` targets per user.
            top_ids: ``B x maxK`` recommended ids, best first (-1 where the list is short).
        """
        self.users += len(n_targets)
        valid_t = targets_sorted >= 0
        tg = self.groups[np.where(valid_t, targets_sorted, 0)]
        self.group_targets += np.bincount(tg[valid_t], minlength=3)[:3]
        for k in self.ks:
            for name, values in per_user_metrics(ranks, n_targets, k).items():
                self.sums[f"{name}@{k}"] += float(values.sum())
            top = top_ids[:, :k]
            real = top >= 0
            self.covered[k][top[real]] = True
            per_user_info = np.where(real, self.info[np.where(real, top, 0)], 0.0).sum(axis=1)
            n_real = np.maximum(real.sum(axis=1), 1)
            self.novelty[k] += float((per_user_info / n_real).sum())
            hit = (ranks <= k) & valid_t
            self.group_hits[k] += np.bincount(tg[hit], minlength=3)[:3]

    def result(self) -> dict[str, float]:
        """Averages over users; coverage, novelty and per-group recall at every K."""
        u = max(self.users, 1)
        out = {name: total / u for name, total in self.sums.items()}
        for k in self.ks:
            out[f"coverage@{k}"] = float(self.covered[k].sum()) / max(self.n_items, 1)
            out[f"novelty@{k}"] = self.novelty[k] / u
            for g, name in enumerate(GROUPS):
                denom = int(self.group_targets[g])
                out[f"recall_{name}@{k}"] = (
                    float(self.group_hits[k][g]) / denom if denom else float("nan")
                )
        return out

"""The full-ranking evaluation protocol.

For a model, a *history* table (what the model may know about each user when
it is asked: train for validation, train + validation for the test) and a
*target* table (validation or test events):

1. evaluated users are those with at least one target;
2. each batch of users is scored over **all** items with the model's
   ``score`` (the same call the server makes), given the users' histories in
   time order;
3. the user's history items are masked (``-inf``) when ``mask_seen``;
4. targets get pessimistic ranks (ties count against the model) and the
   metrics of :mod:`recdistill.evaluate.metrics` are accumulated.

Memory is bounded by ``batch_size x n_items`` floats at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recdistill.data.types import Interactions
from recdistill.data.views import Histories, Scorer
from recdistill.evaluate.metrics import MetricAccumulator, popularity_groups, self_information
from recdistill.evaluate.ranks import pad_targets, target_ranks
from recdistill.models.ranking import mask_scores, top_k
from recdistill.progress import track


@dataclass(frozen=True)
class EvalTask:
    """What to evaluate against: histories in, targets out."""

    history: Interactions
    targets: Interactions
    name: str = "test"

    @property
    def users(self) -> np.ndarray:
        return self.targets.users_present()


def evaluate(
    model: Scorer,
    task: EvalTask,
    ks: list[int],
    *,
    mask_seen: bool = True,
    batch_size: int = 1024,
    progress: bool = False,
) -> dict[str, float]:
    """Full-ranking metrics of ``model`` on ``task`` (means over evaluated users)."""
    hist = task.history
    tgt = task.targets
    n_items = hist.n_items
    ks = sorted(set(ks))
    # Popularity, for novelty and groups, from what the model was allowed to know.
    user_item = hist.csr()
    user_counts = np.asarray(user_item.sum(axis=0)).ravel()
    n_hist_users = int((np.diff(user_item.indptr) > 0).sum())
    acc = MetricAccumulator(
        ks,
        n_items,
        info=self_information(user_counts, n_hist_users),
        groups=popularity_groups(hist.item_counts()),
    )
    users = task.users
    h_ptr = hist.indptr()
    t_ptr = tgt.indptr()
    starts = range(0, len(users), batch_size)
    for start in track(starts, f"evaluate {task.name}", enabled=progress):
        batch_users = users[start : start + batch_size]
        batch = Histories.of_users(hist, batch_users, h_ptr)
        scores = np.array(model.score(batch), dtype=np.float32, copy=True)
        if mask_seen:
            mask_scores(scores, batch, exclude_seen=True)
        tb = Histories.of_users(tgt, batch_users, t_ptr)
        targets = pad_targets(tb.indptr, tb.items)
        ranks, targets_sorted = target_ranks(scores, targets)
        top_ids, _ = top_k(scores, ks[-1])
        acc.add(ranks, targets_sorted, tb.lengths(), top_ids)
    out = acc.result()
    out["users"] = float(len(users))
    return out

"""Metrics: hand-computed cases, pessimistic ties, batch independence, ir-measures cross-check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recdistill.data.types import Interactions
from recdistill.evaluate.metrics import per_user_metrics, popularity_groups, self_information
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.evaluate.ranks import UNRANKED, pad_targets, target_ranks
from recdistill.models.base import Histories


def ranks_of(scores: list[list[float]], targets: list[list[int]]) -> np.ndarray:
    t = max(len(x) for x in targets)
    padded = np.array([x + [-1] * (t - len(x)) for x in targets])
    ranks, _ = target_ranks(np.array(scores, dtype=np.float32), padded)
    return ranks


def test_rank_simple_and_pessimistic_ties() -> None:
    # Target item 2 has score 0.5; item 0 beats it, item 1 ties it -> rank 3 (pessimistic).
    assert ranks_of([[0.9, 0.5, 0.5, 0.1]], [[2]]).tolist() == [[3]]
    # All scores equal: the target is last among 4 items.
    assert ranks_of([[1.0, 1.0, 1.0, 1.0]], [[0]]).tolist() == [[4]]
    # Two targets tied with each other only: ranks 1 and 2.
    assert ranks_of([[0.9, 0.9, 0.1]], [[1, 0]]).tolist() == [[1, 2]]
    # Two targets tied with a non-target: both below it.
    assert ranks_of([[0.9, 0.9, 0.9, 0.0]], [[0, 1]]).tolist() == [[2, 3]]


def test_masked_target_is_unhittable() -> None:
    r = ranks_of([[-np.inf, 0.5, 0.2]], [[0]])
    assert r.tolist() == [[UNRANKED]]
    r = ranks_of([[float("nan"), 0.5, 0.2]], [[0]])
    assert r.tolist() == [[UNRANKED]]


def test_many_targets_path_matches_few_targets_path() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 20, size=(7, 60)).astype(np.float32)  # many ties
    targets = np.stack([rng.choice(60, size=30, replace=False) for _ in range(7)])
    big, big_t = target_ranks(scores, targets)  # T = 30 > 16: the sort-based path
    few, few_t = target_ranks(scores, targets[:, :10])  # T = 10: the comparison path
    # Both paths agree with the brute-force definition of the pessimistic rank.
    for ranks, tsorted, tset in ((big, big_t, targets), (few, few_t, targets[:, :10])):
        n_t = tset.shape[1]
        for r in range(7):
            for c in range(n_t):
                s_t = scores[r, tsorted[r, c]]
                others = [j for j in range(60) if j not in set(tset[r])]
                above_targets = sum(
                    1
                    for c2 in range(n_t)
                    if scores[r, tsorted[r, c2]] > s_t
                    or (scores[r, tsorted[r, c2]] == s_t and c2 < c)
                )
                expected = 1 + above_targets + sum(1 for j in others if scores[r, j] >= s_t)
                assert ranks[r, c] == expected


def test_hand_computed_metrics_single_target() -> None:
    # One user, one target at rank 3, K = 5.
    m = per_user_metrics(np.array([[3]]), np.array([1]), 5)
    assert m["hr"][0] == 1.0
    assert m["precision"][0] == pytest.approx(1 / 5)
    assert m["recall"][0] == 1.0
    assert m["mrr"][0] == pytest.approx(1 / 3)
    assert m["ndcg"][0] == pytest.approx(1 / math.log2(4))
    assert m["map"][0] == pytest.approx(1 / 3)
    # Rank 3 with K = 2: a miss everywhere.
    m = per_user_metrics(np.array([[3]]), np.array([1]), 2)
    assert all(v[0] == 0.0 for v in m.values())


def test_hand_computed_metrics_multi_target() -> None:
    # Targets at ranks 1, 4, 9 (3 targets), K = 5: hits at 1 and 4.
    m = per_user_metrics(np.array([[1, 4, 9]]), np.array([3]), 5)
    assert m["precision"][0] == pytest.approx(2 / 5)
    assert m["recall"][0] == pytest.approx(2 / 3)
    assert m["hr"][0] == 1.0
    assert m["mrr"][0] == 1.0
    dcg = 1 / math.log2(2) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg"][0] == pytest.approx(dcg / idcg)
    assert m["map"][0] == pytest.approx((1 / 1 + 2 / 4) / 3)
    # More targets than K: the ideal list and the MAP denominator stop at K.
    m = per_user_metrics(np.array([[1, 2, 3]]), np.array([3]), 2)
    assert m["ndcg"][0] == pytest.approx(1.0)
    assert m["map"][0] == pytest.approx(1.0)
    assert m["recall"][0] == pytest.approx(2 / 3)


def test_popularity_groups_and_self_information() -> None:
    counts = np.array([60, 20, 10, 5, 5, 0])  # total 100
    g = popularity_groups(counts)
    # item 0 starts at share 0 (head); item 1 starts at 0.60 (mid); items 2-4 start >= 0.80.
    assert g.tolist() == [0, 1, 2, 2, 2, 2]
    info = self_information(np.array([3, 0]), 3)
    assert info.tolist() == pytest.approx([0.0, 2.0])


class FixedScores:
    """A test scorer (the evaluator needs only ``score`` and ``n_items``): a fixed row per user."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self.n_items = table.shape[1]

    def score(self, batch: Histories) -> np.ndarray:
        return self.table[batch.users].astype(np.float32)


def random_task(n_users: int = 50, n_items: int = 40, seed: int = 0) -> tuple[EvalTask, np.ndarray]:
    rng = np.random.default_rng(seed)
    hu, hi, tu, ti = [], [], [], []
    for u in range(n_users):
        items = rng.choice(n_items, size=rng.integers(3, 15), replace=False)
        n_t = int(rng.integers(1, 4))
        hu += [u] * (len(items) - n_t)
        hi += list(items[n_t:])
        tu += [u] * n_t
        ti += list(items[:n_t])
    history = Interactions.build(np.array(hu), np.array(hi), np.arange(len(hu)), n_users, n_items)
    targets = Interactions.build(np.array(tu), np.array(ti), np.arange(len(tu)), n_users, n_items)
    scores = rng.normal(size=(n_users, n_items)).astype(np.float32)
    return EvalTask(history, targets), scores


def test_results_do_not_depend_on_batch_size() -> None:
    task, scores = random_task()
    model = FixedScores(scores)
    a = evaluate(model, task, [5, 10], batch_size=1)
    b = evaluate(model, task, [5, 10], batch_size=7)
    c = evaluate(model, task, [5, 10], batch_size=1000)
    for key in a:
        assert a[key] == pytest.approx(b[key], nan_ok=True)
        assert a[key] == pytest.approx(c[key], nan_ok=True)


def test_history_items_are_masked() -> None:
    # The history item gets the top score; masked, the target ranks first.
    history = Interactions.build(np.array([0]), np.array([0]), np.array([0]), 1, 3)
    targets = Interactions.build(np.array([0]), np.array([1]), np.array([1]), 1, 3)
    model = FixedScores(np.array([[5.0, 1.0, 0.0]]))
    res = evaluate(model, EvalTask(history, targets), [1])
    assert res["hr@1"] == 1.0
    res = evaluate(model, EvalTask(history, targets), [1], mask_seen=False)
    assert res["hr@1"] == 0.0


def test_coverage_and_novelty() -> None:
    # Two users; both get items {1, 2} recommended at K=2 out of 4 items.
    history = Interactions.build(np.array([0, 1]), np.array([0, 0]), np.array([0, 0]), 2, 4)
    targets = Interactions.build(np.array([0, 1]), np.array([1, 3]), np.array([1, 1]), 2, 4)
    table = np.array([[9.0, 3.0, 2.0, 1.0], [9.0, 3.0, 2.0, 1.0]])
    res = evaluate(FixedScores(table), EvalTask(history, targets), [2])
    assert res["coverage@2"] == pytest.approx(2 / 4)
    # Items 1 and 2 were seen by no history user: p = 1/3 -> log2(3) bits each.
    assert res["novelty@2"] == pytest.approx(math.log2(3))
    assert res["hr@2"] == pytest.approx(0.5)


def test_cross_check_against_ir_measures() -> None:
    ir_measures = pytest.importorskip("ir_measures")
    from ir_measures import AP, RR, Judged, P, R, nDCG  # noqa: F401

    task, scores = random_task(n_users=80, n_items=60, seed=3)
    k = 10
    ours = evaluate(FixedScores(scores), task, [k])
    # Build the same rankings for ir-measures (continuous scores: no ties).
    h = task.history.csr().toarray() > 0
    qrels, run = [], []
    for u in task.users:
        for i in task.targets.item[task.targets.user == u]:
            qrels.append(ir_measures.Qrel(str(u), str(i), 1))
        for i in range(scores.shape[1]):
            if not h[u, i]:
                run.append(ir_measures.ScoredDoc(str(u), str(i), float(scores[u, i])))
    ref = ir_measures.calc_aggregate([nDCG @ k, P @ k, R @ k, RR @ k], qrels, run)
    assert ours[f"ndcg@{k}"] == pytest.approx(ref[nDCG @ k], abs=1e-6)
    assert ours[f"precision@{k}"] == pytest.approx(ref[P @ k], abs=1e-6)
    assert ours[f"recall@{k}"] == pytest.approx(ref[R @ k], abs=1e-6)
    assert ours[f"mrr@{k}"] == pytest.approx(ref[RR @ k], abs=1e-6)
    # trec_eval's AP@k divides by all relevant items, ours by min(n, K): equal when n <= K.
    ref_ap = ir_measures.calc_aggregate([AP @ k], qrels, run)[AP @ k]
    assert ours[f"map@{k}"] == pytest.approx(ref_ap, abs=1e-6)


def test_pad_targets() -> None:
    out = pad_targets(np.array([0, 2, 2, 3]), np.array([5, 6, 7]))
    assert out.tolist() == [[5, 6], [-1, -1], [7, -1]]

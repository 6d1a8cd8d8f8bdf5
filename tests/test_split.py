"""Splits: leave-last-out, temporal and random, with leakage checks."""

from __future__ import annotations

import numpy as np
import pytest

from recdistill.config import SplitConfig
from recdistill.data.types import Interactions
from recdistill.errors import ConfigError
from recdistill.split import leave_last_out, make_split, random_split, temporal


def random_log(n_users: int = 200, n_items: int = 80, seed: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=n_users)
    user = np.repeat(np.arange(n_users), sizes)
    item = rng.integers(0, n_items, size=len(user))
    time = rng.integers(0, 1000, size=len(user))  # many ties on purpose
    return Interactions.build(user, item, time, n_users, n_items)


def keys(t: Interactions) -> set[tuple[int, int, int]]:
    return set(zip(t.user.tolist(), t.item.tolist(), t.time.tolist(), strict=True))


def test_leave_last_out_takes_last_two_in_time_order() -> None:
    inter = random_log()
    s = leave_last_out(inter)
    assert len(s.train) + len(s.valid) + len(s.test) == len(inter)
    ptr = inter.indptr()
    for u in range(inter.n_users):
        rows = slice(ptr[u], ptr[u + 1])
        n = ptr[u + 1] - ptr[u]
        tu = s.test.user == u
        vu = s.valid.user == u
        if n < 3:
            assert not tu.any() and not vu.any()
            continue
        # Exactly one test and one valid event: the last and second-to-last rows.
        assert tu.sum() == 1 and vu.sum() == 1
        assert s.test.item[tu][0] == inter.item[rows][-1]
        assert s.valid.item[vu][0] == inter.item[rows][-2]
        train_times = s.train.time[s.train.user == u]
        assert train_times.max() <= s.valid.time[vu][0] <= s.test.time[tu][0]


def test_leave_last_out_ties_keep_file_order() -> None:
    # All events at the same time: file order decides; the last row in the file is test.
    inter = Interactions.build(
        np.array([0, 0, 0, 0]), np.array([3, 1, 2, 0]), np.array([7, 7, 7, 7]), 1, 4
    )
    s = leave_last_out(inter)
    assert s.test.item.tolist() == [0]
    assert s.valid.item.tolist() == [2]
    assert s.train.item.tolist() == [3, 1]


@pytest.mark.parametrize("cuts", [(0.6, 0.8), (0.5, 0.5), (0.3, 0.9)])
def test_temporal_no_evaluation_event_precedes_training(cuts: tuple[float, float]) -> None:
    inter = random_log(seed=1)
    s = temporal(inter, cuts[0], cuts[1], cold="drop")
    assert s.train.time.max() < s.valid.time.min() if len(s.valid) else True
    if len(s.test):
        assert s.test.time.min() >= max(s.train.time.max(), s.valid.time.max(initial=0))
    # Per user: no evaluation event precedes any training event of that user.
    for part in (s.valid, s.test):
        for u in np.unique(part.user):
            assert part.time[part.user == u].min() >= s.train.time[s.train.user == u].max()
    # Nothing leaks between parts and nothing is invented.
    assert not keys(s.train) & keys(s.valid)
    assert not keys(s.train) & keys(s.test)
    assert not keys(s.valid) & keys(s.test)
    assert (keys(s.train) | keys(s.valid) | keys(s.test)) <= keys(inter)


def test_temporal_cold_rule() -> None:
    # Train: t < 5. Valid: 5 <= t < 11. Test: t >= 11.
    # (0, 1, 6) known user and item -> kept; (0, 2, 10) item 2 unseen in train -> cold;
    # (1, 0, 11) user 1 unseen -> cold; (0, 2, 12) item 2 seen in valid -> kept in test.
    inter = Interactions.build(
        np.array([0, 0, 0, 0, 1, 0]),
        np.array([0, 1, 1, 2, 0, 2]),
        np.array([1, 2, 6, 10, 11, 12]),
        2,
        3,
    )
    cut_v, cut_t = "1970-01-01T00:00:05", "1970-01-01T00:00:11"
    dropped = temporal(inter, cut_v, cut_t, cold="drop")
    assert list(zip(dropped.valid.user, dropped.valid.item, strict=True)) == [(0, 1)]
    # Item 2 is cold for validation, and still cold for the test: the dropped valid
    # event does not make it known.
    assert len(dropped.test) == 0
    assert sum("cold" in line for line in dropped.log) == 2
    kept = temporal(inter, cut_v, cut_t, cold="keep")
    assert len(kept.valid) == 2 and len(kept.test) == 2


def test_temporal_bad_cut_is_a_user_error() -> None:
    with pytest.raises(ConfigError, match="valid_cut"):
        temporal(random_log(), "not a date", 0.9, cold="drop")
    with pytest.raises(ConfigError, match="must not be after"):
        temporal(random_log(), 0.9, 0.5, cold="drop")


def test_random_split_ratios_and_disjointness() -> None:
    inter = random_log(n_users=400, seed=2)
    s = random_split(inter, (0.8, 0.1, 0.1), seed=5, cold="keep")
    n = len(inter)
    assert len(s.train) + len(s.valid) + len(s.test) == n
    assert abs(len(s.train) / n - 0.8) < 0.03
    again = random_split(inter, (0.8, 0.1, 0.1), seed=5, cold="keep")
    assert np.array_equal(again.test.item, s.test.item)
    with pytest.raises(ConfigError):
        random_split(inter, (0.5, 0.1, 0.1), seed=0, cold="keep")


def test_make_split_dispatch() -> None:
    inter = random_log()
    assert make_split(inter, SplitConfig(method="temporal")).method == "temporal"
    assert make_split(inter, SplitConfig()).method == "leave_last_out"

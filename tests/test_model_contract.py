"""One contract suite that every registered model passes (STYLE.md #7).

Parametrised over :data:`recdistill.models.MODELS`: a newly registered kind is
tested automatically. Give it small, fast parameters in ``FAST_PARAMS``
(missing kinds run with their defaults).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import sparse

from recdistill.data.types import Interactions
from recdistill.models import (
    MODELS,
    FitOptions,
    Histories,
    Recommender,
    TrainData,
    build_model,
    load_model,
)

FAST_PARAMS: dict[str, dict[str, Any]] = {
    "popularity": {},
    "itemknn": {"neighbors": 20},
    "userknn": {"neighbors": 20},
    "tfidf": {"bigrams": True},
    "ease": {"l2": 10.0},
    "bpr": {"factors": 16, "iterations": 60, "learning_rate": 0.05},
    "ials": {"factors": 16, "iterations": 8, "alpha": 5.0, "regularization": 0.1},
    "hybrid": {
        "cf": {"kind": "itemknn", "params": {"neighbors": 20}},
        "content": {"kind": "tfidf"},
        "weight": 0.5,
    },
    "sasrec": {
        "d_model": 32,
        "n_heads": 2,
        "n_layers": 1,
        "max_len": 20,
        "batch_size": 32,
        "epochs": 30,
        "patience": 0,
        "dropout": 0.1,
        "lr": 0.01,
    },
    "twotower": {
        "d_model": 32,
        "max_len": 20,
        "batch_size": 32,
        "epochs": 30,
        "patience": 0,
        "dropout": 0.1,
        "lr": 0.01,
    },
}
KINDS = sorted(MODELS)
OPTIONS = FitOptions(seed=7, threads=1, progress=False)

# Planted pattern: users in groups, each group consumes its own item cluster,
# plus a popular head that everyone samples from.
N_GROUPS, USERS_PER_GROUP, CLUSTER, HEAD = 4, 25, 15, 8
GENRES = ("western", "romance", "horror", "comedy")


class Planted:
    """Training data, per-user held-out items (own cluster) and handy batches."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        n_items = HEAD + N_GROUPS * CLUSTER
        users: list[int] = []
        items: list[int] = []
        heldout: list[int] = []
        for g in range(N_GROUPS):
            cluster = HEAD + g * CLUSTER + np.arange(CLUSTER)
            for _ in range(USERS_PER_GROUP):
                u = len(heldout)
                head = np.flatnonzero(rng.random(HEAD) < 0.6)
                own = rng.choice(cluster, size=8, replace=False)
                seq = rng.permutation(np.concatenate([head, own[:7]]))
                users += [u] * len(seq)
                items += seq.tolist()
                heldout.append(int(own[7]))
        n_users = len(heldout)
        user, item = np.asarray(users), np.asarray(items)
        table = Interactions.build(user, item, np.arange(len(user)), n_users, n_items)
        texts = [f"blockbuster hit number {i}" for i in range(HEAD)]
        for g, genre in enumerate(GENRES):
            texts += [f"{genre} tale {HEAD + g * CLUSTER + j}" for j in range(CLUSTER)]
        texts[HEAD] = ""  # an item without text must not break content models
        self.data = TrainData(table, texts, ["head"] * HEAD + ["cluster"] * (n_items - HEAD))
        self.heldout = np.asarray(heldout)
        self.n_users, self.n_items = n_users, n_items
        self.all_users = self.data.histories(np.arange(n_users))

    def mixed_batch(self) -> Histories:
        """Known users, an unknown user with a history, an empty history, an out-of-range id."""
        known = [self.all_users.row(b).tolist() for b in range(3)]
        lists = [*known, [HEAD + 1, HEAD + 2, 0], [], [HEAD + CLUSTER + 3]]
        return Histories.from_lists(lists, users=[0, 1, 2, -1, -1, self.n_users + 5])


@pytest.fixture(scope="module")
def planted() -> Planted:
    return Planted()


_FITTED: dict[str, Recommender] = {}


def fitted(kind: str, planted: Planted) -> Recommender:
    """One fitted model per kind, shared by the tests of this module."""
    if kind not in _FITTED:
        _FITTED[kind] = build_model(kind, FAST_PARAMS.get(kind, {})).fit(planted.data, OPTIONS)
    return _FITTED[kind]


def hit_rate(model: Recommender, planted: Planted, k: int = 10, as_unknown: bool = False) -> float:
    """Share of users whose held-out item is in their top ``k`` (train items excluded)."""
    batch = planted.all_users
    if as_unknown:  # the same histories, served as users never seen at fit time
        batch = Histories(np.full(len(batch), -1), batch.indptr, batch.items)
    ids, _ = model.recommend(batch, k)
    return float((ids == planted.heldout[:, None]).any(axis=1).mean())


@pytest.mark.parametrize("kind", KINDS)
def test_score_shape_dtype_and_sizes(kind: str, planted: Planted) -> None:
    model = fitted(kind, planted)
    batch = planted.mixed_batch()
    scores = model.score(batch)
    assert isinstance(scores, np.ndarray)
    assert scores.shape == (len(batch), planted.n_items)
    assert scores.dtype == np.float32
    assert np.isfinite(scores).all()
    assert (model.n_users, model.n_items) == (planted.n_users, planted.n_items)
    assert model.n_params() > 0
    assert model.serving_bytes() >= model.n_params()  # at least a byte per parameter
    json.dumps(model.meta())


@pytest.mark.parametrize("kind", KINDS)
def test_recommend_filters(kind: str, planted: Planted) -> None:
    model = fitted(kind, planted)
    batch = planted.mixed_batch()
    ids, scores = model.recommend(batch, k=10)
    assert ids.shape == scores.shape == (len(batch), 10)
    for b in range(len(batch)):
        assert not set(ids[b].tolist()) & set(batch.row(b).tolist())
        valid = ids[b][ids[b] >= 0]
        assert len(set(valid.tolist())) == len(valid)
        assert np.all(np.diff(scores[b][ids[b] >= 0]) <= 0)  # best first

    banned = np.array([0, 1, 2, HEAD + 4], dtype=np.int64)
    exclude = sparse.csr_matrix(
        (
            np.ones(len(batch) * len(banned)),
            np.tile(banned, len(batch)),
            np.arange(0, len(batch) * len(banned) + 1, len(banned)),
        ),
        shape=(len(batch), planted.n_items),
    )
    ids, _ = model.recommend(batch, k=20, exclude=exclude)
    assert not np.isin(ids, banned).any()

    allow = np.arange(HEAD, HEAD + 12)
    ids, _ = model.recommend(batch, k=20, allow=allow, exclude_seen=False)
    assert np.isin(ids[ids >= 0], allow).all()
    assert (ids >= 0).sum(axis=1).tolist() == [12] * len(batch)  # padded with -1 beyond


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_with_seed(kind: str, planted: Planted) -> None:
    params = FAST_PARAMS.get(kind, {})
    a = build_model(kind, params).fit(planted.data, OPTIONS)
    b = build_model(kind, params).fit(planted.data, OPTIONS)
    batch = planted.mixed_batch()
    np.testing.assert_array_equal(a.score(batch), b.score(batch))


@pytest.mark.parametrize("kind", KINDS)
def test_config_round_trip(kind: str) -> None:
    model = build_model(kind, FAST_PARAMS.get(kind, {}))
    cls = type(model)
    assert cls.Config.model_validate(model.get_config()) == model.config
    via_yaml = yaml.safe_load(yaml.safe_dump(model.get_config()))
    assert cls.Config.model_validate(via_yaml) == model.config
    assert build_model(kind, via_yaml).config == model.config
    assert cls.Config.model_validate(cls().get_config()) == cls.Config()  # defaults too


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_identical_scores(kind: str, planted: Planted, tmp_path: Path) -> None:
    model = fitted(kind, planted)
    loaded = load_model(model.save(tmp_path / kind))
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    batch = planted.mixed_batch()
    np.testing.assert_allclose(loaded.score(batch), model.score(batch), rtol=0, atol=1e-6)
    assert loaded.n_params() == model.n_params()
    assert loaded.serving_bytes() == model.serving_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_users_and_empty_histories(kind: str, planted: Planted) -> None:
    model = fitted(kind, planted)
    cases = [
        Histories.from_lists([[HEAD + 1, HEAD + 2]], users=[-1]),
        Histories.from_lists([[]], users=[-1]),
        Histories.from_lists([[]], users=[0]),
        Histories.from_lists([[], []]),
        Histories.from_lists([]),
    ]
    for batch in cases:
        scores = model.score(batch)
        assert scores.shape == (len(batch), planted.n_items)
        assert np.isfinite(scores).all()
        ids, _ = model.recommend(batch, k=5)
        assert ids.shape == (len(batch), 5)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "popularity"])
def test_beats_popularity_on_planted_pattern(kind: str, planted: Planted) -> None:
    pop = hit_rate(fitted("popularity", planted), planted)
    for as_unknown in (False, True):
        hr = hit_rate(fitted(kind, planted), planted, as_unknown=as_unknown)
        msg = f"{kind} (as_unknown={as_unknown}): HR@10 {hr:.2f} vs popularity {pop:.2f}"
        assert hr >= max(0.6, pop + 0.3), msg

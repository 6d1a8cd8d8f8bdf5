"""Known-answer tests for the baseline models (hand-computed or direct numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse

from recdistill.data.types import Interactions
from recdistill.errors import ConfigError
from recdistill.models import (
    BPR,
    EASE,
    IALS,
    FitOptions,
    Histories,
    Hybrid,
    ItemKNN,
    Popularity,
    Tfidf,
    TrainData,
    UserKNN,
    build_model,
)
from recdistill.models.hybrid import normalize_rows
from recdistill.models.ials import fold_in
from recdistill.models.tfidf import tfidf_matrix, tokenize

FAST_OPTIONS = FitOptions(seed=3, threads=1, progress=False)


def data_of(rows: Sequence[Sequence[int]], n_items: int, texts: Sequence[str] = ()) -> TrainData:
    """TrainData with user ``u`` consuming ``rows[u]`` in order."""
    user = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    item = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    table = Interactions.build(user, item, np.arange(len(user)), len(rows), n_items)
    return TrainData(table, list(texts), [""] * n_items)


def random_binary(n_users: int, n_items: int, density: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (rng.random((n_users, n_items)) < density).astype(np.float64)
    x[np.arange(n_users), rng.integers(0, n_items, n_users)] = 1.0  # nobody empty
    return x


def data_of_dense(x: np.ndarray) -> TrainData:
    return data_of([np.flatnonzero(r).tolist() for r in x], x.shape[1])


def all_users(data: TrainData) -> Histories:
    return data.histories(np.arange(data.n_users))


# -- popularity ---------------------------------------------------------------


def test_popularity_counts_distinct_users() -> None:
    data = data_of([[0, 1, 1], [1, 2], [1]], n_items=4)  # user 0 repeats item 1
    model = Popularity.from_config({}).fit(data)
    batch = Histories.from_lists([[0], [], [3]], users=[0, -1, 7])
    expected = np.array([1, 3, 1, 0], dtype=np.float32)
    np.testing.assert_array_equal(model.score(batch), np.tile(expected, (3, 1)))
    ids, _ = model.recommend(batch, k=2)
    assert ids.tolist() == [[1, 2], [1, 0], [1, 0]]


# -- EASE -----------------------------------------------------------------------


def test_ease_matches_direct_numpy() -> None:
    x = random_binary(12, 7, 0.4, seed=1)
    l2 = 3.0
    p = np.linalg.inv(x.T @ x + l2 * np.eye(7))
    b = np.eye(7) - p / np.diag(p)[None, :]  # B = I - P / diag(P): zero diagonal
    model = EASE.from_config({"l2": l2}).fit(data_of_dense(x))
    np.testing.assert_allclose(model.state()["B"], b, atol=1e-6)
    assert np.all(np.diag(model.state()["B"]) == 0)
    np.testing.assert_allclose(model.score(all_users(data_of_dense(x))), x @ b, atol=1e-5)


# -- ItemKNN --------------------------------------------------------------------


def test_itemknn_cosine_hand_case() -> None:
    # Item columns: i0 = (1,1,1), i1 = (1,0,1), i2 = (0,1,1).
    data = data_of([[0, 1], [0, 2], [0, 1, 2]], n_items=3)
    c = 2 / np.sqrt(6)  # cos(i0, i1) = cos(i0, i2); cos(i1, i2) = 1/2
    full = ItemKNN.from_config({"neighbors": 2, "shrink": 0.0}).fit(data)
    expected = np.array([[0, c, c], [c, 0, 0.5], [c, 0.5, 0]], dtype=np.float32)
    np.testing.assert_allclose(full.sim.toarray(), expected, atol=1e-6)
    scores = full.score(Histories.from_lists([[1], [1, 2], []]))
    np.testing.assert_allclose(scores, [[c, 0, 0.5], [2 * c, 0.5, 0.5], [0, 0, 0]], atol=1e-6)
    # One neighbour per candidate column: i0 is the nearest item to i1 and to i2.
    top1 = ItemKNN.from_config({"neighbors": 1, "shrink": 0.0}).fit(data).sim.toarray()
    np.testing.assert_allclose(top1[:, 1:], [[c, c], [0, 0], [0, 0]], atol=1e-6)
    # Shrink divides by (norm product + shrink).
    shrunk = ItemKNN.from_config({"neighbors": 2, "shrink": 1.0}).fit(data).sim.toarray()
    assert shrunk[1, 2] == pytest.approx(1 / (2 + 1))


def test_itemknn_pearson_is_cosine_of_centred_columns() -> None:
    x = random_binary(15, 6, 0.4, seed=2)
    xc = x - x.mean(axis=0)
    norms = np.linalg.norm(xc, axis=0)
    expected = (xc.T @ xc) / np.outer(norms, norms)
    np.fill_diagonal(expected, 0.0)
    params: dict[str, object] = {"similarity": "pearson", "neighbors": 10, "shrink": 0.0}
    model = ItemKNN.from_config(params).fit(data_of_dense(x))
    np.testing.assert_allclose(model.sim.toarray(), expected, atol=1e-5)


# -- UserKNN --------------------------------------------------------------------


def test_userknn_cosine_matches_numpy_and_skips_self() -> None:
    x = random_binary(12, 40, 0.3, seed=3)
    data = data_of_dense(x)
    norms = np.linalg.norm(x, axis=1)
    sim = (x @ x.T) / np.outer(norms, norms)
    np.fill_diagonal(sim, -np.inf)  # a known user is not its own neighbour
    # Every other user as a neighbour: scores = sim @ X without the self term.
    everyone = UserKNN.from_config({"neighbors": 11, "shrink": 0.0}).fit(data)
    w = np.where(np.isfinite(sim), sim, 0.0)
    np.testing.assert_allclose(everyone.score(all_users(data)), w @ x, atol=1e-5)
    # Top-3 neighbours, compared on rows without a tie at the 3rd neighbour.
    k = 3
    model = UserKNN.from_config({"neighbors": k, "shrink": 0.0}).fit(data)
    w = np.zeros_like(sim)
    for u in range(12):
        top = np.argsort(-sim[u], kind="stable")[:k]
        w[u, top] = sim[u, top]
    kth = np.sort(sim, axis=1)[:, -k]
    clear = np.array([np.sum(np.isclose(sim[u], kth[u])) == 1 for u in range(12)])
    assert clear.sum() >= 6
    scores = model.score(all_users(data))
    np.testing.assert_allclose(scores[clear], (w @ x)[clear], atol=1e-5)
    assert model.n_params() == int(x.sum())  # the stored training matrix


# -- TF-IDF ---------------------------------------------------------------------


def test_tokenize_words_numbers_bigrams() -> None:
    assert tokenize("Toy Story (1995), Animation|Children's") == [
        "toy", "story", "1995", "animation", "children", "s",
    ]  # fmt: skip
    assert tokenize("A b c", bigrams=True) == ["a", "b", "c", "a b", "b c"]
    assert tokenize("") == []


def test_tfidf_two_texts_and_an_empty_one() -> None:
    texts = ["apple banana", "apple cherry", ""]
    x, vocab = tfidf_matrix(texts, sublinear_tf=False)
    assert vocab == ["apple", "banana", "cherry"]
    idf_apple, idf_other = np.log(4 / 3) + 1, np.log(4 / 2) + 1  # n = 3 texts
    norm = np.hypot(idf_apple, idf_other)
    expected = np.array(
        [[idf_apple, idf_other, 0], [idf_apple, 0, idf_other], [0, 0, 0]]
    ) / np.array([[norm], [norm], [1.0]])
    np.testing.assert_allclose(x.toarray(), expected, rtol=1e-6)

    data = data_of([[0], [1]], n_items=3, texts=texts)
    model = Tfidf.from_config({"sublinear_tf": False}).fit(data)
    scores = model.score(Histories.from_lists([[0], [2], [0, 1], []]))
    cos01 = idf_apple**2 / norm**2
    np.testing.assert_allclose(scores[0], [1.0, cos01, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(scores[1], 0)  # only an item without text
    # The mean of the two vectors has equal cosine with both items.
    assert scores[2, 0] == pytest.approx(scores[2, 1])
    np.testing.assert_array_equal(scores[3], 0)


def test_tfidf_recency_weighting_prefers_recent_items() -> None:
    texts = ["red apple", "blue sky", "red car", "blue sea"]
    data = data_of([[0, 1]], n_items=4, texts=texts)
    model = Tfidf.from_config({"recency_half_life": 1.0}).fit(data)
    # History oldest first: "red apple" then "blue sky"; the most recent wins.
    scores = model.score(Histories.from_lists([[0, 1]]))
    assert scores[0, 3] > scores[0, 2]
    scores = model.score(Histories.from_lists([[1, 0]]))
    assert scores[0, 2] > scores[0, 3]


# -- iALS -----------------------------------------------------------------------


def test_ials_fold_in_matches_implicit_recalculate_user() -> None:
    x = random_binary(40, 25, 0.2, seed=4)
    params = {"factors": 6, "iterations": 5, "alpha": 4.0, "regularization": 0.3}
    model = IALS.from_config(params).fit(data_of_dense(x), FAST_OPTIONS)
    ref = AlternatingLeastSquares(factors=6, regularization=0.3, alpha=4.0)
    ref.item_factors = model.item_factors.copy()
    rows = sparse.csr_matrix(x[:5], dtype=np.float32)
    expected = ref.recalculate_user(np.arange(5), rows)
    got = fold_in(model.item_factors, model._gram, rows, 4.0, 0.3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_ials_fold_in_of_known_user_approximates_trained_factor() -> None:
    x = random_binary(60, 30, 0.2, seed=5)
    data = data_of_dense(x)
    params = {"factors": 8, "iterations": 15, "alpha": 5.0, "solver": "cholesky"}
    model = IALS.from_config(params).fit(data, FAST_OPTIONS)
    known = all_users(data)
    unknown = Histories(np.full(len(known), -1), known.indptr, known.items)
    a, b = model.score(known), model.score(unknown)
    assert np.abs(a - b).max() < 0.05 * np.abs(a).max()
    # And the top-5 lists agree almost everywhere.
    top_a, top_b = np.argsort(-a, axis=1)[:, :5], np.argsort(-b, axis=1)[:, :5]
    overlap = np.mean([len(set(ra) & set(rb)) / 5 for ra, rb in zip(top_a, top_b, strict=True)])
    assert overlap > 0.95


# -- BPR ------------------------------------------------------------------------


def test_bpr_known_users_use_factors_unknown_users_the_mean_item_factor() -> None:
    x = random_binary(30, 20, 0.25, seed=6)
    data = data_of_dense(x)
    model = BPR.from_config({"factors": 4, "iterations": 5}).fit(data, FAST_OPTIONS)
    q, bias = model.item_factors, model.item_bias
    np.testing.assert_allclose(
        model.score(Histories.from_lists([[1, 2]], users=[3])),
        model.user_factors[[3]] @ q.T + bias,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        model.score(Histories.from_lists([[1, 2, 2], []], users=[-1, -1])),
        np.stack([(q[1] + q[2]) / 2 @ q.T + bias, bias]),
        atol=1e-6,
    )


# -- hybrid ---------------------------------------------------------------------


def test_normalize_rows_minmax_and_zscore() -> None:
    s = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 5.0]], dtype=np.float32)
    np.testing.assert_allclose(normalize_rows(s, "minmax"), np.array([[0, 1, 0.5], [0, 0, 0]]))
    z = normalize_rows(s, "zscore")
    np.testing.assert_allclose(z[0], (s[0] - 2) / np.std(s[0]), rtol=1e-6)
    np.testing.assert_array_equal(z[1], 0)


def test_hybrid_blends_normalised_sub_model_scores() -> None:
    texts = ["red apple", "blue sky", "red car", "blue sea", ""]
    data = data_of([[0, 1], [1, 3], [0, 2, 4]], n_items=5, texts=texts)
    spec = {"cf": {"kind": "popularity"}, "content": {"kind": "tfidf"}, "weight": 0.25}
    model = Hybrid.from_config(spec).fit(data)
    batch = Histories.from_lists([[0], [1, 2]], users=[0, -1])
    expected = 0.25 * normalize_rows(model.cf.score(batch), "minmax") + 0.75 * normalize_rows(
        model.content.score(batch), "minmax"
    )
    np.testing.assert_allclose(model.score(batch), expected, atol=1e-6)
    assert model.n_params() == model.cf.n_params() + model.content.n_params()
    assert set(model.state()) == {"cf.counts"} | {f"content.{k}" for k in model.content.state()}


def test_hybrid_rejects_bad_sub_model_params() -> None:
    with pytest.raises(ConfigError, match="ease"):
        build_model("hybrid", {"cf": {"kind": "ease", "params": {"nope": 1}}})
    with pytest.raises(ConfigError, match="unknown model kind"):
        build_model("hybrid", {"content": {"kind": "no-such-model"}})

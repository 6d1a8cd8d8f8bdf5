"""SASRec: sequential signal, losses, text fusion and cold items, empty histories, artifacts.

The language-model encoder is replaced by a fake table (no model download):
item texts name a cluster, and the fake embedding is that cluster's one-hot
direction plus noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recdistill.data.types import Interactions
from recdistill.errors import ConfigError
from recdistill.models import FitOptions, Histories, SASRec, TrainData, build_model, load_model
from recdistill.models import sasrec as sasrec_module

OPTS = FitOptions(seed=0, threads=1, progress=False, precision="fp32")  # bf16: test_train
SMALL: dict[str, Any] = {
    "lr_schedule": "constant",  # the planted-pattern thresholds assume a flat rate
    "warmup": 0.0,
    "d_model": 32,
    "n_heads": 2,
    "n_layers": 1,
    "max_len": 20,
    "batch_size": 32,
    "epochs": 25,
    "patience": 0,
    "dropout": 0.1,
    "lr": 0.01,
}


def table_of(rows: list[list[int]], n_items: int) -> Interactions:
    user = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    item = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    return Interactions.build(user, item, np.arange(len(user)), len(rows), n_items)


def successor(
    n_users: int = 150, n_items: int = 80, seed: int = 0, first: int | None = None
) -> tuple[TrainData, Histories, np.ndarray]:
    """Users walk i -> i+1 (mod n_items); returns (train, histories, held-out next items).

    With ``first``, 70% of users start at that item (a skewed first-item distribution).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_users):
        start = first if first is not None and rng.random() < 0.7 else rng.integers(0, n_items)
        rows.append(((start + np.arange(rng.integers(5, 25))) % n_items).tolist())
    train = [r[:-1] for r in rows]
    return (
        TrainData(table_of(train, n_items)),
        Histories.from_lists(train, users=np.arange(n_users)),
        np.array([r[-1] for r in rows]),
    )


def hit_rate(scores: np.ndarray, hist: Histories, truth: np.ndarray, k: int = 10) -> float:
    from recdistill.models.base import mask_scores, top_k

    ids, _ = top_k(mask_scores(scores.copy(), hist), k)
    return float((ids == truth[:, None]).any(axis=1).mean())


def popularity_hr(data: TrainData, hist: Histories, truth: np.ndarray) -> float:
    counts = data.interactions.item_counts().astype(np.float32)
    return hit_rate(np.tile(counts, (len(hist), 1)), hist, truth)


@pytest.fixture(scope="module")
def walk() -> tuple[TrainData, Histories, np.ndarray]:
    return successor()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"norm": "post", "attn_dropout": 0.1, "item_dropout": 0.1},
        {"loss": "sampled", "n_negatives": 16},
        {"loss": "sampled", "n_negatives": 16, "negative_sampling": "popularity"},
    ],
    ids=["full", "post-ln", "sampled-uniform", "sampled-popularity"],
)
def test_learns_the_sequential_pattern(
    params: dict[str, Any], walk: tuple[TrainData, Histories, np.ndarray]
) -> None:
    data, hist, truth = walk
    model = build_model("sasrec", {**SMALL, **params}).fit(data, OPTS)
    hr = hit_rate(model.score(hist), hist, truth)
    pop = popularity_hr(data, hist, truth)
    assert hr >= max(0.8, pop + 0.5), f"HR@10 {hr:.2f} vs popularity {pop:.2f}"


def test_two_tower_student_learns_the_sequential_pattern(
    walk: tuple[TrainData, Histories, np.ndarray],
) -> None:
    """The pooled student reads order through its recency and last-item views."""
    data, hist, truth = walk
    params = {k: v for k, v in SMALL.items() if k not in ("n_heads", "n_layers")}
    model = build_model("twotower", params).fit(data, OPTS)
    hr = hit_rate(model.score(hist), hist, truth)
    pop = popularity_hr(data, hist, truth)
    assert hr >= max(0.8, pop + 0.5), f"HR@10 {hr:.2f} vs popularity {pop:.2f}"
    # A new event changes the user's vector at once (no user table, no retraining).
    row = hist.row(0).tolist()
    before = model.score(Histories.from_lists([row]))[0]
    after = model.score(Histories.from_lists([[*row, int(truth[0])]]))[0]
    assert int(np.argmax(after)) != int(np.argmax(before))


def test_history_given_at_request_time_scores_like_a_known_user(
    walk: tuple[TrainData, Histories, np.ndarray],
) -> None:
    data, hist, _ = walk
    model = build_model("sasrec", {**SMALL, "epochs": 2}).fit(data, OPTS)
    rows = [hist.row(b).tolist() for b in range(4)]
    known = model.score(Histories.from_lists(rows, users=[0, 1, 2, 3]))
    adhoc = model.score(Histories.from_lists(rows))
    np.testing.assert_allclose(known, adhoc, rtol=0, atol=1e-5)
    # Only the last max_len items count.
    long = list(range(60)) + rows[0]
    np.testing.assert_allclose(
        model.score(Histories.from_lists([long]))[0],
        model.score(Histories.from_lists([long[-SMALL["max_len"] :]]))[0],
        rtol=0,
        atol=1e-5,
    )


def test_empty_history_ranks_like_first_item_popularity() -> None:
    data, _, _ = successor(first=7, seed=3)
    model = build_model("sasrec", SMALL).fit(data, OPTS)
    scores = model.score(Histories.from_lists([[]]))[0]
    assert np.isfinite(scores).all() and scores.std() > 0
    assert int(np.argmax(scores)) == 7  # the most common first item


# -- text fusion and cold items --------------------------------------------------
N_CLUSTERS, PER_CLUSTER = 4, 10  # item PER_CLUSTER - 1 of each cluster is never trained on


def fake_text_table(texts: list[str], encoder: str, progress: bool) -> tuple[np.ndarray, int]:
    """Stand-in for recdistill.text: the cluster named in the text, as a unit vector."""
    rng = np.random.default_rng(0)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i, int(t.split()[1])] = 1.0
    out += 0.05 * rng.standard_normal(out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out, 123_456


def clustered(seed: int = 0) -> tuple[TrainData, list[list[int]], np.ndarray]:
    """Users consume items of one cluster; each cluster's last item is cold."""
    rng = np.random.default_rng(seed)
    n_items = N_CLUSTERS * PER_CLUSTER
    rows, clusters = [], []
    for u in range(120):
        c = u % N_CLUSTERS
        warm = c * PER_CLUSTER + np.arange(PER_CLUSTER - 1)
        rows.append(rng.choice(warm, size=6, replace=False).tolist())
        clusters.append(c)
    texts = [f"cluster {i // PER_CLUSTER} item {i}" for i in range(n_items)]
    return TrainData(table_of(rows, n_items), texts), rows, np.array(clusters)


@pytest.mark.parametrize("fusion", ["gate", "sum"])
def test_text_fusion_gives_cold_items_their_text(
    fusion: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sasrec_module, "text_table", fake_text_table)
    data, rows, clusters = clustered()
    params = {**SMALL, "epochs": 30, "text": {"encoder": "minilm", "fusion": fusion}}
    model = build_model("sasrec", params).fit(data, OPTS)
    assert isinstance(model, SASRec)
    cold = np.arange(N_CLUSTERS) * PER_CLUSTER + PER_CLUSTER - 1
    assert data.interactions.item_counts()[cold].sum() == 0
    scores = model.score(Histories.from_lists(rows))
    cold_scores = scores[:, cold]
    assert np.isfinite(cold_scores).all() and cold_scores.std() > 0
    # The cold item of the user's own cluster beats the other clusters' cold items.
    match = (np.argmax(cold_scores, axis=1) == clusters).mean()
    assert match >= 0.9, f"own-cluster cold item ranked first for {match:.0%} of users"

    assert model.meta()["encoder"] == "minilm"
    assert model.encoder_bytes() == 123_456
    state = model.state()
    assert not any(k.startswith("items.proj") or k.startswith("items.gate") for k in state)
    assert state["items.ids"].shape == (data.n_items, SMALL["d_model"])
    plain = build_model("sasrec", SMALL).fit(data, OPTS)
    assert model.serving_bytes() == plain.serving_bytes()  # the text is baked into the table
    loaded = load_model(model.save(tmp_path / "m"))
    assert isinstance(loaded, SASRec) and loaded.encoder_bytes() == 123_456
    np.testing.assert_allclose(loaded.score(Histories.from_lists(rows)), scores, atol=1e-5)


def fake_image_table(
    paths: list[str], encoder: str, progress: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Stand-in for recdistill.images: the cluster named in the file name ("c2_25.png"),
    as :func:`fake_text_table` makes it; a path naming no cluster is unusable."""
    ok = np.array([p.startswith("c") for p in paths])
    out, _ = fake_text_table([f"c {p[1] if p.startswith('c') else 0}" for p in paths], "", False)
    out[~ok] = 0.0
    summary = {"name": encoder, "bytes": 7_000, "dim": 384, "images": int(ok.sum()),
               "missing": 0, "unreadable": int((~ok).sum())}  # fmt: skip
    return out, ok, summary


def test_image_fusion_gives_cold_items_their_picture_and_falls_back_without_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sasrec_module, "image_table", fake_image_table)
    monkeypatch.setattr(sasrec_module, "text_table", fake_text_table)
    data, rows, clusters = clustered()
    # Every item's image names its cluster, except item 0's (unreadable): it keeps text/ID.
    images = [f"c{i // PER_CLUSTER}_{i}.png" for i in range(data.n_items)]
    images[0] = "broken.png"
    data = TrainData(data.interactions, [""] * data.n_items, item_image=images)
    params = {**SMALL, "epochs": 30, "image": {"encoder": "efficientnet-lite0"}}
    model = build_model("sasrec", params).fit(data, OPTS)
    assert isinstance(model, SASRec)
    cold = np.arange(N_CLUSTERS) * PER_CLUSTER + PER_CLUSTER - 1
    scores = model.score(Histories.from_lists(rows))
    match = (np.argmax(scores[:, cold], axis=1) == clusters).mean()
    assert match >= 0.9, f"own-cluster cold item ranked first for {match:.0%} of users"

    net = model.require_net()
    assert net.items.fused is False  # frozen after fitting: the serving table only
    assert set(model.state()) == set(build_model("sasrec", SMALL).fit(data, OPTS).state())
    meta = model.meta()
    assert meta["encoders"]["image"]["images"] == data.n_items - 1
    assert meta["encoders"]["image"]["unreadable"] == 1
    assert model.encoder_bytes() == 7_000
    loaded = load_model(model.save(tmp_path / "m"))
    assert isinstance(loaded, SASRec) and loaded.meta()["encoders"] == meta["encoders"]


def test_item_without_usable_image_keeps_its_text_and_id_vector() -> None:
    import torch

    from recdistill.models._sasrec_net import ItemTable

    torch.manual_seed(0)
    text = torch.randn(5, 8)
    image = (torch.randn(5, 6), torch.tensor([True, False, True, False, True]))
    both = ItemTable(5, 4, text, "gate", image)
    only_text = ItemTable(5, 4, text, "gate")
    only_text.load_state_dict(
        {k: v for k, v in both.state_dict().items() if not k.startswith("image_")}
    )
    with torch.no_grad():
        a, b = both(), only_text()
        rows = both(torch.tensor([1, 2]))
    torch.testing.assert_close(a[[1, 3]], b[[1, 3]])  # no image: exactly the text/ID vector
    assert not torch.allclose(a[[0, 2, 4]], b[[0, 2, 4]])  # an image changes the vector
    torch.testing.assert_close(rows, a[[1, 2]])  # a row lookup agrees with the full table


def test_auto_text_encoder_reads_chinese_with_e5_and_records_the_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def spy(texts: list[str], encoder: str, progress: bool) -> tuple[np.ndarray, int]:
        asked.append(encoder)
        return fake_text_table(texts, encoder, progress)

    monkeypatch.setattr(sasrec_module, "text_table", spy)
    data, _, _ = clustered()
    zh = [f"类 {i // PER_CLUSTER} 商品 极光 智能手机 {i}" for i in range(data.n_items)]
    params = {**SMALL, "epochs": 1, "text": {"encoder": "auto"}}
    model = build_model("sasrec", params).fit(TrainData(data.interactions, zh), OPTS)
    assert asked == ["e5"]
    meta = model.meta()
    assert meta["encoder"] == "e5" and meta["encoders"]["text"]["name"] == "e5"
    assert meta["encoders"]["text"]["chosen"].startswith("auto: 0% of")
    model = build_model("sasrec", params).fit(data, OPTS)  # "cluster 1 item 12": English
    assert asked[-1] == "minilm" and model.encoder == "minilm"


def test_text_without_item_text_is_a_clear_error(
    walk: tuple[TrainData, Histories, np.ndarray],
) -> None:
    data, _, _ = walk
    model = build_model("sasrec", {**SMALL, "text": {"encoder": "e5"}})
    with pytest.raises(ConfigError, match="no item text"):
        model.fit(data, OPTS)


def test_images_without_an_image_column_are_a_clear_error(
    walk: tuple[TrainData, Histories, np.ndarray],
) -> None:
    data, _, _ = walk
    model = build_model("sasrec", {**SMALL, "image": {"encoder": "efficientnet-lite0"}})
    with pytest.raises(ConfigError, match=r"no item images \(set data\.items\.image"):
        model.fit(data, OPTS)


def test_config_errors_name_the_parameter() -> None:
    with pytest.raises(ConfigError, match="d_model"):
        build_model("sasrec", {"d_model": 30, "n_heads": 4})
    with pytest.raises(ConfigError, match=r"text\.encoder"):
        build_model("sasrec", {"text": {"encoder": "bert"}})
    with pytest.raises(ConfigError, match="unknown parameter"):
        build_model("sasrec", {"hidden": 3})


def test_ensemble_averages_member_log_probabilities(
    walk: tuple[TrainData, Histories, np.ndarray], tmp_path: Path
) -> None:
    import torch

    data, hist, truth = walk
    params = {**SMALL, "epochs": 8, "ensemble": 2}
    model = build_model("sasrec", params).fit(
        data, FitOptions(seed=4, threads=1, progress=False, out_dir=tmp_path / "run")
    )
    assert isinstance(model, SASRec) and len(model.members) == 2 and len(model.reports) == 2
    assert (tmp_path / "run" / "member1" / "checkpoints" / "last.pt").exists()
    scores = model.score(hist)
    members = list(model.members)
    singles = []
    for net in members:
        model.members = [net]
        singles.append(torch.from_numpy(model.score(hist)).log_softmax(dim=1))
    model.members = members
    expected = torch.stack(singles).mean(dim=0).numpy()
    np.testing.assert_allclose(scores, expected, atol=1e-4)
    assert hit_rate(scores, hist, truth) >= 0.8

    state = model.state()
    assert {k.split(".")[0] for k in state} == {"member0", "member1"}
    loaded = load_model(model.save(tmp_path / "saved"))
    np.testing.assert_allclose(loaded.score(hist), scores, atol=1e-5)
    assert loaded.serving_bytes() == model.serving_bytes()


def test_two_tower_fast_scoring_matches_the_network(
    walk: tuple[TrainData, Histories, np.ndarray], tmp_path: Path
) -> None:
    """The numpy last-position path equals the network's full pooling (and after reload)."""
    from recdistill.models._seqmodel import TrainingView
    from recdistill.models.twotower import TwoTower

    data, hist, _ = walk
    params = {k: v for k, v in SMALL.items() if k not in ("n_heads", "n_layers")}
    model = build_model("twotower", {**params, "epochs": 3, "max_len": 6}).fit(data, OPTS)
    assert isinstance(model, TwoTower)
    rows = [hist.row(b).tolist() for b in range(6)] + [[], [3], list(range(30))]
    batch = Histories.from_lists(rows)
    fast = model.score(batch)
    one_by_one = np.concatenate([model.score(Histories.from_lists([r])) for r in rows])
    np.testing.assert_allclose(one_by_one, fast, rtol=1e-5, atol=1e-5)
    slow = TrainingView(model, model.require_net()).score(batch)  # the network's torch path
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-4)
    loaded = load_model(model.save(tmp_path / "tt"))
    np.testing.assert_allclose(loaded.score(batch), fast, rtol=1e-5, atol=1e-5)

    # One request: the compiled kernel against the numpy reference, float32 and int8,
    # with ids outside the catalogue (skipped) and a history longer than max_len.
    odd = np.array([-1, 3, model.n_items, 5, *range(12), 10**6], dtype=np.int32)
    for m in (model, model.quantized("int8")):
        w = m._weights()
        for items in (odd, odd[:0], np.array([2], dtype=np.int32)):
            np.testing.assert_allclose(
                m._score_one(items, w), m._score_one_numpy(items, w), rtol=1e-5, atol=1e-5
            )


@pytest.mark.parametrize(("precision", "tol"), [("float16", 2e-2), ("int8", 0.1)])
def test_quantized_two_tower_is_smaller_and_ranks_alike(
    precision: str, tol: float, walk: tuple[TrainData, Histories, np.ndarray], tmp_path: Path
) -> None:
    from recdistill.models.twotower import TwoTower

    data, hist, truth = walk
    params = {k: v for k, v in SMALL.items() if k not in ("n_heads", "n_layers")}
    model = build_model("twotower", params).fit(data, OPTS)
    assert isinstance(model, TwoTower)
    q = model.quantized(precision)  # type: ignore[arg-type]
    table = q.state()["items"]
    assert table.dtype == (np.int8 if precision == "int8" else np.float16)
    # The item table and MLP shrink 4x (int8, plus one scale per row) or 2x (float16).
    assert q.serving_bytes() < (0.35 if precision == "int8" else 0.6) * model.serving_bytes()
    assert q.n_params() == model.n_params()
    full, small = model.score(hist), q.score(hist)
    scale = np.abs(full).max()
    assert np.abs(full - small).max() <= tol * scale
    hr_full = hit_rate(full, hist, truth)
    assert hit_rate(small, hist, truth) >= hr_full - 0.03
    loaded = load_model(q.save(tmp_path / precision))
    assert isinstance(loaded, TwoTower) and loaded.precision == precision
    np.testing.assert_array_equal(loaded.score(hist), small)
    single = loaded.score(Histories.from_lists([hist.row(0).tolist()]))
    np.testing.assert_allclose(single[0], small[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ConfigError, match="already quantized"):
        q.quantized("int8")


@pytest.mark.parametrize(("precision", "tol"), [("float16", 2e-2), ("int8", 0.1)])
def test_quantized_sasrec_holds_only_the_small_weights_and_ranks_alike(
    precision: str, tol: float, walk: tuple[TrainData, Histories, np.ndarray], tmp_path: Path
) -> None:
    """An int8 / float16 SASRec student: every matrix stored small (and nothing else kept
    in memory: the network's tensors are the state), scores close, reload exact."""
    data, hist, truth = walk
    model = build_model("sasrec", SMALL).fit(data, OPTS)
    assert isinstance(model, SASRec)
    q = model.quantized(precision)
    state = q.state()
    small_dtype = np.int8 if precision == "int8" else np.float16
    matrices = [k for k, a in model.state().items() if a.ndim == 2]
    assert "items.ids" in matrices and "pos" in matrices and "blocks.0.qkv.weight" in matrices
    for name in matrices:
        assert state[f"{name}.values"].dtype == small_dtype, name
        if precision == "int8":
            assert state[f"{name}.scale"].shape == (model.state()[name].shape[0],)
    held = sum(t.numel() * t.element_size() for t in q.require_net().state_dict().values())
    assert held == q.serving_bytes()
    assert q.serving_bytes() < (0.35 if precision == "int8" else 0.6) * model.serving_bytes()
    assert q.n_params() == model.n_params()
    full, small = model.score(hist), q.score(hist)
    assert np.abs(full - small).max() <= tol * np.abs(full).max()
    assert hit_rate(small, hist, truth) >= hit_rate(full, hist, truth) - 0.03
    loaded = load_model(q.save(tmp_path / precision))
    assert isinstance(loaded, SASRec) and loaded.precision == precision
    np.testing.assert_array_equal(loaded.score(hist), small)
    assert loaded.serving_bytes() == q.serving_bytes()
    with pytest.raises(ConfigError, match="already quantized"):
        q.quantized("int8")


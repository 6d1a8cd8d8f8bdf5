"""The bundled demo dataset: contract, determinism, and the structure it promises.

Each structural check also runs on a negative control (the same log with every
user's events shuffled in time, or with items drawn uniformly), so a check that
could not fail would show up here.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recdistill.config import DataConfig
from recdistill.data.demo import (
    DEMO_CONFIG,
    DEMO_SIZES,
    DemoData,
    behaviour,
    demo_config,
    generate_demo,
    sample_demo,
    to_raw,
    write_demo,
)
from recdistill.data.demo.behaviour import WINDOW_END, WINDOW_START, Events
from recdistill.data.demo.catalogue import fields
from recdistill.data.demo.stats import (
    accessory_follow,
    drift,
    repeats,
    top_share,
    transition_vs_popularity,
)
from recdistill.data.demo.vocabulary import ACCESSORY, DEPARTMENTS, DEVICE, LEAVES
from recdistill.data.types import RawInteractions, RawItems


@pytest.fixture(scope="module")
def timed_full() -> tuple[DemoData, float]:
    began = time.perf_counter()
    data = sample_demo(seed=0)
    return data, time.perf_counter() - began


@pytest.fixture(scope="module")
def full(timed_full: tuple[DemoData, float]) -> DemoData:
    return timed_full[0]


@pytest.fixture(scope="module")
def full_frames(full: DemoData) -> tuple[RawInteractions, RawItems]:
    return to_raw(full)


@pytest.fixture(scope="module")
def quick() -> tuple[RawInteractions, RawItems]:
    return generate_demo(seed=0, **DEMO_SIZES["quick"])


def shuffled(data: DemoData, seed: int = 1) -> DemoData:
    """The same log with each user's items in random order (times kept)."""
    ev = data.events
    key = np.random.Generator(np.random.PCG64(seed)).random(len(ev.user))
    order = np.lexsort((key, ev.user))  # events are grouped by user, so this permutes in-block
    return replace(data, events=Events(ev.user, ev.item[order], ev.time))


# ---------------------------------------------------------------- contract and sizes


def test_same_seed_same_frames_other_seed_differs(
    quick: tuple[RawInteractions, RawItems],
) -> None:
    inter, items = quick
    again_inter, again_items = generate_demo(seed=0, **DEMO_SIZES["quick"])
    pd.testing.assert_frame_equal(inter.frame, again_inter.frame)
    pd.testing.assert_frame_equal(items.frame, again_items.frame)
    other_inter, other_items = generate_demo(seed=1, **DEMO_SIZES["quick"])
    assert not inter.frame.equals(other_inter.frame)
    assert set(items.frame["title"]) != set(other_items.frame["title"])
    assert inter.source.startswith("demo(seed=0")
    assert other_inter.source.startswith("demo(seed=1")


def test_default_sizes_and_speed(
    full_frames: tuple[RawInteractions, RawItems], timed_full: tuple[DemoData, float]
) -> None:
    inter, items = full_frames
    seconds = timed_full[1]
    assert DEMO_SIZES["full"] == {"n_users": 6000, "n_items": 3200}
    assert inter.frame["user"].nunique() == 6000
    assert len(items.frame) == 3200
    assert 100_000 <= len(inter.frame) <= 200_000
    assert seconds < 10.0  # about 2 s on 2 cores; the brief's budget is 5 s


def test_quick_sizes(quick: tuple[RawInteractions, RawItems]) -> None:
    inter, items = quick
    assert inter.frame["user"].nunique() == DEMO_SIZES["quick"]["n_users"] == 1500
    assert len(items.frame) == DEMO_SIZES["quick"]["n_items"] == 1200
    assert 25_000 <= len(inter.frame) <= 60_000


def test_frames_follow_the_raw_contract(quick: tuple[RawInteractions, RawItems]) -> None:
    inter, items = quick
    assert list(inter.frame.columns) == ["user", "item", "time"]
    assert list(items.frame.columns) == ["item", "text", "title", "category"]
    assert inter.frame["time"].dtype == np.int64
    assert all(isinstance(v, str) for v in inter.frame["user"].head(100))
    assert all(isinstance(v, str) for v in inter.frame["item"].head(100))
    assert items.frame["item"].is_unique
    assert set(inter.frame["item"]) <= set(items.frame["item"])
    row = items.frame.iloc[0]
    assert row["text"].startswith(f"{row['title']} | {row['category']} | ")


def test_titles_unique_readable_and_categorised(full: DemoData) -> None:
    cat = full.catalogue
    assert len(set(cat.title)) == cat.n_items
    assert all(d.strip() for d in cat.description)
    cats = {cat.category(i) for i in range(cat.n_items)}
    depts = {c.split(" > ")[0] for c in cats}
    assert 10 <= len(depts) <= 12 and depts == set(DEPARTMENTS)
    assert 40 <= len(cats) <= 60
    # Accessories name the exact device model they fit; devices share those words.
    acc = np.flatnonzero(cat.of_kind(ACCESSORY))
    assert all(cat.model_name[cat.model[i]] in cat.title[i] for i in acc)
    dev = np.flatnonzero(cat.of_kind(DEVICE))
    assert all(cat.title[i].startswith(cat.model_name[cat.model[i]] + " ") for i in dev)


def test_vocabulary_blurbs_only_use_title_fields() -> None:
    for leaf in LEAVES:
        extra = {"model", "brand"} if leaf.kind in (DEVICE, ACCESSORY) else set()
        common = set.intersection(*(set(fields(f)) | extra for f in leaf.fmts))
        for blurb in leaf.blurbs:
            assert set(fields(blurb)) <= common, (leaf.category, blurb)


def test_every_user_has_five_events_in_time_order(
    full_frames: tuple[RawInteractions, RawItems],
) -> None:
    frame = full_frames[0].frame
    assert frame.groupby("user").size().min() >= 5
    assert frame.drop_duplicates(["user", "item"]).groupby("user").size().min() >= 5
    # Within each user, file order must be time order (non-decreasing).
    steps = frame.groupby("user", sort=False)["time"].diff().dropna()
    assert (steps >= 0).all()
    assert (steps == 0).mean() < 0.001  # ties are rare
    assert frame["time"].min() >= WINDOW_START and frame["time"].max() <= WINDOW_END
    span_days = (frame["time"].max() - frame["time"].min()) / 86_400
    assert 365 <= span_days <= 731


def test_small_and_bad_sizes() -> None:
    inter, items = generate_demo(seed=3, n_users=50, n_items=300)
    assert len(items.frame) == 300 and inter.frame.groupby("user").size().min() >= 5
    with pytest.raises(ValueError):
        generate_demo(n_items=100)
    with pytest.raises(ValueError):
        generate_demo(n_items=20_000)
    with pytest.raises(ValueError):
        generate_demo(n_users=0, n_items=300)


def test_write_demo_round_trips_through_the_config(tmp_path: Path) -> None:
    sizes = {"n_users": 200, "n_items": 400}
    inter_path, items_path = write_demo(tmp_path / "demo", seed=5, **sizes)
    assert inter_path == tmp_path / "demo" / "interactions.csv"
    assert items_path == tmp_path / "demo" / "items.csv"
    inter_csv = pd.read_csv(inter_path, dtype={"user_id": str, "item_id": str})
    items_csv = pd.read_csv(items_path, dtype=str)
    assert list(inter_csv.columns) == ["user_id", "item_id", "timestamp"]
    assert list(items_csv.columns) == ["item_id", "title", "category", "description"]
    inter, items = generate_demo(seed=5, **sizes)
    assert inter_csv["user_id"].tolist() == inter.frame["user"].tolist()
    assert inter_csv["item_id"].tolist() == inter.frame["item"].tolist()
    assert inter_csv["timestamp"].tolist() == inter.frame["time"].tolist()
    assert items_csv["title"].tolist() == items.frame["title"].tolist()  # commas survive quoting
    joined = items_csv[["title", "category", "description"]].agg(" | ".join, axis=1)
    assert joined.tolist() == items.frame["text"].tolist()

    config = DEMO_CONFIG(tmp_path / "demo")
    assert DEMO_CONFIG is demo_config
    parsed = DataConfig.model_validate(config)
    assert Path(parsed.interactions.path) == inter_path and parsed.interactions.format == "csv"
    assert (parsed.interactions.user, parsed.interactions.item) == ("user_id", "item_id")
    assert parsed.interactions.time == "timestamp"
    assert parsed.items is not None and Path(parsed.items.path) == items_path
    assert parsed.items.id == "item_id"
    assert parsed.items.text == ["title", "category", "description"]


# ------------------------------------------------------------- structure of the log


def test_popularity_is_skewed(full: DemoData) -> None:
    share = top_share(full, 0.1)
    assert share > 0.40  # measured 0.53 for seed 0
    ev = full.events
    uniform = np.random.Generator(np.random.PCG64(0)).integers(
        full.catalogue.n_items, size=len(ev.item)
    )
    assert top_share(replace(full, events=Events(ev.user, uniform, ev.time))) < 0.2
    per_user = np.bincount(ev.user)
    assert per_user.max() >= 10 * np.median(per_user)  # heavy-tailed activity


def test_accessories_follow_their_device(full: DemoData) -> None:
    p_next, base = accessory_follow(full)
    assert p_next > 0.5  # measured 0.81
    assert p_next > 50 * base  # base rate about 0.005
    p_shuffled, _ = accessory_follow(shuffled(full))
    assert p_shuffled < p_next / 2


def test_consumables_are_rebought(full: DemoData) -> None:
    stats = repeats(full)
    assert stats["repeat_event_share"] > 0.05
    assert stats["repeats_that_are_consumables"] > 0.8
    assert stats["users_with_a_repeat"] > 0.3
    assert 10 <= stats["median_repeat_gap_days"] <= 60  # intervals are 14-120 days
    ev = full.events
    uniform = np.random.Generator(np.random.PCG64(0)).integers(
        full.catalogue.n_items, size=len(ev.item)
    )
    control = repeats(replace(full, events=Events(ev.user, uniform, ev.time)))
    assert control["repeat_event_share"] < stats["repeat_event_share"] / 3


def test_recent_events_predict_interests_better_than_old_ones(full: DemoData) -> None:
    # Adjacent windows: sessions, complements and drift all count.
    adjacent = drift(full)
    assert adjacent["drift_users"] > 1000
    assert adjacent["overlap_last_recent"] > adjacent["overlap_last_first"] + 0.1
    control = drift(shuffled(full))
    assert abs(control["overlap_last_recent"] - control["overlap_last_first"]) < 0.03


def test_interests_drift(full: DemoData, monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 events between the windows, so one session cannot span both.
    real = drift(full, min_events=50, gap=20)
    assert real["drift_users"] > 300
    assert real["overlap_last_recent"] > real["overlap_last_first"] + 0.07
    control = drift(shuffled(full), min_events=50, gap=20)
    assert abs(control["overlap_last_recent"] - control["overlap_last_first"]) < 0.03
    # The same generator with drift switched off: first and last events agree far more.
    monkeypatch.setattr(behaviour, "DRIFT", 0.0)
    still = drift(sample_demo(seed=0), min_events=50, gap=20)
    assert still["overlap_last_first"] > real["overlap_last_first"] + 0.08


def test_sequence_beats_popularity(full: DemoData) -> None:
    hr_transition, hr_popularity = transition_vs_popularity(full, k=10)
    assert hr_transition > 2 * hr_popularity  # measured 0.29 vs 0.06
    assert hr_transition - hr_popularity > 0.1
    hr_shuffled, _ = transition_vs_popularity(shuffled(full), k=10)
    assert hr_shuffled < hr_transition - 0.1

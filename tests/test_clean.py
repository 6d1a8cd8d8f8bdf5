"""Cleaning, id maps and the catalogue merge, with every dropped row counted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recdistill.config import CleanConfig, DataConfig
from recdistill.data import describe, load_dataset
from recdistill.data.clean import clean_interactions, index_interactions
from recdistill.errors import ConfigError, DataError

Write = Callable[[str, str | bytes], Path]


def raw(rows: Sequence[tuple[str, str, int, float]]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["user", "item", "time", "rating"])
    return f.astype({"time": np.int64, "rating": np.float64})


def triples(f: pd.DataFrame) -> list[tuple[str, str, int]]:
    return list(zip(f["user"], f["item"], f["time"], strict=True))


def test_min_rating_counts_dropped_and_unrated_rows() -> None:
    f = raw([("u", "a", 1, 5), ("u", "b", 2, 2), ("u", "c", 3, float("nan"))])
    notes: list[str] = []
    out = clean_interactions(f, CleanConfig(), 4, notes)
    assert triples(out) == [("u", "a", 1)]
    assert notes == [
        "min_rating 4: dropped 2 of 3 rows (66.7%) with rating < 4, 1 of them without a rating"
    ]


def test_min_rating_without_rating_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="min_rating needs a rating column"):
        clean_interactions(raw([("u", "a", 1, 1)]).drop(columns="rating"), CleanConfig(), 3, [])


def test_dedupe_then_repeats_first_last_keep() -> None:
    f = raw(
        [
            ("u", "a", 5, 1),
            ("u", "a", 5, 2),  # exact duplicate event
            ("u", "a", 3, 1),  # earlier repeat of (u, a)
            ("u", "b", 7, 1),
            ("u", "b", 7, 1),
            ("v", "a", 1, 1),
        ]
    )
    notes: list[str] = []
    first = clean_interactions(f, CleanConfig(repeats="first"), None, notes)
    assert triples(first) == [("u", "a", 3), ("u", "b", 7), ("v", "a", 1)]  # file order kept
    assert notes[0].startswith("dedupe: dropped 2 exact duplicate events")
    assert notes[1].startswith("repeats=first: dropped 1 repeated user-item interactions")
    last = clean_interactions(f, CleanConfig(repeats="last"), None, [])
    assert triples(last) == [("u", "a", 5), ("u", "b", 7), ("v", "a", 1)]
    keep = clean_interactions(f, CleanConfig(repeats="keep", dedupe=False), None, [])
    assert len(keep) == len(f)


def test_repeats_ties_are_broken_by_file_order() -> None:
    f = raw([("u", "a", 5, 1), ("u", "b", 5, 1), ("u", "a", 5, 2)])
    out = clean_interactions(f, CleanConfig(repeats="first", dedupe=False), None, [])
    assert out["rating"].tolist() == [1, 1]
    out = clean_interactions(f, CleanConfig(repeats="last", dedupe=False), None, [])
    assert out["rating"].tolist() == [1, 2]


def test_k_core_is_iterative_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # round 1 drops user w (1 row), which leaves item q with 1 row (round 2), which
    # leaves user t with 1 row (round 3)
    rows = [
        ("u", "x", 1, 1),
        ("u", "y", 2, 1),
        ("u", "z", 3, 1),
        ("v", "x", 1, 1),
        ("v", "y", 2, 1),
        ("v", "z", 3, 1),
        ("w", "q", 1, 1),
        ("t", "z", 1, 1),
        ("t", "q", 2, 1),
    ]
    notes: list[str] = []
    with caplog.at_level(logging.INFO, logger="recdistill.data"):
        out = clean_interactions(
            raw(rows), CleanConfig(min_user_interactions=2, min_item_interactions=2), None, notes
        )
    assert sorted(set(out["user"])) == ["u", "v"] and sorted(set(out["item"])) == ["x", "y", "z"]
    assert notes == [
        "k-core (users >= 2, items >= 2): dropped 3 rows (33.3%), 2 users and 1 items in 3 rounds"
    ]
    assert caplog.records[-1].name == "recdistill.data" and caplog.records[-1].message == notes[0]


def test_ids_in_order_of_first_appearance_and_sorted_table() -> None:
    f = raw([("b", "x", 9, 1), ("a", "y", 1, 1), ("b", "y", 3, 1), ("b", "z", 3, 1)])
    users, items, table = index_interactions(f, extra_items=["w", "x"])
    assert users.to_list() == ["b", "a"] and items.to_list() == ["x", "y", "z", "w"]
    assert table.n_items == 4 and table.user.tolist() == [0, 0, 0, 1]
    # user b in time order; the tie at time 3 keeps file order (y before z)
    assert items.originals(table.item[:3]) == ["y", "z", "x"]


def test_catalogue_merge_counts_cold_missing_and_duplicate_items(write: Write) -> None:
    inter = write("log.csv", "user_id,item_id,timestamp\nu,a,1\nu,b,2\nv,zz,3\n")
    items = write("items.csv", "item_id,title\na,Apple\nb,Banana\na,Again\ncold,Frost\n")
    cfg: dict[str, Any] = {
        "interactions": {"path": str(inter), "format": "csv"},
        "items": {"path": str(items), "format": "csv"},
    }
    ds = load_dataset(DataConfig.model_validate(cfg))
    assert ds.name == "log" and ds.items.to_list() == ["a", "b", "zz"]
    assert ds.item_text == ["Apple", "Banana", ""] and ds.item_title == ["Apple", "Banana", "zz"]
    log = "\n".join(ds.log)
    assert "1 rows repeat an item id" in log
    assert "left 1 items without interactions out of the item universe" in log
    assert "1 interactions of 1 items with no catalogue entry kept, with empty text" in log
    cfg["clean"] = {"keep_cold_items": True}
    ds = load_dataset(DataConfig.model_validate(cfg))
    assert ds.items.to_list() == ["a", "b", "zz", "cold"] and ds.item_title[-1] == "Frost"
    assert ds.interactions.n_items == 4


def test_describe_reports_sizes_time_range_and_log(write: Write) -> None:
    p = write("clicks.csv", "user_id,item_id\nu,a\nu,b\nv,a\nv,a\n")
    cfg = {"interactions": {"path": str(p), "format": "csv", "time": None}, "name": "clicks"}
    text = describe(load_dataset(DataConfig.model_validate(cfg)))
    assert "users         2" in text and "interactions  3" in text
    assert "density       75.000%" in text
    assert "time          0 .. 2 (order keys)" in text
    assert "repeats=first: dropped 1 repeated user-item interactions" in text


def test_everything_dropped_is_an_error(write: Write) -> None:
    p = write("log.csv", "user_id,item_id,timestamp,r\nu,a,1,1\n")
    cfg = {"interactions": {"path": str(p), "format": "csv", "rating": "r", "min_rating": 3}}
    with pytest.raises(DataError, match="no interactions left after cleaning"):
        load_dataset(DataConfig.model_validate(cfg))

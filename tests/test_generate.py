"""``recdistill data generate``: the demo shop at any size, exact counts, a config that runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recdistill.config import load_config
from recdistill.data.demo.generate import catalogue, event_counts, generate
from recdistill.data.load import load_dataset

Cli = Callable[..., tuple[int, str, str]]


def test_event_counts_add_up_exactly_within_the_bounds() -> None:
    rng = np.random.default_rng(0)
    counts = event_counts(rng, 1000, 37_123)
    assert counts.sum() == 37_123 and counts.min() >= 5 and counts.max() <= 500


def test_a_large_catalogue_widens_the_vocabulary_with_unique_titles() -> None:
    cat = catalogue(0, 12_000)
    assert cat.n_items == 12_000 and len(set(cat.title)) == 12_000
    assert catalogue(0, 1200).title == catalogue(0, 1200).title  # deterministic


def test_generated_files_load_with_their_config(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "gen"
    code, stdout, stderr = cli(
        "data", "generate", "--users", "300", "--items", "500", "--interactions", "9000",
        "--out", out,
    )  # fmt: skip
    assert code == 0, stderr
    assert "recdistill run" in stdout and (out / "config.yaml").exists()
    log = pd.read_csv(out / "interactions.csv")
    assert len(log) == 9000 and log["user_id"].nunique() == 300
    assert log["item_id"].nunique() <= 500
    ds = load_dataset(load_config(out / "config.yaml").data)
    assert ds.n_users == 300 and all(ds.item_text)
    again = tmp_path / "again"
    generate(again, 300, 500, 9000, seed=0, chunk_users=70)  # other chunks, same data
    assert (again / "items.csv").read_bytes() == (out / "items.csv").read_bytes()


def test_bad_sizes_are_one_line(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("data", "generate", "--users", "10", "--interactions", "10000",
                       "--items", "500", "--out", tmp_path / "x")  # fmt: skip
    assert code == 2 and "per user" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("data", "generate", "--items", "10", "--out", tmp_path / "y")
    assert code == 2 and "--items" in err


@pytest.mark.slow
def test_the_generated_config_runs_by_default_within_a_budget(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "gen"
    generate(out, 300, 400, 9000, seed=1)
    run = tmp_path / "run"
    code, _, stderr = cli("run", out / "config.yaml", "--out", run, "--budget", "90s")
    assert code == 0, stderr
    m = json.loads((run / "metrics.json").read_text())
    roles = {e["role"] for e in m["models"].values()}
    assert roles == {"teacher", "student", "baseline"}
    assert m["budget"]["seconds"] <= 90 * 1.2
    assert any(e.get("kd") for e in m["models"].values())

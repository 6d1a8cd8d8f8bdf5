"""Benchmark: data loading, splitting and full-ranking evaluation speed.

Usage:
    .venv/bin/python bench/bench_eval.py [--interactions 1000000] [--ml100k PATH]

1. Generates a synthetic log of N interactions (Zipf item popularity) as CSV,
   then times load + clean + leave-last-out split + Popularity fit + full-
   ranking test evaluation, end to end. Budget: 30 s for 1M interactions.
2. On MovieLens-100K (if the folder exists), times EASE's full-ranking test
   evaluation alone. Budget: 1 s.
3. On the demo data (6,000 users x 3,200 items), times EASE's full-ranking
   evaluation at three batch sizes and reports the peak memory the evaluation
   allocates (tracemalloc), to show it is bounded by the batch size.

Prints each time and its ratio to the budget (ratio < 1 meets it), plus the
ratio of the whole pipeline to a bare pandas read of the same CSV measured in
the same run (robust to a noisy machine).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recdistill.config import DataConfig
from recdistill.data.load import load_dataset
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models.base import TrainData, build_model
from recdistill.split import leave_last_out


def synthetic_csv(path: Path, n: int, seed: int = 0) -> None:
    """``n`` distinct (user, item) events: ~50 per user, skewed item popularity."""
    rng = np.random.default_rng(seed)
    n_users = max(n // 50, 10)
    n_items = max(n // 100, 10)
    weights = 1.0 / (np.arange(n_items) + 10.0) ** 0.9
    m = int(n * 1.15)
    user = rng.integers(0, n_users, size=m)
    item = rng.permutation(n_items)[rng.choice(n_items, size=m, p=weights / weights.sum())]
    frame = pd.DataFrame({"user_id": user, "item_id": item})
    frame = frame.drop_duplicates().iloc[:n]
    if len(frame) < n:
        raise RuntimeError(f"generator produced only {len(frame)} distinct events")
    frame["timestamp"] = 1_600_000_000 + rng.integers(0, 50_000_000, size=len(frame))
    frame.to_csv(path, index=False)


def bench_pipeline(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        synthetic_csv(path, n)
        t0 = time.perf_counter()
        pd.read_csv(path)
        t_read = time.perf_counter() - t0

        t0 = time.perf_counter()
        cfg = DataConfig.model_validate({"interactions": {"path": str(path), "format": "csv"}})
        ds = load_dataset(cfg)
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        split = leave_last_out(ds.interactions)
        t_split = time.perf_counter() - t1
        t1 = time.perf_counter()
        model = build_model("popularity").fit(TrainData(split.train_valid))
        res = evaluate(model, EvalTask(split.train_valid, split.test), [10, 20])
        t_eval = time.perf_counter() - t1
        total = time.perf_counter() - t0
    print(
        f"synthetic log: {len(ds.interactions):,} interactions after cleaning "
        f"({ds.n_users:,} users x {ds.n_items:,} items), {int(res['users']):,} users evaluated"
    )
    print(f"  load+clean {t_load:.2f}s  split {t_split:.2f}s  popularity fit+eval {t_eval:.2f}s")
    print(f"  total {total:.2f}s; ratio to the 30 s budget: {total / 30.0:.2f}")
    print(
        f"  ratio to a bare pandas.read_csv of the same file ({t_read:.2f}s): {total / t_read:.1f}x"
    )


def bench_ease(folder: Path) -> None:
    inter = folder / "ml-100k.inter"
    if not inter.exists():
        print(f"MovieLens-100K not found at {folder}; skipping the EASE benchmark")
        return
    cfg = DataConfig.model_validate({"interactions": {"path": str(inter), "format": "atomic"}})
    ds = load_dataset(cfg)
    split = leave_last_out(ds.interactions)
    t0 = time.perf_counter()
    model = build_model("ease", {"l2": 100.0}).fit(TrainData(split.train_valid))
    t_fit = time.perf_counter() - t0
    task = EvalTask(split.train_valid, split.test)
    evaluate(model, task, [10, 20])  # warm-up
    t0 = time.perf_counter()
    res = evaluate(model, task, [10, 20])
    t_eval = time.perf_counter() - t0
    print(
        f"EASE on ML-100K: fit {t_fit:.2f}s, full-ranking evaluation of "
        f"{int(res['users'])} users {t_eval:.3f}s; ratio to the 1 s budget: {t_eval:.2f}; "
        f"test ndcg@10 {res['ndcg@10']:.4f}"
    )


def bench_demo_eval() -> None:
    """Full-ranking evaluation of EASE on the demo data (6,000 users x 3,200 items)."""
    import tracemalloc

    from recdistill.data.demo import write_demo

    with tempfile.TemporaryDirectory() as tmp:
        inter_path, _ = write_demo(Path(tmp), seed=0)
        cfg = DataConfig.model_validate(
            {"interactions": {"path": str(inter_path), "format": "csv"}}
        )
        ds = load_dataset(cfg)
    split = leave_last_out(ds.interactions)
    model = build_model("ease", {"l2": 100.0}).fit(TrainData(split.train_valid))
    task = EvalTask(split.train_valid, split.test)
    evaluate(model, task, [10, 20])  # warm-up
    for batch in (256, 1024, 4096):
        tracemalloc.start()
        t0 = time.perf_counter()
        res = evaluate(model, task, [10, 20], batch_size=batch)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"demo data ({ds.n_users:,} users x {ds.n_items:,} items), EASE, batch {batch}: "
            f"{seconds:.2f}s, peak evaluation memory {peak / 2**20:.0f} MiB, "
            f"ndcg@10 {res['ndcg@10']:.4f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--interactions", type=int, default=1_000_000)
    ap.add_argument("--ml100k", type=Path, default=Path("../shared/data/ml-100k"))
    args = ap.parse_args()
    bench_pipeline(args.interactions)
    bench_ease(args.ml100k)
    bench_demo_eval()


if __name__ == "__main__":
    main()

"""Benchmark: does the pipeline's cost grow linearly with the data?

    .venv/bin/python bench/bench_scale.py --sizes 1M,5M,20M [--work DIR] [--items 5000]

For each size, a generated log (``recdistill data generate``: the demo shop with
``--items`` items and 25 interactions per user on average; generated once into
``DIR/<size>``) goes through the stages of a run, each timed on its own in a
fresh process (so peak RSS is that size's alone):

    load (read the CSVs), clean (+ index), split, one baseline (ItemKNN: fit and
    validation), one teacher epoch (SASRec d=64, the default loss), the teacher
    cache (top-100 of every training position), one student epoch (two-tower
    d=32, distilled with the default listwise recipe), evaluation (the teacher
    on the test split).

It prints seconds per stage, seconds per million interactions, and peak RSS per
size, then the per-interaction cost of the largest size against the smallest
(the target: within 1.5x, and 20M within 20 GiB of peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

STAGES = ("load", "clean", "split", "baseline", "teacher_epoch", "teacher_cache",
          "student_epoch", "evaluate")  # fmt: skip


def size_of(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def generate(folder: Path, interactions: int, items: int) -> None:
    if (folder / "config.yaml").exists():
        return
    from recdistill.data.demo.generate import generate as write

    users = max(1, interactions // 25)
    t0 = time.perf_counter()
    write(folder, users, items, interactions, seed=0)
    print(f"generated {interactions:,} interactions in {time.perf_counter() - t0:.0f}s -> {folder}")


def one(folder: Path) -> dict[str, Any]:
    """Time every stage on one generated log (run in its own process)."""
    import torch

    from recdistill.config import load_config
    from recdistill.data.clean import clean_interactions, index_interactions
    from recdistill.data.sources import read_interactions, read_items
    from recdistill.distill import Distillation, build_teacher_cache
    from recdistill.evaluate.protocol import EvalTask, evaluate
    from recdistill.models import FitOptions, TrainData, build_model
    from recdistill.split import make_split

    cfg = load_config(folder / "config.yaml")
    t: dict[str, float] = {}

    def clock(name: str, t0: float) -> None:
        t[name] = time.perf_counter() - t0
        print(f"  {name}: {t[name]:.1f}s", flush=True)

    t0 = time.perf_counter()
    raw = read_interactions(cfg.data.interactions)
    assert cfg.data.items is not None
    read_items(cfg.data.items)
    clock("load", t0)
    t0 = time.perf_counter()
    frame = clean_interactions(raw.frame, cfg.data.clean, None, [])
    _, _, table = index_interactions(frame, [])
    clock("clean", t0)
    t0 = time.perf_counter()
    split = make_split(table, cfg.split)
    clock("split", t0)
    train = TrainData(split.train)
    opts = FitOptions(seed=0, progress=False)
    valid = EvalTask(split.train, split.valid, "valid")

    t0 = time.perf_counter()
    knn = build_model("itemknn", {"neighbors": 100}).fit(train, opts)
    evaluate(knn, valid, [10])
    clock("baseline", t0)
    del knn

    seq = {"max_len": 50, "epochs": 1, "patience": 0}
    t0 = time.perf_counter()
    teacher = build_model("sasrec", {"d_model": 64, "n_heads": 2, **seq}).fit(train, opts)
    clock("teacher_epoch", t0)
    t0 = time.perf_counter()
    cache = build_teacher_cache(teacher, train, folder / "cache", m=100, progress=False)  # type: ignore[arg-type]
    clock("teacher_cache", t0)
    t0 = time.perf_counter()
    handle = Distillation({"methods": {"listwise": {}}, "alpha": 0.5}, teacher, cache)  # type: ignore[arg-type]
    build_model("twotower", {"d_model": 32, **seq}).fit(train, replace(opts, distill=handle))
    clock("student_epoch", t0)
    t0 = time.perf_counter()
    evaluate(teacher, EvalTask(split.train_valid, split.test, "test"), [10])
    clock("evaluate", t0)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "interactions": len(table),
        "seconds": t,
        "peak_rss_gib": peak_kb / 2**20,
        "threads": torch.get_num_threads(),
    }


def table(rows: list[dict[str, Any]]) -> None:
    head = ["size", *STAGES, "total", "s per M", "peak RSS"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        total = sum(r["seconds"].values())
        per_m = total / (r["interactions"] / 1e6)
        cells = [f"{r['interactions'] / 1e6:.3g}M", *(f"{r['seconds'][s]:.1f}" for s in STAGES),
                 f"{total:.0f}", f"{per_m:.1f}", f"{r['peak_rss_gib']:.1f} GiB"]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratio = (sum(last["seconds"].values()) / last["interactions"]) / (
            sum(first["seconds"].values()) / first["interactions"]
        )
        print(f"\nper-interaction cost, largest / smallest: {ratio:.2f}x (target <= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1M,5M,20M")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--work", type=Path, default=Path("runs/bench-scale"))
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    parser.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print("RESULT " + json.dumps(one(args.one)), flush=True)
        return
    rows = []
    for size in args.sizes.split(","):
        n = size_of(size)
        folder = args.work / size.strip()
        generate(folder, n, args.items)
        print(f"{size}: timing the stages", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(folder)],
            capture_output=True, text=True, env={**os.environ}, check=False,
        )  # fmt: skip
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n")
            raise SystemExit(f"{size}: the stage run failed (exit {proc.returncode})")
        print("\n".join(x for x in proc.stdout.splitlines() if x.startswith("  ")))
        rows.append(json.loads(line.removeprefix("RESULT ")))
    table(rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

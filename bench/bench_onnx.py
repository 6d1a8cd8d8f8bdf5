"""Benchmark: a single request's top-10 through onnxruntime against the native path.

Usage (from the repository root):
    .venv/bin/python bench/bench_onnx.py RUN_DIR [--model NAME] [--users 500] [--rounds 5]

Exports the model (default: the student ``recdistill serve`` serves) with
``recdistill.export`` into a temporary folder, then times one user at a time,
on one thread each:

- native: ``model.recommend`` of a one-row batch (the scoring path the server
  runs per uncached request: for the two-tower student the compiled kernel),
  masking the history and taking the top 10;
- onnxruntime: ``model_topk.onnx`` (history masked and top 10 inside the graph),
  ``intra_op_num_threads=1``, the inputs built from the same history.

Both run over the same ``--users`` histories in turn within each round, so load
on the shared machine hits them alike; prints p50 / p99 microseconds per
request (all rounds pooled) and the onnxruntime / native ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--model", default=None)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    import onnxruntime as ort
    import torch

    from recdistill.data.views import Histories
    from recdistill.export.bundle import export_run
    from recdistill.export.onnx import TOPK, padded
    from recdistill.runfolder import RunFolder

    torch.set_num_threads(1)
    run = RunFolder.open(args.run)
    with tempfile.TemporaryDirectory(prefix="bench-onnx-") as tmp:
        done = export_run(args.run, Path(tmp), args.model)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(Path(tmp) / TOPK), opts, providers=["CPUExecutionProvider"]
        )
    model = run.model(done.model)
    _, split = run.dataset_and_split()
    table = split.train_valid
    users = np.unique(table.user)[: args.users]
    rows = [Histories.of_users(table, users[i : i + 1]) for i in range(len(users))]
    feeds = [dict(zip(("items", "length"), padded(r), strict=True)) for r in rows]
    for r, f in zip(rows[:20], feeds[:20], strict=True):  # warm both paths
        model.recommend(r, 10)
        session.run(None, f)
    native: list[float] = []
    onnx: list[float] = []
    for _ in range(args.rounds):
        for r, f in zip(rows, feeds, strict=True):
            t = time.perf_counter()
            model.recommend(r, 10)
            native.append(time.perf_counter() - t)
            t = time.perf_counter()
            session.run(None, f)
            onnx.append(time.perf_counter() - t)
    print(f"{done.model} ({done.kind}, {done.precision}), {model.n_items:,} items, "
          f"{len(rows)} users x {args.rounds} rounds, one request at a time, one thread")
    print(f"{'path':<14} {'p50 us':>8} {'p99 us':>8}")
    for name, times in (("native", native), ("onnxruntime", onnx)):
        us = np.array(times) * 1e6
        print(f"{name:<14} {np.percentile(us, 50):>8.1f} {np.percentile(us, 99):>8.1f}")
    print(f"onnxruntime / native (p50): {np.median(onnx) / np.median(native):.2f}")


if __name__ == "__main__":
    main()

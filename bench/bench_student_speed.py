"""Benchmark: per-user scoring speed of students against their teacher, side by side.

Usage (from the repository root):
    .venv/bin/python bench/bench_student_speed.py RUN_DIR [--models a,b] [--rounds 5]
        [--users 200] [--batch 256]

Loads the teacher and the students (every model with role ``student`` in
``RUN_DIR/metrics.json``, or ``--models``) from their saved artifacts and
times ``recommend(k=10)`` the way ``metrics.json`` does
(``recdistill.evaluate.efficiency.measure_latency``): single requests on one
thread, and batches of ``--batch`` users. Models are timed in turn within
each round, ``--rounds`` times, so load on the shared machine hits all of them
alike; the table shows the median per model and the teacher/student ratios.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--models", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from recdistill.evaluate.efficiency import measure_latency
    from recdistill.runfolder import RunFolder

    run = RunFolder.open(args.run)
    entries = run.metrics["models"]
    teacher = next(n for n, m in entries.items() if m["role"] == "teacher")
    names = (
        args.models.split(",")
        if args.models
        else [n for n, m in entries.items() if m["role"] == "student"]
    )
    models = {n: run.model(n) for n in [teacher, *names]}
    history = run.table("train").concat(run.table("valid"))
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in models}
    for _ in range(args.rounds):
        for n, m in models.items():
            times[n].append(measure_latency(m, history, n_users=args.users, batch=args.batch))
    med = {
        n: (float(np.median([t[0] for t in ts])), float(np.median([t[1] for t in ts])))
        for n, ts in times.items()
    }
    t_single, t_batch = med[teacher]
    t_bytes = models[teacher].serving_bytes()
    table = Table(title=f"Per-user recommend(k=10) on {args.run}, median of {args.rounds} rounds")
    for col in (
        "model",
        "kind",
        "precision",
        "serving bytes",
        "bytes ratio",
        "single ms",
        "speed-up single",
        "batched ms",
        "speed-up batched",
    ):
        table.add_column(col, justify="left" if col in ("model", "kind", "precision") else "right")
    rows = []
    for n, m in models.items():
        single, batched = med[n]
        nbytes = m.serving_bytes()
        row = {
            "model": n,
            "kind": m.kind,
            "precision": getattr(m, "precision", "float32"),
            "serving_bytes": nbytes,
            "bytes_ratio": nbytes / t_bytes,
            "single_ms": single,
            "batched_ms": batched,
            "speedup_single": t_single / single,
            "speedup_batched": t_batch / batched,
        }
        rows.append(row)
        table.add_row(
            n,
            m.kind,
            row["precision"],
            f"{nbytes:,}",
            f"{100 * row['bytes_ratio']:.1f}%",
            f"{single:.3f}",
            f"{row['speedup_single']:.1f}x",
            f"{batched:.4f}",
            f"{row['speedup_batched']:.1f}x",
        )
    Console(width=180).print(table)
    print(json.dumps(rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()

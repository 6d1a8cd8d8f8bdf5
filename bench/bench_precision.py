"""Benchmark: bfloat16 autocast against float32 training, side by side in one run.

    .venv/bin/python bench/bench_precision.py [--data CONFIG] [--seeds 0,1,2] [--epochs 60]
        [--speed-data CONFIG] [--speed-only] [--speed-epochs 2] [--precisions fp32,bf16]

Quality: the default teacher for ``--data`` (ML-100k by default) is trained
with ``precision: fp32`` and ``precision: bf16`` for each seed (same epoch
cap, early stopping on validation, no time budget, so both see the same
number of epochs), and tested once; the script prints test NDCG@10 per seed,
the mean and standard deviation per precision, and whether the means differ
by less than one standard deviation.

Speed: seconds per training epoch of the same teacher on ``--speed-data``
(ML-1M by default) in each precision, timed over the first epochs, and the
ratio. Runs are sequential; keep the machine otherwise idle. ``--speed-only``
skips the quality part (``--precisions`` then picks which precisions to time,
e.g. to time one precision of two code versions in alternating processes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ML100K = Path("examples/ml-100k.yaml")
ML1M = Path("bench/configs/ml-1m.yaml")


def stage_for(config: Path) -> Any:
    from recdistill.budget import Plan
    from recdistill.config import load_config
    from recdistill.runfolder import RunFolder
    from recdistill.stages import data

    cfg = load_config(config, ["budget=none"])
    out = Path("runs") / "bench-precision" / config.stem
    return data.prepare(cfg, RunFolder.create(out), Plan(None))


def teacher_params(stage: Any, **extra: Any) -> dict[str, Any]:
    from recdistill.stages.defaults import default_teacher

    spec = default_teacher(stage)
    return {**spec.params_dict(), **extra}


def quality(config: Path, seeds: list[int], epochs: int) -> dict[str, list[float]]:
    from recdistill.models import build_model

    stage = stage_for(config)
    out: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for seed in seeds:
        for precision in ("fp32", "bf16"):
            opts = replace(
                stage.options, seed=seed, precision=precision, validate=stage.validator(),
                out_dir=None, progress=False,
            )  # fmt: skip
            params = teacher_params(stage, epochs=epochs)
            model = build_model("sasrec", params).fit(stage.train, opts)
            ndcg = stage.test(model)["ndcg@10"]
            out[precision].append(ndcg)
            print(f"seed {seed} {precision}: test NDCG@10 {ndcg:.4f}", flush=True)
    return out


def speed(
    config: Path, epochs: int = 2, precisions: tuple[str, ...] = ("fp32", "bf16")
) -> dict[str, float]:
    from recdistill.models import build_model

    stage = stage_for(config)
    out = {}
    for precision in precisions:
        opts = replace(stage.options, precision=precision, validate=None, out_dir=None,
                       progress=False)  # fmt: skip
        model = build_model("sasrec", teacher_params(stage, epochs=epochs))
        t0 = time.perf_counter()
        model.fit(stage.train, opts)
        report = model.report  # type: ignore[attr-defined]
        out[precision] = statistics.mean(e["seconds"] for e in report.epochs)
        print(f"{precision}: {out[precision]:.1f} s per epoch "
              f"({time.perf_counter() - t0:.0f}s for {epochs} epochs)", flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ML100K)
    parser.add_argument("--speed-data", type=Path, default=ML1M)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--speed-epochs", type=int, default=2)
    parser.add_argument("--precisions", default="fp32,bf16")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.speed_only:
        s = speed(args.speed_data, args.speed_epochs, tuple(args.precisions.split(",")))
        if len(s) == 2:
            print(f"speed-up per epoch {s['fp32'] / s['bf16']:.2f}x")
        return
    q = quality(args.data, seeds, args.epochs)
    s = speed(args.speed_data)
    mean = {p: statistics.mean(v) for p, v in q.items()}
    std = {p: statistics.stdev(v) if len(v) > 1 else 0.0 for p, v in q.items()}
    print("\n| precision | test NDCG@10 per seed | mean | std | s/epoch (speed data) |")
    print("|---|---|---|---|---|")
    for p in ("fp32", "bf16"):
        per = " / ".join(f"{v:.4f}" for v in q[p])
        print(f"| {p} | {per} | {mean[p]:.4f} | {std[p]:.4f} | {s[p]:.1f} |")
    diff = abs(mean["bf16"] - mean["fp32"])
    within = diff <= max(std.values())
    print(f"\nbf16 - fp32 mean: {mean['bf16'] - mean['fp32']:+.4f} "
          f"({'within' if within else 'outside'} one standard deviation, "
          f"{max(std.values()):.4f}); speed-up per epoch {s['fp32'] / s['bf16']:.2f}x")  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps({"quality": q, "speed": s}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

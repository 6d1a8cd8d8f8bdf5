"""Benchmark: the SASRec teacher on MovieLens-100K (quality, size, time, memory, speed-up).

Usage (from the repository root):
    .venv/bin/python bench/bench_teacher.py quality [--configs teacher,no-text,small]
        [--seeds 0] [--threads 1] [--data ../shared/data/ml-100k] [--json out.json]
        [--out DIR]   (keeps each run's checkpoints and train_log.json)
    .venv/bin/python bench/bench_teacher.py speed [--d 64] [--epochs 2] [--threads 1]
    torchrun --standalone --nproc_per_node=2 bench/bench_teacher.py one CONFIG_NAME
        (one configuration; under torchrun, DDP with one shard per process)

Protocol (the teacher's, as in docs/protocol.md): leave-last-out split; fit on
train only, with early stopping and best-epoch selection on validation
NDCG@10 (``FitOptions.validate``); the test is scored once, full ranking,
with train + validation as each user's history (no refit). Every
configuration runs in its own process so ``ru_maxrss`` is its own peak.

``speed`` trains a *plain* SASRec (written compactly below: every window
padded to the full ``max_len + 1``, no length bucketing, attention through
``nn.MultiheadAttention`` with a mask and attention dropout, logits for every
position including padding, ``F.cross_entropy``) and ours (length-bucketed
batches, causal ``scaled_dot_product_attention``, logits of real positions
only in cache-sized chunks) on the same windows, the same width and depth,
alternately in one process, and prints seconds per epoch and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recdistill.config import DataConfig
from recdistill.data.load import load_dataset
from recdistill.data.types import Dataset
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models import FitOptions, SASRec, TrainData, build_model
from recdistill.models._sequences import IGNORE, Windows, epoch_batches, make_windows
from recdistill.split import Split, leave_last_out
from recdistill.train import dist

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ml-100k"

TEACHER: dict[str, Any] = {
    "d_model": 256,
    "n_heads": 4,
    "n_layers": 2,
    "dropout": 0.5,
    "epochs": 200,
    "patience": 30,
    "text": {"encoder": "minilm", "fusion": "gate"},
}
CONFIGS: dict[str, dict[str, Any]] = {
    "teacher": TEACHER,
    # ablation: the same teacher without the language-model text
    "no-text": {**TEACHER, "text": {"encoder": "none"}},
    # the same teacher at a small width (dropout re-tuned for the width)
    "small": {**TEACHER, "d_model": 64, "n_heads": 2, "dropout": 0.2},
    # candidates explored (see docs/benchmarks-teacher.md)
    "teacher-idrop": {**TEACHER, "item_dropout": 0.2},
    "small-idrop": {**TEACHER, "d_model": 64, "n_heads": 2, "dropout": 0.2, "item_dropout": 0.2},
    "teacher-wd": {**TEACHER, "weight_decay": 0.5},
    "small-ema": {**TEACHER, "d_model": 64, "n_heads": 2, "dropout": 0.2, "ema": 0.99},
    "small-post-ln": {**TEACHER, "d_model": 64, "n_heads": 2, "dropout": 0.2, "norm": "post"},
    "small-ensemble3": {**TEACHER, "d_model": 64, "n_heads": 2, "dropout": 0.2, "ensemble": 3},
    "small-no-text": {
        **TEACHER,
        "d_model": 64,
        "n_heads": 2,
        "dropout": 0.2,
        "text": {"encoder": "none"},
    },
}


def load_ml100k(folder: Path) -> tuple[Dataset, Split]:
    cfg = DataConfig.model_validate(
        {
            "name": "ml-100k",
            "interactions": {
                "path": str(folder / "ml-100k.inter"),
                "format": "atomic",
                "user": "user_id",
                "item": "item_id",
                "time": "timestamp",
            },
            "items": {
                "path": str(folder / "ml-100k.item"),
                "format": "atomic",
                "id": "item_id",
                "text": ["movie_title", "class"],
                "category": "class",
            },
        }
    )
    ds = load_dataset(cfg)
    return ds, leave_last_out(ds.interactions)


# -- quality ---------------------------------------------------------------------
def run_one(
    name: str,
    params: dict[str, Any],
    seed: int,
    threads: int | None,
    data: Path,
    out: Path | None,
) -> None:
    """Fit one configuration with the teacher protocol; rank 0 prints one JSON line."""
    ds, split = load_ml100k(data)
    train = TrainData(split.train, ds.item_text, ds.item_category)
    valid = EvalTask(split.train, split.valid, "valid")
    test = EvalTask(split.train_valid, split.test, "test")

    def validate(model: Any) -> dict[str, float]:
        return evaluate(model, valid, [10])

    t0 = time.perf_counter()
    model = build_model("sasrec", params)
    out_dir = out / f"{name}-seed{seed}" if out is not None else None
    opts = FitOptions(
        seed=seed, threads=threads, progress=False, validate=validate, out_dir=out_dir
    )
    model.fit(train, opts)
    fit_s = time.perf_counter() - t0
    if not dist.is_main():
        return
    assert isinstance(model, SASRec) and model.report is not None
    res = evaluate(model, test, [10, 20])
    val = validate(model)["ndcg@10"]  # the final model (an ensemble: all members)
    rep = model.report
    epochs = [e for r in model.reports for e in r.epochs]
    epoch_s = [e["seconds"] for e in epochs]
    print(
        json.dumps(
            {
                "name": name,
                "params": params,
                "seed": seed,
                "world_size": rep.world_size,
                "threads": rep.threads,
                "best_epoch": [r.best_epoch for r in model.reports],
                "epochs_run": [r.epochs_run for r in model.reports],
                "val_ndcg@10": val,
                "test_ndcg@10": res["ndcg@10"],
                "test_hr@10": res["hr@10"],
                "test_recall@20": res["recall@20"],
                "train_seconds": fit_s,
                "seconds_per_epoch": float(np.mean(epoch_s)),
                "val_seconds_per_epoch": float(np.mean([e["val_seconds"] for e in epochs])),
                "params_count": model.n_params(),
                "serving_bytes": model.serving_bytes(),
                "encoder_bytes": model.encoder_bytes(),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        ),
        flush=True,
    )


def quality(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for name in args.configs.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            cmd = [sys.executable, __file__, "one", name, "--seed", str(seed)]
            cmd += ["--data", str(args.data)]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            if args.out:
                cmd += ["--out", str(args.out)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if proc.returncode != 0:
                sys.exit(f"{name} seed {seed} failed:\n{proc.stderr[-3000:]}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(
                f"{name:12s} seed {seed}: test NDCG@10 {row['test_ndcg@10']:.4f} "
                f"(valid {row['val_ndcg@10']:.4f}, best epoch {row['best_epoch']}/"
                f"{row['epochs_run']}), HR@10 {row['test_hr@10']:.4f}, "
                f"{row['seconds_per_epoch']:.1f} s/epoch, {row['train_seconds']:.0f} s total, "
                f"peak RSS {row['peak_rss_mb']:.0f} MB, serving {row['serving_bytes'] / 1e6:.2f} MB"
                f" (+ encoder {row['encoder_bytes'] / 1e6:.1f} MB), {row['threads']} threads",
                flush=True,
            )
    return rows


# -- speed: a plain SASRec vs ours ------------------------------------------------
class PlainSASRec(nn.Module):
    """The textbook layout: left-padded to max_len + 1, masked MHA, logits everywhere."""

    def __init__(self, n_items: int, d: int, heads: int, layers: int, length: int, p: float):
        super().__init__()
        self.items = nn.Embedding(n_items + 2, d, padding_idx=n_items)
        self.pos = nn.Embedding(length, d)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d, heads, d, p, activation="gelu", batch_first=True, norm_first=True
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d)
        mask = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B x L`` ids -> ``B x L x I`` logits (every position)."""
        h = self.drop(self.items(x) + self.pos.weight[None])
        for layer in self.layers:
            h = layer(h, src_mask=self.mask)
        return self.norm(h) @ self.items.weight[:-2].T


def plain_epoch(
    net: PlainSASRec, opt: torch.optim.Optimizer, w: Windows, length: int, bs: int, seed: int
) -> float:
    """One epoch of the plain loop: windows in random order, padded to ``length``."""
    order = np.random.default_rng(seed).permutation(len(w))
    pad, bos = net.items.padding_idx, net.items.num_embeddings - 1
    assert pad is not None
    t0 = time.perf_counter()
    for s in range(0, len(order), bs):
        rows = order[s : s + bs]
        x = np.full((len(rows), length), pad, dtype=np.int64)
        y = np.full((len(rows), length), IGNORE, dtype=np.int64)
        for r, i in enumerate(rows):  # left padding, per sample, as in the original code
            seq = w.items[w.start[i] : w.start[i] + w.length[i]]
            n = len(seq)
            y[r, length - n :] = seq
            x[r, length - n] = bos
            x[r, length - n + 1 :] = seq[:-1]
        logits = net(torch.from_numpy(x))
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def speed(args: argparse.Namespace) -> dict[str, Any]:
    ds, split = load_ml100k(args.data)
    torch.set_num_threads(args.threads or 1)
    params = {
        "d_model": args.d,
        "n_heads": max(1, args.d // 64) if args.d >= 64 else 2,
        "n_layers": 2,
        "max_len": 200,
        "dropout": 0.2,
        "attn_dropout": args.attn_dropout,
    }
    train = TrainData(split.train)
    w = make_windows(train.interactions.item, train.indptr, 200, True)
    torch.manual_seed(0)
    plain = PlainSASRec(ds.n_items, args.d, int(params["n_heads"]), 2, 201, 0.2)
    popt = torch.optim.Adam(plain.parameters(), lr=1e-3)
    ours = build_model("sasrec", params)
    assert isinstance(ours, SASRec)
    ours.n_items = ds.n_items
    ours.net = ours.build_net(ds.n_items)
    from recdistill.models.sasrec import SASRecTrainer
    from recdistill.train import EpochContext, Precision

    trainer = SASRecTrainer(ours, w, train.interactions.item_counts(), torch.device("cpu"))
    times: dict[str, list[float]] = {"plain": [], "ours": []}
    rss: dict[str, float] = {}
    for e in range(args.epochs):
        plain.train()
        times["plain"].append(plain_epoch(plain, popt, w, 201, 128, e))
        rss["plain"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ctx = EpochContext(e, 0, 0, 1, torch.device("cpu"), Precision(None, False), ours.net, None)
        ours.net.train()
        t0 = time.perf_counter()
        trainer.train_epoch(ctx)
        times["ours"].append(time.perf_counter() - t0)
    padded = sum(b.inputs.numel() for b in epoch_batches(w, 128, seed=0, epoch=0, pad=0, bos=1))
    out = {
        "d_model": args.d,
        "attn_dropout_ours": args.attn_dropout,
        "threads": args.threads or 1,
        "windows": len(w),
        "tokens": w.tokens,
        "plain_positions": len(w) * 201,
        "ours_positions": padded,
        "plain_s_per_epoch": times["plain"],
        "ours_s_per_epoch": times["ours"],
        "speedup": float(np.median(times["plain"]) / np.median(times["ours"])),
        "peak_rss_mb_after_plain": rss["plain"],
    }
    print(
        f"d={args.d}, {out['threads']} thread(s): plain {np.median(times['plain']):.1f} s/epoch, "
        f"ours {np.median(times['ours']):.1f} s/epoch -> {out['speedup']:.1f}x "
        f"(positions computed: plain {out['plain_positions']:,}, ours {padded:,}; "
        f"real {w.tokens:,})",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["quality", "speed", "one"])
    parser.add_argument("name", nargs="?", default="teacher")
    parser.add_argument("--configs", default="teacher,no-text,small")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--attn-dropout", type=float, default=0.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--params", default="", help="one: JSON object merged over the named configuration"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="keep checkpoints and train_log.json here"
    )
    args = parser.parse_args()
    if args.mode == "one":
        params = {**CONFIGS[args.name], **(json.loads(args.params) if args.params else {})}
        run_one(args.name, params, args.seed, args.threads, args.data, args.out)
        dist.destroy()
        return
    result: Any = quality(args) if args.mode == "quality" else speed(args)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()

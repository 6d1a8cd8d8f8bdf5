"""Benchmark: the fused full-softmax cross-entropy against the materialised one.

    .venv/bin/python bench/bench_softmax.py [--n 7315] [--items 3416] [--d 64]
        [--threads 2] [--reps 20] [--against FILE]

Times forward + backward of one batch's loss (``N`` positions x ``I`` items,
width ``d``; the defaults are one mean ML-1M teacher batch) in float32 and
under bfloat16 autocast, for ``F.cross_entropy`` on materialised logits and
for :func:`recdistill.models._softmax.fused_softmax_ce`. ``--against FILE``
adds another implementation of the same function (a copy of an earlier
``_softmax.py``, e.g. ``git show REV:recdistill/models/_softmax.py > old.py``)
so two versions are timed side by side, interleaved, in one process. Prints
the median milliseconds per call and the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from recdistill.models._softmax import fused_softmax_ce, reference_softmax_ce

Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def load_other(path: Path) -> Loss:
    spec = importlib.util.spec_from_file_location("other_softmax", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: Loss = module.fused_softmax_ce
    return fn


def time_one(fn: Loss, h: torch.Tensor, w: torch.Tensor, y: torch.Tensor, bf16: bool) -> float:
    h.grad = w.grad = None
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = fn(h, w, y)
    loss.backward()
    return (time.perf_counter() - t0) * 1000.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=7315)
    ap.add_argument("--items", type=int, default=3416)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--against", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    h = torch.randn(args.n, args.d, generator=g).mul_(0.3).requires_grad_()
    w = torch.randn(args.items, args.d, generator=g).mul_(0.3).requires_grad_()
    y = torch.randint(0, args.items, (args.n,), generator=g)
    fns: dict[str, Loss] = {"materialised": reference_softmax_ce, "fused": fused_softmax_ce}
    if args.against is not None:
        fns["against"] = load_other(args.against)
    print(f"N={args.n} I={args.items} d={args.d} threads={args.threads} reps={args.reps}")
    for bf16 in (False, True):
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(3):  # warm-up
            for fn in fns.values():
                time_one(fn, h, w, y, bf16)
        for _ in range(args.reps):  # interleaved, so drift hits every version alike
            for name, fn in fns.items():
                times[name].append(time_one(fn, h, w, y, bf16))
        med = {k: statistics.median(v) for k, v in times.items()}
        tag = "bf16" if bf16 else "fp32"
        row = "  ".join(f"{k} {v:7.1f} ms" for k, v in med.items())
        ratios = f"materialised/fused {med['materialised'] / med['fused']:.2f}x"
        if "against" in med:
            ratios += f"  against/fused {med['against'] / med['fused']:.2f}x"
        print(f"{tag}: {row}   {ratios}")


if __name__ == "__main__":
    main()

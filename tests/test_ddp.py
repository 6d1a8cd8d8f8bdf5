"""Distributed training: 2 CPU processes under torchrun (gloo) vs 1 process.

The same script runs once under ``torch.distributed.run --nproc_per_node=2``
and once as a plain process. Each rank trains on its shard of the epoch's
sequences, DDP averages gradients, rank 0 validates and writes the checkpoint
and the training log. Checks: both ranks end with identical weights, the run
trains, and its validation quality is close to the 1-process run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from safetensors.numpy import save_file
    from recdistill.data.types import Interactions
    from recdistill.models import FitOptions, build_model, TrainData
    from recdistill.train import dist

    out = Path(sys.argv[1])
    rng = np.random.default_rng(0)
    n_users, n_items = 240, 60

    def walk(length):  # each step moves +1 or +3: the next item is a coin flip
        return np.cumsum(rng.choice([1, 3], size=length)) + rng.integers(0, n_items)

    rows = [walk(rng.integers(6, 30)) % n_items for _ in range(n_users)]
    user = np.repeat(np.arange(n_users), [len(r) for r in rows])
    table = Interactions.build(user, np.concatenate(rows), np.arange(len(user)), n_users, n_items)
    data = TrainData(table)
    batch = data.histories(np.arange(n_users))
    truth = (np.array([r[-1] for r in rows]) + rng.choice([1, 3], size=n_users)) % n_items

    def validate(model):
        s = model.score(batch)
        rank_of_truth = (s > s[np.arange(n_users), truth][:, None]).sum(axis=1)
        return {"ndcg@10": float(np.where(rank_of_truth < 10,
                                          1.0 / np.log2(rank_of_truth + 2), 0.0).mean())}

    params = {"d_model": 32, "n_heads": 2, "n_layers": 1, "max_len": 16, "batch_size": 32,
              "epochs": 6, "patience": 0, "dropout": 0.1, "lr": 0.01,
              "lr_schedule": "constant", "warmup": 0.0}
    model = build_model("sasrec", params).fit(
        data, FitOptions(seed=0, progress=False, out_dir=out, validate=validate,
                         precision="fp32"))
    save_file(model.state(), str(out / f"state-rank{dist.rank()}.safetensors"))

    # The teacher cache: every rank scores its share into the same files.
    from recdistill.distill import Distillation, build_teacher_cache
    cache = build_teacher_cache(model, data, out / "cache", m=10, progress=False)
    if dist.is_main():
        result = {"world": dist.world_size(), "val": model.report.best_value,
                  "final_val": validate(model)["ndcg@10"]}
        with dist.local():  # rank 0 alone: a reference cache and a distilled student
            solo = build_teacher_cache(model, data, out / "solo", m=10, progress=False)
            student = build_model("sasrec", {**params, "d_model": 8, "n_heads": 1, "epochs": 2})
            handle = Distillation({"methods": {"listwise": {}}}, model, cache)
            student.fit(data, FitOptions(seed=0, progress=False, distill=handle))
        result["cache_ids_equal"] = float((cache.top_ids == solo.top_ids).mean())
        result["cache_logits_diff"] = float(np.abs(
            cache.top_logits.astype(float) - solo.top_logits.astype(float)).max())
        result["cache_lse_diff"] = float(np.abs(cache.lse - solo.lse).max())
        result["student_world"] = student.report.world_size
        result["student_epochs"] = student.report.epochs_run
        (out / "result.json").write_text(json.dumps(result))
    dist.barrier()
    """
)


def _run(args: list[str], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    proc = subprocess.run(
        [*args, str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _one_and_two_processes(source: str, tmp_path: Path) -> tuple[Path, Path]:
    """Run ``source`` as one process, then as two under torchrun; their output folders."""
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    _run([sys.executable, str(script)], one)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    _run([*torchrun, "--nproc_per_node=2", str(script)], two)
    return one, two


@pytest.mark.slow
def test_two_processes_train_like_one(tmp_path: Path) -> None:
    one, two = _one_and_two_processes(SCRIPT, tmp_path)
    r1 = json.loads((one / "result.json").read_text())
    r2 = json.loads((two / "result.json").read_text())
    assert (r1["world"], r2["world"]) == (1, 2)

    a = load_file(str(two / "state-rank0.safetensors"))
    b = load_file(str(two / "state-rank1.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # DDP keeps ranks in step

    assert r2["val"] > 0.4, r2  # it trained (chance is ~0.05; the ceiling ~0.8)
    assert r2["val"] == pytest.approx(r2["final_val"], abs=1e-6)  # the best epoch was restored
    assert abs(r2["val"] - r1["val"]) <= 0.03 * r1["val"], (r1, r2)

    # The sharded cache equals one process's; rank 0 then trains a student alone.
    assert r2["cache_ids_equal"] >= 0.99 and r2["cache_logits_diff"] < 0.05, r2
    assert r2["cache_lse_diff"] < 1e-3, r2
    assert (r2["student_world"], r2["student_epochs"]) == (1, 2)

    log = json.loads((two / "train_log.json").read_text())
    assert log["world_size"] == 2 and log["epochs_run"] == 6
    assert (two / "checkpoints" / "last.pt").exists()


GRAD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP
    from recdistill.train import dist

    out = Path(sys.argv[1])
    dist.init_from_env()
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 1)
    x = torch.arange(20, dtype=torch.float32).reshape(5, 4) / 10
    y = torch.tensor([1.0, -1.0, 0.5, 2.0, 0.0])
    # rank 0 holds 4 examples, rank 1 one: per-rank means would weight them 1/8 and 1/2
    rows = slice(0, 4) if dist.rank() == 0 else slice(4, 5)
    if dist.is_distributed():
        net = DDP(net)
        xs, ys = x[rows], y[rows]
    else:
        xs, ys = x, y
    err = ((net(xs).squeeze(1) - ys) ** 2).mean()
    (err * dist.global_mean_scale(torch.tensor(len(ys)))).backward()
    module = net.module if dist.is_distributed() else net
    if dist.is_main():
        (out / "grad.json").write_text(json.dumps(module.weight.grad.flatten().tolist()))
    dist.barrier()
    dist.destroy()
    """
)


def test_ddp_gradient_is_the_mean_over_every_ranks_examples(tmp_path: Path) -> None:
    one, two = _one_and_two_processes(GRAD_SCRIPT, tmp_path)
    g1 = json.loads((one / "grad.json").read_text())
    g2 = json.loads((two / "grad.json").read_text())
    np.testing.assert_allclose(g2, g1, rtol=1e-5)

"""The shared training loop: early stopping, best epoch, checkpoints, resume after a crash.

The resume tests kill a real SASRec run (SIGKILL in a subprocess, or an
exception in-process) after a few epochs, resume it from its checkpoint, and
require the same final weights as an uninterrupted run with the same seed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from recdistill.data.types import Interactions
from recdistill.models import FitOptions, Histories, Recommender, TrainData, build_model
from recdistill.models._sequences import epoch_batches, history_batch, make_windows
from recdistill.models._softmax import fused_softmax_ce, reference_softmax_ce
from recdistill.models.base import ModelConfig
from recdistill.train import EpochContext, EpochTrainer, TrainSession, dist
from recdistill.train.checkpoint import LAST, checkpoint_dir

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "d_model": 16,
    "n_heads": 2,
    "n_layers": 1,
    "max_len": 12,
    "batch_size": 16,
    "epochs": 5,
    "patience": 0,
    "dropout": 0.1,
    "lr": 0.01,
}


# -- a toy model for loop mechanics --------------------------------------------
class ToyConfig(ModelConfig):
    epochs: int = 8
    patience: int = 2


class Toy(Recommender):
    """A linear scorer trained to regress noise: enough to exercise the loop."""

    kind = "toy"
    Config = ToyConfig
    config: ToyConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.net = nn.Linear(4, 3)

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        with TrainSession(options, name="toy") as session:
            torch.manual_seed(0)
            self.net = nn.Linear(4, 3)
            self.report = session.fit(
                ToyTrainer(self.net),
                options.bound_validation(self),
                epochs=self.config.epochs,
                patience=self.config.patience,
            )

    def score(self, batch: Histories) -> np.ndarray:
        return np.zeros((len(batch), 3), dtype=np.float32)

    def state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy() for k, v in self.net.state_dict().items()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})


class ToyTrainer(EpochTrainer):
    def __init__(self, net: nn.Module) -> None:
        self.module = net
        self.optimizer = torch.optim.SGD(net.parameters(), lr=0.1)

    def fingerprint(self) -> str:
        return "toy"

    def batches(self, ctx: EpochContext) -> Sequence[Any]:
        g = torch.Generator().manual_seed(ctx.epoch)
        return [torch.randn(8, 4, generator=g) for _ in range(3)]

    def loss(self, module: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        return (module(batch) - 1.0).pow(2).mean(), batch.shape[0]


def scripted(values: list[float], seen: list[dict[str, torch.Tensor]]) -> Callable[..., Any]:
    """A validate callback returning ``values`` in turn and recording the weights it saw."""

    def validate(model: Recommender) -> dict[str, float]:
        assert isinstance(model, Toy)
        seen.append({k: v.clone() for k, v in model.net.state_dict().items()})
        return {"ndcg@10": values[len(seen) - 1], "recall@10": 0.0}

    return validate


def test_early_stopping_keeps_the_best_epoch(tmp_path: Path) -> None:
    seen: list[dict[str, torch.Tensor]] = []
    values = [0.1, 0.3, 0.2, 0.25, 0.9, 0.9, 0.9, 0.9]
    opts = FitOptions(threads=1, progress=False, out_dir=tmp_path, validate=scripted(values, seen))
    model = Toy(ToyConfig(epochs=8, patience=2)).fit(TrainData(_seq_table([[0, 1]], 3)), opts)
    assert model.report.epochs_run == 4  # epochs 3 and 4 did not beat epoch 2
    assert model.report.stopped_early
    assert model.report.best_epoch == 2
    assert model.report.best_value == pytest.approx(0.3)
    for k, v in model.net.state_dict().items():  # the weights validated at epoch 2
        torch.testing.assert_close(v, seen[1][k], rtol=0, atol=0)
    doc = json.loads((tmp_path / "train_log.json").read_text())
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2, 3, 4]
    assert doc["best_epoch"] == 2 and doc["select_metric"] == "ndcg@10"
    assert {"loss", "seconds", "sequences_per_s", "val"} <= set(doc["epochs"][0])
    assert doc["epochs"][1]["val"]["ndcg@10"] == pytest.approx(0.3)


def test_without_validation_keeps_the_last_epoch() -> None:
    model = Toy(ToyConfig(epochs=3, patience=1)).fit(
        TrainData(_seq_table([[0, 1]], 3)), FitOptions(threads=1, progress=False)
    )
    assert model.report.epochs_run == 3 and model.report.best_epoch == 3
    assert not model.report.stopped_early


def test_missing_select_metric_is_a_clear_error() -> None:
    from recdistill.errors import ConfigError

    opts = FitOptions(
        threads=1, progress=False, validate=lambda m: {"hr@10": 1.0}, select_metric="ndcg@10"
    )
    with pytest.raises(ConfigError, match="ndcg@10"):
        Toy().fit(TrainData(_seq_table([[0, 1]], 3)), opts)


def test_checkpoint_loads_with_weights_only(tmp_path: Path) -> None:
    opts = FitOptions(threads=1, progress=False, out_dir=tmp_path)
    Toy(ToyConfig(epochs=2)).fit(TrainData(_seq_table([[0, 1]], 3)), opts)
    ckpt = torch.load(checkpoint_dir(tmp_path) / LAST, weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["done"]
    assert {"model", "optimizer", "rng", "best_state", "log", "fingerprint"} <= set(ckpt)


# -- resume after a crash -------------------------------------------------------
def _seq_table(rows: list[list[int]], n_items: int) -> Interactions:
    user = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    item = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows])
    return Interactions.build(user, item, np.arange(len(user)), len(rows), n_items)


def successor_data(n_users: int = 60, n_items: int = 30, seed: int = 0) -> TrainData:
    """Each user walks item i -> i+1 (mod n_items) from a random start."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_users):
        start, length = rng.integers(0, n_items), rng.integers(4, 20)
        rows.append(((start + np.arange(length)) % n_items).tolist())
    return TrainData(_seq_table(rows, n_items))


def _validate_on(data: TrainData) -> Callable[[Recommender], dict[str, float]]:
    """Deterministic validation: HR@5 of predicting each user's next item."""
    ptr = data.indptr
    users = np.flatnonzero(np.diff(ptr) > 0)
    batch = data.histories(users)
    nxt = (data.interactions.item[ptr[users + 1] - 1] + 1) % data.n_items

    def validate(model: Recommender) -> dict[str, float]:
        top = np.argsort(-model.score(batch), axis=1, kind="stable")[:, :5]
        return {"ndcg@10": float((top == nxt[:, None]).any(axis=1).mean())}

    return validate


def _state(model: Recommender) -> dict[str, np.ndarray]:
    return model.state()


def _assert_same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=1e-6, err_msg=k)


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from test_train import TINY, successor_data, _validate_on
    from recdistill.models import FitOptions, build_model

    data = successor_data()
    check = _validate_on(data)
    calls = []

    def validate(model):
        calls.append(1)
        if len(calls) == {kill_at}:  # epoch {kill_at} trained; its checkpoint not written
            os.kill(os.getpid(), signal.SIGKILL)
        return check(model)

    opts = FitOptions(seed=5, threads=1, progress=False, out_dir=Path({out!r}), validate=validate)
    build_model("sasrec", TINY).fit(data, opts)
    """
)


def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path: Path) -> None:
    data = successor_data()
    full = build_model("sasrec", TINY).fit(
        data,
        FitOptions(
            seed=5,
            threads=1,
            progress=False,
            out_dir=tmp_path / "full",
            validate=_validate_on(data),
        ),
    )
    out = tmp_path / "killed"
    script = KILL_SCRIPT.format(tests=str(ROOT / "tests"), kill_at=3, out=str(out))
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    ckpt = torch.load(checkpoint_dir(out) / LAST, weights_only=True)
    assert ckpt["epoch"] == 2 and not ckpt["done"]

    resumed = build_model("sasrec", TINY).fit(
        data,
        FitOptions(seed=5, threads=1, progress=False, out_dir=out, validate=_validate_on(data)),
    )
    assert resumed.report is not None and full.report is not None
    assert resumed.report.resumed_from_epoch == 2
    assert resumed.report.best_epoch == full.report.best_epoch
    _assert_same_state(_state(resumed), _state(full))
    log = json.loads((out / "train_log.json").read_text())
    assert [e["epoch"] for e in log["epochs"]] == list(range(1, TINY["epochs"] + 1))


@pytest.mark.parametrize("ema", [0.0, 0.8], ids=["plain", "weight-average"])
def test_resume_after_exception_matches_uninterrupted_run(tmp_path: Path, ema: float) -> None:
    data = successor_data(seed=1)
    check = _validate_on(data)
    params = {**TINY, "epochs": 6, "patience": 3, "ema": ema}
    full = build_model("sasrec", params).fit(
        data, FitOptions(seed=2, threads=1, progress=False, validate=check)
    )
    calls: list[int] = []

    def crashing(model: Recommender) -> dict[str, float]:
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("injected crash")
        return check(model)

    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="injected"):
        build_model("sasrec", params).fit(
            data, FitOptions(seed=2, threads=1, progress=False, out_dir=out, validate=crashing)
        )
    resumed = build_model("sasrec", params).fit(
        data, FitOptions(seed=2, threads=1, progress=False, out_dir=out, validate=check)
    )
    assert resumed.report is not None and resumed.report.resumed_from_epoch == 3
    _assert_same_state(_state(resumed), _state(full))
    # A finished run found again resumes to the same model without training.
    again = build_model("sasrec", params).fit(
        data, FitOptions(seed=2, threads=1, progress=False, out_dir=out, validate=check)
    )
    _assert_same_state(_state(again), _state(full))


def test_weight_average_is_what_gets_validated_and_kept() -> None:
    data = successor_data()
    seen: list[dict[str, np.ndarray]] = []

    def validate(model: Recommender) -> dict[str, float]:
        seen.append({k: v.detach().clone().numpy() for k, v in model.net.state_dict().items()})
        return {"ndcg@10": float(len(seen) == 2)}  # epoch 2 is the best

    model = build_model("sasrec", {**TINY, "epochs": 3, "ema": 0.9}).fit(
        data, FitOptions(threads=1, progress=False, validate=validate)
    )
    assert model.report is not None and model.report.best_epoch == 2
    state = model.state()
    np.testing.assert_array_equal(state["pos"], seen[1]["pos"])
    assert not np.array_equal(seen[1]["pos"], seen[2]["pos"])


def test_checkpoint_of_another_run_is_ignored(tmp_path: Path) -> None:
    data = successor_data()
    opts = FitOptions(seed=1, threads=1, progress=False, out_dir=tmp_path)
    build_model("sasrec", {**TINY, "epochs": 2}).fit(data, opts)
    other = build_model("sasrec", {**TINY, "epochs": 2, "lr": 0.005}).fit(data, opts)
    assert other.report is not None and other.report.resumed_from_epoch == 0


# -- pieces ---------------------------------------------------------------------
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_fused_softmax_matches_reference(smoothing: float) -> None:
    g = torch.Generator().manual_seed(0)
    h = torch.randn(70, 8, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(23, 8, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 23, (70,), generator=g)
    a = fused_softmax_ce(h, w, y, label_smoothing=smoothing, chunk=16)
    gh, gw = torch.autograd.grad(a, (h, w))
    b = reference_softmax_ce(h, w, y, smoothing)
    rh, rw = torch.autograd.grad(b, (h, w))
    torch.testing.assert_close(a.double(), b.double(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gh, rh, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gw, rw, rtol=1e-4, atol=1e-6)


def test_fused_softmax_under_bf16_autocast_stays_close_to_float32() -> None:
    """bf16 matmuls, float32 softmax and gradients: within bfloat16's rounding."""
    g = torch.Generator().manual_seed(1)
    h = torch.randn(300, 32, generator=g, requires_grad=True)
    w = torch.randn(500, 32, generator=g, requires_grad=True)
    y = torch.randint(0, 500, (300,), generator=g)
    ref = reference_softmax_ce(h, w, y)
    rh, rw = torch.autograd.grad(ref, (h, w))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = fused_softmax_ce(h, w, y, chunk=64)
    gh, gw = torch.autograd.grad(out, (h, w))
    assert out.dtype == torch.float32 and gh.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=2e-2, atol=1e-3)
    for got, want in ((gh, rh), (gw, rw)):
        assert float((got - want).norm() / want.norm()) < 0.03


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_fused_softmax_with_underflowing_targets_matches_reference(smoothing: float) -> None:
    """A target whose softmax probability underflows float32 is recomputed in log space."""
    g = torch.Generator().manual_seed(2)
    h = (torch.randn(40, 6, generator=g) * 30).requires_grad_()
    w = (torch.randn(50, 6, generator=g) * 30).requires_grad_()
    y = torch.randint(0, 50, (40,), generator=g)
    with torch.no_grad():
        p_y = torch.softmax(h @ w.T, dim=1).gather(1, y[:, None])
    assert int((p_y < 1e-30).sum()) >= 10  # the case under test really occurs
    a = fused_softmax_ce(h, w, y, label_smoothing=smoothing, chunk=16)
    b = reference_softmax_ce(h, w, y, smoothing)
    assert torch.isfinite(a)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)
    (gh, gw), (rh, rw) = torch.autograd.grad(a, (h, w)), torch.autograd.grad(b, (h, w))
    torch.testing.assert_close(gh, rh, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(gw, rw, rtol=1e-4, atol=1e-5)


def test_windows_cover_every_item_once() -> None:
    items = np.arange(23)
    indptr = np.array([0, 1, 9, 23])
    w = make_windows(items, indptr, max_len=4, extra_windows=True)
    covered = np.concatenate([items[s : s + n] for s, n in zip(w.start, w.length, strict=True)])
    assert sorted(covered.tolist()) == items.tolist()
    assert w.length.max() == 5
    last_only = make_windows(items, indptr, max_len=4, extra_windows=False)
    assert last_only.length.tolist() == [1, 5, 5]


def test_batches_are_bucketed_and_shift_targets() -> None:
    items = np.arange(100) % 7
    indptr = np.array([0, 3, 10, 30, 31, 60, 100])
    w = make_windows(items, indptr, max_len=9, extra_windows=True)
    batches = epoch_batches(w, 4, seed=0, epoch=0, pad=7, bos=8)
    tokens = sum(int((b.targets >= 0).sum()) for b in batches)
    assert tokens == 100
    for b in batches:
        assert (b.inputs[:, 0] == 8).all()
        real = b.targets >= 0
        # the input at t+1 is the target at t (next-item shift), padding elsewhere
        assert torch.equal(b.inputs[:, 1:][real[:, 1:]], b.targets[:, :-1][real[:, 1:]])
        assert (b.inputs[:, 1:][~real[:, 1:]] == 7).all()
    again = epoch_batches(w, 4, seed=0, epoch=0, pad=7, bos=8)
    assert all(torch.equal(a.inputs, b.inputs) for a, b in zip(batches, again, strict=True))


def test_shards_are_equal_and_cover_everything() -> None:
    items = np.arange(50)  # unique items: a window is known by its first target
    indptr = np.arange(0, 51, 5)
    w = make_windows(items, indptr, max_len=9, extra_windows=True)
    parts = [
        epoch_batches(w, 2, seed=3, epoch=1, rank=r, world=3, pad=50, bos=51) for r in range(3)
    ]
    assert len({len(p) for p in parts}) == 1  # every rank steps the same number of times
    firsts = [int(b.targets[i, 0]) for p in parts for b in p for i in range(b.sequences)]
    assert len(firsts) == 12  # 10 windows padded by wrapping to 3 x 4
    assert set(firsts) == set(range(0, 50, 5))
    assert dist.shard(torch.arange(5), 1, 2).tolist() == [1, 3, 0]
    assert dist.world_size() == 1 and dist.rank() == 0 and dist.is_main()


def test_history_batch_takes_the_last_items() -> None:
    x, last = history_batch(
        np.array([0, 5, 5, 7]), np.array([1, 2, 3, 4, 5, 6, 99]), 3, pad=10, bos=11, n_items=10
    )
    assert last.tolist() == [3, 0, 1]  # 99 is outside the catalogue and dropped
    assert x.tolist() == [[11, 3, 4, 5], [11, 10, 10, 10], [11, 6, 10, 10]]


def test_device_selection_and_threads() -> None:
    from recdistill.errors import ConfigError
    from recdistill.train import Precision, default_threads, select_device
    from recdistill.train.device import cpu_bf16

    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    cpu = torch.device("cpu")
    assert Precision.for_device(cpu, "fp32").dtype is None
    assert Precision.for_device(cpu, "auto").dtype == (torch.bfloat16 if cpu_bf16() else None)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            select_device("cuda")
    with pytest.raises(ConfigError, match="expected auto"):
        select_device("tpu")
    assert 1 <= default_threads() <= (os.cpu_count() or 1)


def test_bf16_falls_back_to_float32_where_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    from recdistill.errors import ConfigError
    from recdistill.train import Precision
    from recdistill.train import device as device_module

    cpu = torch.device("cpu")
    monkeypatch.setattr(device_module, "cpu_bf16", lambda: False)
    for asked in ("auto", "bf16"):
        assert Precision.for_device(cpu, asked).dtype is None
    monkeypatch.setattr(device_module, "cpu_bf16", lambda: True)
    assert Precision.for_device(cpu, "bf16").dtype == torch.bfloat16
    assert Precision.for_device(cpu, "bf16").name == "bfloat16"
    with pytest.raises(ConfigError, match="expected auto, bf16 or fp32"):
        Precision.for_device(cpu, "fp8")


# -- schedule and time budget -----------------------------------------------------------


def test_schedule_warms_up_then_reaches_its_floor_at_the_planned_step() -> None:
    from recdistill.train.schedule import Schedule

    s = Schedule("cosine", total=200, warmup=0.1, floor=0.05)
    factors = [s.factor(i) for i in range(201)]
    assert factors[0] == pytest.approx(1 / 20) and factors[19] == pytest.approx(1.0)
    assert max(factors) == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[20:]))  # decays
    assert factors[200] == pytest.approx(0.05) and factors[199] > 0.05
    flat = Schedule("constant", total=50, warmup=0.0, floor=0.05)
    assert {flat.factor(i) for i in range(60)} == {1.0}


class SlowToyTrainer(ToyTrainer):
    """A trainer whose steps take a known time (so a budget's plan is predictable)."""

    lr_schedule, warmup, lr_floor = "cosine", 0.1, 0.05

    def __init__(self, net: nn.Module, rates: list[float]) -> None:
        super().__init__(net)
        self.rates = rates

    def batches(self, ctx: EpochContext) -> Sequence[Any]:
        return [torch.ones(4, 4) for _ in range(30)]

    def loss(self, module: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        time.sleep(0.01)
        self.rates.append(self.optimizer.param_groups[0]["lr"])
        return super().loss(module, batch)


def test_a_budgeted_fit_plans_its_steps_and_anneals_to_the_floor_within_it() -> None:
    rates: list[float] = []
    net = nn.Linear(4, 3)
    trainer = SlowToyTrainer(net, rates)
    opts = FitOptions(threads=1, progress=False, deadline=time.monotonic() + 1.2)
    with TrainSession(opts, name="slow") as session:
        t0 = time.perf_counter()
        report = session.fit(trainer, None, epochs=100, patience=None)
        took = time.perf_counter() - t0
    assert report.seconds_per_step is not None and report.seconds_per_step >= 0.01
    assert report.planned_steps is not None and 20 <= report.planned_steps < 100 * 30
    assert report.steps == report.planned_steps == len(rates)
    assert took < 1.2 * 1.5  # inside the budget (plus one step's rounding)
    peak = 0.1  # ToyTrainer's SGD rate
    assert max(rates) == pytest.approx(peak, rel=0.01)  # (the plan is corrected after epoch 1)
    assert rates[-1] == pytest.approx(peak * 0.05, rel=0.1)  # the floor at the last step
    assert rates[0] < peak  # warm-up


def test_without_a_budget_the_schedule_spans_the_epoch_cap() -> None:
    rates: list[float] = []
    trainer = SlowToyTrainer(nn.Linear(4, 3), rates)
    with TrainSession(FitOptions(threads=1, progress=False), name="cap") as session:
        report = session.fit(trainer, None, epochs=2, patience=None)
    assert report.planned_steps == 60 and report.steps == 60
    assert rates[-1] == pytest.approx(0.1 * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * 53 / 54))))

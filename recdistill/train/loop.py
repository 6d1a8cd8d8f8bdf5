"""The shared per-epoch training loop (STYLE.md #4).

A model (or a distillation method) supplies an
:class:`~recdistill.train.trainer.EpochTrainer`: its network, its optimizer,
its batches for an epoch and the loss of one batch.
:class:`TrainSession` owns everything else, the same for every neural model:

- run context: device (``auto`` -> CUDA with bf16/fp16 autocast, else CPU in
  float32), torch threads, seeds, and the process group under ``torchrun``
  (the network is wrapped in DistributedDataParallel; each rank trains on its
  shard of the epoch's examples);
- progress bars (loss, sequences/s, ETA) and one log line per epoch;
- validation through a bound callable (``FitOptions.bound_validation``: the
  pipeline's validator applied to the network being trained) on rank 0 after
  every epoch, early
  stopping on ``options.select_metric`` with ``patience`` (the decision is
  broadcast to every rank), and restoring the best epoch's weights at the end;
- a checkpoint after every epoch in ``out_dir/checkpoints/last.pt`` and a
  training log in ``out_dir/train_log.json``; a run that finds a checkpoint of
  the same run (same fingerprint) resumes from it and ends with the same
  weights as an uninterrupted run.

Determinism: the torch generator is reseeded at the start of every epoch from
``(seed, epoch, rank)`` and trainers derive their data order from
``(seed, epoch)``, so an epoch's randomness never depends on what ran before
it in this process. That is what makes resume exact.

Example (a model's ``fit``)::

    with TrainSession(options, name="sasrec") as session:
        torch.manual_seed(options.seed)
        trainer = MyTrainer(net.to(session.device), ...)
        validate = options.bound_validation(scorer_of(net))
        report = session.fit(trainer, validate, epochs=cfg.epochs, patience=cfg.patience)
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import torch
from torch import nn

from recdistill.errors import ConfigError
from recdistill.progress import fmt_seconds, make_progress
from recdistill.train import dist
from recdistill.train.checkpoint import (
    LAST,
    checkpoint_dir,
    cpu_state_dict,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from recdistill.train.device import (
    Precision,
    derive_seed,
    seed_torch,
    select_device,
    torch_threads,
)
from recdistill.train.options import FitOptions
from recdistill.train.schedule import Schedule
from recdistill.train.trainer import EpochContext, EpochTrainer

__all__ = ["EpochContext", "EpochTrainer", "TrainReport", "TrainSession", "read_train_log"]

#: validation time assumed, as a share of training time, until the first epoch measures it
VALIDATION_GUESS = 0.15

log = logging.getLogger("recdistill.train")


@dataclass
class TrainReport:
    """What happened in :meth:`TrainSession.fit` (also written to ``train_log.json``)."""

    name: str
    epochs_run: int
    best_epoch: int
    best_value: float | None
    select_metric: str | None
    stopped_early: bool
    resumed_from_epoch: int
    seconds: float
    device: str
    precision: str
    world_size: int
    threads: int
    epochs: list[dict[str, Any]]
    steps: int = 0
    planned_steps: int | None = None
    budget_s: float | None = None
    seconds_per_step: float | None = None
    lr_schedule: str = "constant"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


TRAIN_LOG = "train_log.json"


def read_train_log(folder: Path) -> dict[str, Any] | None:
    """The ``train_log.json`` the loop wrote into ``folder`` (None when there is none)."""
    f = folder / TRAIN_LOG
    if not f.exists():
        return None
    doc: dict[str, Any] = json.loads(f.read_text("utf-8"))
    return doc


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _Progress:
    """Where a run stands: what a checkpoint stores besides the state dicts."""

    epoch: int = 0  # epochs completed
    stale: int = 0  # epochs since the best one
    done: bool = False
    best_epoch: int = -1
    best_value: float = -math.inf
    best_state: dict[str, torch.Tensor] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0  # optimizer steps taken
    planned_steps: int | None = None  # the plan (None: not made yet)
    seconds_per_step: float | None = None  # the throughput probe's measurement

    def improve(self, value: float | None, net: nn.Module) -> None:
        self.best_epoch, self.stale = self.epoch, 0
        self.best_value = value if value is not None else -math.inf
        self.best_state = cpu_state_dict(net)

    def as_checkpoint(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "stale": self.stale,
            "done": self.done,
            "best_epoch": self.best_epoch,
            "best_value": self.best_value,
            "best_state": self.best_state,
            "log": self.records,
            "steps": self.steps,
            "planned_steps": self.planned_steps,
            "seconds_per_step": self.seconds_per_step,
        }

    @staticmethod
    def from_checkpoint(ckpt: dict[str, Any]) -> _Progress:
        return _Progress(
            epoch=int(ckpt["epoch"]),
            stale=int(ckpt["stale"]),
            done=bool(ckpt["done"]),
            best_epoch=int(ckpt["best_epoch"]),
            best_value=float(ckpt["best_value"]),
            best_state=ckpt["best_state"],
            records=list(ckpt["log"]),
            steps=int(ckpt.get("steps", 0)),
            planned_steps=ckpt.get("planned_steps"),
            seconds_per_step=ckpt.get("seconds_per_step"),
        )


@dataclass
class _Fit:
    """One call of :meth:`TrainSession.fit`: what it was given and where it stands."""

    trainer: EpochTrainer
    wrapped: nn.Module  # the network as the batches see it (DDP-wrapped when distributed)
    scaler: torch.amp.GradScaler | None
    fingerprint: str
    validate: Callable[[], dict[str, float]] | None
    epochs: int
    patience: int
    metric: str | None
    early: bool
    state: _Progress
    resumed_from: int
    deadline: float | None = None  # time.monotonic() when the fit must end (None: none)

    def cap(self, steps_per_epoch: int) -> int:
        """The most steps the config allows: its epoch cap."""
        return self.epochs * max(steps_per_epoch, 1)

    def schedule(self) -> Schedule:
        t = self.trainer
        total = self.state.planned_steps or 1
        return Schedule(t.lr_schedule, total=total, warmup=t.warmup, floor=t.lr_floor)

    def left(self) -> float:
        """Seconds until the deadline (inf without one)."""
        if self.deadline is None:
            return math.inf
        return self.deadline - time.monotonic()


@dataclass
class _Bars:
    """The two progress bars of a fit: epochs (with the best value), and batches."""

    bars: Any
    outer: Any
    inner: Any

    @staticmethod
    def start(name: str, epochs: int, done: int) -> _Bars:
        bars = make_progress()
        bars.start()
        outer = bars.add_task(f"{name} epochs", total=epochs, rate="")
        bars.update(outer, completed=done)
        inner = bars.add_task(f"{name} batches", total=None, rate="")
        return _Bars(bars, outer, inner)

    def new_epoch(self, ctx: EpochContext, description: str) -> None:
        self.bars.reset(self.inner, description=description)
        ctx._progress, ctx._task = self.bars, self.inner

    def epoch_done(self, epoch: int, rate: str) -> None:
        self.bars.update(self.outer, completed=epoch, rate=rate)

    def stop(self) -> None:
        self.bars.stop()


class TrainSession:
    """Run context for one model's training; see the module docstring.

    Use as a context manager: entering sets torch threads, joins the process
    group under torchrun, and picks the device and precision.
    """

    def __init__(self, options: FitOptions | None, name: str) -> None:
        self.options = options if options is not None else FitOptions()
        self.name = name
        self.device = torch.device("cpu")
        self.precision = Precision(None, False)
        self.threads = 1
        self._threads_cm: Any = None

    def __enter__(self) -> Self:
        self._threads_cm = torch_threads(self.options.threads)
        self.threads = self._threads_cm.__enter__()
        dist.init_from_env()
        self.device = select_device(self.options.device)
        self.precision = Precision.for_device(self.device, self.options.precision)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._threads_cm is not None:
            self._threads_cm.__exit__(exc_type, exc, tb)

    @property
    def rank(self) -> int:
        return dist.rank()

    @property
    def world(self) -> int:
        return dist.world_size()

    @property
    def checkpoint_path(self) -> Path | None:
        out = self.options.out_dir
        return checkpoint_dir(out) / LAST if out is not None else None

    # -- the loop ------------------------------------------------------------
    def fit(
        self,
        trainer: EpochTrainer,
        validate: Callable[[], dict[str, float]] | None = None,
        *,
        epochs: int,
        patience: int | None,
    ) -> TrainReport:
        """Train ``trainer`` for up to ``epochs`` epochs, validating after each one.

        Args:
            trainer: the network, optimizer, batches and loss.
            validate: metrics of the network being trained on the validation
                split (rank 0 calls it; None: no validation, the last epoch is kept).
            epochs: maximum number of epochs.
            patience: stop after this many epochs without a better validation
                value (None or 0: never stop early; the best epoch is still kept).
        """
        run = self._begin(trainer, validate, epochs, patience)
        bars = _Bars.start(self.name, epochs, run.state.epoch) if self._show() else None
        try:
            while run.state.epoch < epochs and not run.state.done:
                self._epoch(run, bars)
        finally:
            if bars is not None:
                bars.stop()
        state, net = run.state, trainer.module
        if state.best_state is not None:
            net.load_state_dict(state.best_state)
        net.eval()
        trainer.finalize()
        stopped = run.early and len(state.records) < epochs
        report = self._report(
            state, run.metric, run.resumed_from, stopped, trainer.lr_schedule
        )
        if self.options.out_dir is not None and dist.is_main():
            _write_json(self.options.out_dir / TRAIN_LOG, report.as_dict())
        return report

    def _show(self) -> bool:
        return self.options.progress and dist.is_main()

    # -- the plan: steps, schedule, budget ---------------------------------------
    def _plan(self, run: _Fit, ctx: EpochContext, steps_per_epoch: int) -> None:
        """At an epoch's start: the steps planned (the epoch cap until a probe says
        otherwise) and the schedule laid out over them."""
        if run.state.planned_steps is None:
            run.state.planned_steps = run.cap(steps_per_epoch)
        ctx.max_steps = run.state.planned_steps
        ctx.schedule = run.schedule()

    def _probe(self, run: _Fit, ctx: EpochContext, seconds_per_step: float) -> None:
        """The throughput probe (first steps of the first epoch): plan the steps that fit
        the budget, guessing validation at :data:`VALIDATION_GUESS` of the training time."""
        seconds_per_step = float(dist.broadcast_object(seconds_per_step))
        state = run.state
        state.seconds_per_step = seconds_per_step
        fit = int(run.left() / (seconds_per_step * (1.0 + VALIDATION_GUESS)))
        state.planned_steps = max(min(run.cap(ctx.steps_per_epoch), ctx.step + fit), ctx.step)
        ctx.max_steps = state.planned_steps
        ctx.schedule = run.schedule()
        log.info(
            "%s: %.1f ms per step, %d steps planned in the %.0fs left (%.1f epochs of %d)",
            self.name, 1e3 * seconds_per_step, state.planned_steps, run.left(),
            state.planned_steps / max(ctx.steps_per_epoch, 1), ctx.steps_per_epoch,
        )  # fmt: skip

    def _replan(self, run: _Fit, steps_per_epoch: int, record: dict[str, Any]) -> None:
        """After each epoch: correct the plan with the epoch's measured training and
        validation time, so the schedule still ends when the budget does.

        Until half the plan is done it may grow or shrink (the first epoch replaces
        the probe's guess at validation; a machine that got quieter or busier
        changes the pace); after that it only shrinks, so the schedule never
        stretches out again near its end.
        """
        state = run.state
        steps = max(int(record.get("steps", 0)) or steps_per_epoch, 1)
        per_step = (record["seconds"] + record.get("val_seconds", 0.0)) / steps
        fit = int(max(run.left(), 0.0) / max(per_step, 1e-9))
        planned = max(min(run.cap(steps_per_epoch), state.steps + fit), state.steps)
        if state.planned_steps is not None and state.steps > state.planned_steps / 2:
            planned = min(planned, state.planned_steps)
        state.planned_steps = int(dist.broadcast_object(planned))

    def _begin(
        self,
        trainer: EpochTrainer,
        validate: Callable[[], dict[str, float]] | None,
        epochs: int,
        patience: int | None,
    ) -> _Fit:
        """Wrap the network (DDP), make the gradient scaler, resume from a checkpoint."""
        net = trainer.module
        wrapped: nn.Module = net
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            wrapped = nn.parallel.DistributedDataParallel(net, device_ids=ids)
        scaler = torch.amp.GradScaler("cuda") if self.precision.scale_loss else None
        fingerprint = f"{trainer.fingerprint()}|world={self.world}|seed={self.options.seed}"
        state = self._resume(trainer, scaler, fingerprint)
        return _Fit(
            trainer=trainer,
            wrapped=wrapped,
            scaler=scaler,
            fingerprint=fingerprint,
            validate=validate,
            epochs=epochs,
            patience=patience or 0,
            metric=self.options.select_metric if validate is not None else None,
            early=bool(patience) and validate is not None,
            state=state,
            resumed_from=state.epoch,
            deadline=self.options.deadline,
        )

    def _epoch(self, run: _Fit, bars: _Bars | None) -> None:
        """One epoch: train, validate (early stopping, best weights), log, checkpoint."""
        opts, state, trainer = self.options, run.state, run.trainer
        net = trainer.module
        seed_torch(derive_seed(opts.seed, state.epoch, self.rank))
        net.train()
        ctx = EpochContext(
            state.epoch,
            opts.seed,
            self.rank,
            self.world,
            self.device,
            self.precision,
            run.wrapped,
            run.scaler,
        )
        ctx.step = state.steps
        ctx.on_start = lambda n: self._plan(run, ctx, n)
        if run.deadline is not None and state.seconds_per_step is None:
            ctx.on_probe = lambda seconds: self._probe(run, ctx, seconds)
        if bars is not None:
            bars.new_epoch(ctx, f"{self.name} epoch {state.epoch + 1}")
        record = self._train_epoch(trainer, ctx)
        net.eval()
        state.epoch += 1
        state.steps = ctx.step
        with trainer.evaluation_weights():
            decision = self._validate(run.validate, state.best_value)
            if decision["improved"]:
                state.improve(decision["value"], net)
            else:
                state.stale += 1
        trainer.on_validation(decision["value"])
        if run.validate is not None:
            record["val"] = decision["val"]
            record["val_seconds"] = decision["seconds"]
        state.records.append(record)
        if run.deadline is not None:
            self._replan(run, ctx.steps_per_epoch, record)
        state.done = (
            state.epoch >= run.epochs
            or (run.early and state.stale >= run.patience)
            or (state.planned_steps is not None and state.steps >= state.planned_steps)
        )
        self._log_epoch(record, run.epochs, run.metric, state)
        if bars is not None:
            best = f"best {run.metric} {state.best_value:.4f} @ {state.best_epoch}"
            left = f"  {fmt_seconds(run.left())} of its budget left" if run.deadline else ""
            bars.epoch_done(state.epoch, (best if run.metric else "") + left)
        self._save(trainer, run.scaler, run.fingerprint, state, run.metric, run.resumed_from)
        dist.barrier()

    def _resume(
        self, trainer: EpochTrainer, scaler: torch.amp.GradScaler | None, fingerprint: str
    ) -> _Progress:
        """Load this run's checkpoint into the trainer, or start fresh."""
        path = self.checkpoint_path
        ckpt = load_checkpoint(path, fingerprint) if path is not None else None
        if ckpt is None:
            return _Progress()
        trainer.module.load_state_dict(ckpt["model"])
        trainer.optimizer.load_state_dict(ckpt["optimizer"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        trainer.load_extra_state(ckpt.get("extra", {}))
        set_rng_state(ckpt["rng"])
        state = _Progress.from_checkpoint(ckpt)
        log.info("%s: resuming after epoch %d from %s", self.name, state.epoch, path)
        return state

    def _train_epoch(self, trainer: EpochTrainer, ctx: EpochContext) -> dict[str, Any]:
        first_step = ctx.step
        t0 = time.perf_counter()
        stats = trainer.train_epoch(ctx)
        seconds = time.perf_counter() - t0
        loss_sum, seqs = dist.all_reduce_sum([stats["loss"], float(ctx.sequences)], ctx.device)
        return {
            "epoch": ctx.epoch + 1,
            **{k: float(v) for k, v in stats.items()},
            "loss": loss_sum / ctx.world,
            "steps": ctx.step - first_step,
            "sequences": int(seqs),
            "seconds": seconds,
            "sequences_per_s": seqs / max(seconds, 1e-9),
        }

    def _validate(
        self, validate: Callable[[], dict[str, float]] | None, best: float
    ) -> dict[str, Any]:
        """Validate on rank 0 and broadcast ``{improved, value, val, seconds}`` to every rank."""
        opts = self.options
        if validate is None:
            return {"improved": True, "value": None, "val": {}, "seconds": 0.0}
        decision: dict[str, Any] = {}
        if dist.is_main():
            t0 = time.perf_counter()
            val = {k: float(v) for k, v in validate().items()}
            if opts.select_metric not in val:
                raise ConfigError(
                    f"select_metric '{opts.select_metric}' is not among the validation "
                    f"metrics ({', '.join(sorted(val)[:8])}, ...)"
                )
            value = val[opts.select_metric]
            decision = {
                "improved": value > best,
                "value": value,
                "val": val,
                "seconds": time.perf_counter() - t0,
            }
        out: dict[str, Any] = dist.broadcast_object(decision)
        return out

    def _save(
        self,
        trainer: EpochTrainer,
        scaler: torch.amp.GradScaler | None,
        fingerprint: str,
        state: _Progress,
        metric: str | None,
        resumed_from: int,
    ) -> None:
        """Checkpoint and training log of the epoch just finished (rank 0 only)."""
        if self.options.out_dir is None or not dist.is_main():
            return
        path = self.checkpoint_path
        assert path is not None
        save_checkpoint(
            path,
            {
                "fingerprint": fingerprint,
                **state.as_checkpoint(),
                "model": trainer.module.state_dict(),
                "optimizer": trainer.optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else {},
                "extra": trainer.extra_state(),
                "rng": rng_state(),
            },
        )
        report = self._report(state, metric, resumed_from, False, trainer.lr_schedule)
        _write_json(self.options.out_dir / TRAIN_LOG, report.as_dict())

    def _report(
        self,
        state: _Progress,
        metric: str | None,
        resumed_from: int,
        stopped_early: bool,
        lr_schedule: str = "constant",
    ) -> TrainReport:
        return TrainReport(
            name=self.name,
            epochs_run=len(state.records),
            best_epoch=state.best_epoch,
            best_value=state.best_value if math.isfinite(state.best_value) else None,
            select_metric=metric,
            stopped_early=stopped_early,
            resumed_from_epoch=resumed_from,
            seconds=sum(r["seconds"] + r.get("val_seconds", 0.0) for r in state.records),
            device=str(self.device),
            precision=self.precision.name,
            world_size=self.world,
            threads=self.threads,
            epochs=state.records,
            steps=state.steps,
            planned_steps=state.planned_steps,
            budget_s=self.options.seconds_left(),
            seconds_per_step=state.seconds_per_step,
            lr_schedule=lr_schedule,
        )

    def _log_epoch(
        self, record: dict[str, Any], epochs: int, metric: str | None, state: _Progress
    ) -> None:
        if not dist.is_main():
            return
        val = ""
        if metric is not None and record.get("val"):
            mark = " *" if state.best_epoch == record["epoch"] else ""
            value = record["val"][metric]
            val = (
                f", valid {metric} {value:.4f}{mark} "
                f"(best {state.best_value:.4f} @ {state.best_epoch})"
            )
        log.info(
            "%s epoch %d/%d: loss %.4f, %.0f seq/s, %.1fs%s",
            self.name,
            record["epoch"],
            epochs,
            record["loss"],
            record["sequences_per_s"],
            record["seconds"],
            val,
        )

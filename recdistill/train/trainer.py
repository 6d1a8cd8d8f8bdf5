"""What a model adds to the training loop: its per-epoch step.

:class:`EpochTrainer` is the small training interface every neural model
implements (network, optimizer, batches, the loss of one batch);
:class:`EpochContext` is what one epoch sees. :class:`StudentTrainer` is the
extra a trainer offers to be distilled: its real training positions and its
own per-position loss, so the distiller adds the teacher's terms to exactly
the loss the student would have trained with.

This module imports nothing from models, distillation or evaluation: they
depend on it, never the reverse.
"""

from __future__ import annotations

import contextlib
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from recdistill.train.checkpoint import cpu_state_dict
from recdistill.train.device import Precision
from recdistill.train.schedule import Schedule

#: steps not timed at the start of a probe (warm-up of caches and allocators), then timed
PROBE_SKIP, PROBE_STEPS = 2, 8


@dataclass
class EpochContext:
    """What a trainer's epoch sees: where to run, and how to report progress.

    Attributes:
        epoch: 0-based epoch index.
        seed: the run's seed (derive per-epoch randomness from ``(seed, epoch)``).
        rank, world: this process's rank and the number of processes.
        device: the device the network lives on.
        precision: autocast policy for forward passes.
        module: the network to call in ``loss`` (DDP-wrapped when distributed).
        scaler: gradient scaler (float16 autocast only).
        step: optimizer steps taken before this epoch's next batch (the whole run).
        schedule: the learning-rate schedule (None: the optimizer's own rate).
        max_steps: stop the run at this many steps, mid-epoch if need be (None: no cap).
        on_probe: called once with the seconds per step, timed over the first
            steps of this epoch (the loop's throughput probe for a time budget).
        on_start: called with the epoch's number of batches when it starts (the
            loop lays out its plan and schedule there).
    """

    epoch: int
    seed: int
    rank: int
    world: int
    device: torch.device
    precision: Precision
    module: nn.Module
    scaler: torch.amp.GradScaler | None
    step: int = 0
    schedule: Schedule | None = None
    max_steps: int | None = None
    on_probe: Callable[[float], None] | None = None
    on_start: Callable[[int], None] | None = None
    steps_per_epoch: int = 0
    _probe_t0: float = 0.0
    _progress: Any = None
    _task: Any = None
    _sequences: int = 0
    _loss_sum: float = 0.0
    _batches: int = 0
    _t0: float = field(default_factory=time.perf_counter)

    def start(self, n_batches: int) -> None:
        """Declare how many batches this epoch has (sizes the progress bar)."""
        self.steps_per_epoch = n_batches
        if self.on_start is not None:
            self.on_start(n_batches)
        if self._progress is not None:
            self._progress.update(self._task, total=n_batches, completed=0)

    @property
    def exhausted(self) -> bool:
        """Whether the run has taken its planned steps (stop before the next batch)."""
        return self.max_steps is not None and self.step >= self.max_steps

    def set_lr(self, optimizer: torch.optim.Optimizer) -> None:
        """Set every parameter group's rate to its peak times the schedule's factor."""
        if self.schedule is None:
            return
        factor = self.schedule.factor(self.step)
        for group in optimizer.param_groups:
            group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor

    def stepped(self) -> None:
        """Count one optimizer step; time the probe's steps and report them once."""
        self.step += 1
        if self.on_probe is None:
            return
        done = self._batches + 1  # advance() for this batch comes next
        if done == PROBE_SKIP:
            self._probe_t0 = time.perf_counter()
        elif done == PROBE_SKIP + PROBE_STEPS:
            report, self.on_probe = self.on_probe, None
            report((time.perf_counter() - self._probe_t0) / PROBE_STEPS)

    def advance(self, sequences: int, loss: float) -> None:
        """Report one finished batch: ``sequences`` trained on, its mean ``loss``."""
        self._sequences += sequences
        self._loss_sum += loss
        self._batches += 1
        if self._progress is not None:
            rate = self._sequences / max(time.perf_counter() - self._t0, 1e-9)
            self._progress.update(
                self._task,
                advance=1,
                rate=f"loss {self._loss_sum / self._batches:.4f}  {rate:,.0f} seq/s",
            )

    @property
    def mean_loss(self) -> float:
        return self._loss_sum / max(self._batches, 1)

    @property
    def sequences(self) -> int:
        return self._sequences


class EpochTrainer(ABC):
    """What a model adds to the loop: its network, optimizer, batches and loss.

    Subclasses set :attr:`module` and :attr:`optimizer` and implement
    :meth:`batches` and :meth:`loss`; the default :meth:`train_epoch` runs the
    forward/backward/step cycle with autocast, gradient scaling and clipping.
    Override :meth:`train_epoch` for anything else (it must call
    ``ctx.advance`` per batch and return ``{"loss": ...}`` at least).
    """

    module: nn.Module
    optimizer: torch.optim.Optimizer
    max_grad_norm: float | None = None
    #: decay of an exponential moving average of the weights, updated after every
    #: step (None: off); validation, the best epoch and the final model use the average
    ema_decay: float | None = None
    #: learning-rate schedule laid out by the loop over its planned steps
    #: (:mod:`recdistill.train.schedule`): shape, warm-up share, final share of the peak
    lr_schedule: str = "constant"
    warmup: float = 0.0
    lr_floor: float = 1.0
    _ema: dict[str, torch.Tensor] | None = None

    @abstractmethod
    def fingerprint(self) -> str:
        """A string that changes whenever a resumed run would differ (config, data, seed)."""

    @abstractmethod
    def batches(self, ctx: EpochContext) -> Sequence[Any]:
        """This rank's batches for ``ctx.epoch`` (the same count on every rank)."""

    @abstractmethod
    def loss(self, module: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """``(mean loss, sequences in the batch)`` from calling ``module`` on ``batch``."""

    def train_epoch(self, ctx: EpochContext) -> dict[str, float]:
        """One pass over this rank's batches; returns ``{"loss": mean batch loss}``."""
        batches = self.batches(ctx)
        ctx.start(len(batches))
        params = [p for p in self.module.parameters() if p.requires_grad]
        for batch in batches:
            if ctx.exhausted:
                break
            ctx.set_lr(self.optimizer)
            with ctx.precision.autocast(ctx.device):
                loss, n = self.loss(ctx.module, batch)
            self.optimizer.zero_grad(set_to_none=True)
            if ctx.scaler is not None:
                ctx.scaler.scale(loss).backward()
                ctx.scaler.unscale_(self.optimizer)
                if self.max_grad_norm:
                    nn.utils.clip_grad_norm_(params, self.max_grad_norm)
                ctx.scaler.step(self.optimizer)
                ctx.scaler.update()
            else:
                loss.backward()
                if self.max_grad_norm:
                    nn.utils.clip_grad_norm_(params, self.max_grad_norm)
                self.optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"training loss became {value} in epoch {ctx.epoch + 1}; "
                    "lower the learning rate"
                )
            self.update_average()
            ctx.stepped()
            ctx.advance(n, value)
        return {"loss": ctx.mean_loss}

    @torch.no_grad()
    def update_average(self) -> None:
        """Fold the current weights into the moving average (when ``ema_decay`` is set)."""
        if not self.ema_decay:
            return
        current = self.module.state_dict()
        if self._ema is None:
            self._ema = {
                k: v.detach().clone() if isinstance(v, torch.Tensor) else v
                for k, v in current.items()
            }
            return
        for k, avg in self._ema.items():
            if not isinstance(avg, torch.Tensor):
                self._ema[k] = current[k]
            elif avg.is_floating_point():
                avg.lerp_(current[k], 1.0 - self.ema_decay)
            else:
                avg.copy_(current[k])

    @contextlib.contextmanager
    def evaluation_weights(self) -> Iterator[None]:
        """Within the block the module holds the weights to validate and keep (the average)."""
        if self._ema is None:
            yield
            return
        backup = cpu_state_dict(self.module)
        self.module.load_state_dict(self._ema)
        try:
            yield
        finally:
            self.module.load_state_dict(backup)

    def extra_state(self) -> dict[str, Any]:
        """More state to checkpoint; tensors and plain values only (extend via ``super()``)."""
        return {"ema": self._ema} if self._ema is not None else {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self._ema = state.get("ema")

    def on_validation(self, value: float | None) -> None:
        """The validation value of the epoch just finished (every rank; None: no validation)."""
        return None

    def finalize(self) -> None:
        """Called once after training, with the best epoch's weights loaded."""
        return None


@dataclass(frozen=True)
class Positions:
    """A batch's real training positions (a position = a history prefix and its next item).

    Attributes:
        queries: ``N x D`` the student's query (user) vector at each position.
        items: ``I x D`` the item table the queries are scored against.
        targets: ``N`` int64, the ground-truth next item.
        index: ``N`` int64, each position's offset in the flat training item
            array (the key of the teacher's cached outputs).
    """

    queries: torch.Tensor
    items: torch.Tensor
    targets: torch.Tensor
    index: torch.Tensor


@runtime_checkable
class StudentTrainer(Protocol):
    """A trainer the distiller can wrap: its positions and its own per-position loss.

    ``positions(module, batch)`` runs the student's network on a batch (training
    mode, its own input dropout) and returns its real positions;
    ``position_loss(module, batch, positions, logits)`` is the student's own loss at
    each of them (``N``), computed the way the student trains alone (full
    softmax with its label smoothing, or its logQ-corrected sampled softmax);
    ``logits`` (``N x I``) and their logsumexp ``lse`` (``N``), when the caller
    already holds them, are reused.
    """

    module: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    max_grad_norm: float | None
    ema_decay: float | None
    epochs: int
    lr_schedule: str
    warmup: float
    lr_floor: float

    def fingerprint(self) -> str: ...

    def batches(self, ctx: EpochContext) -> Sequence[Any]: ...

    def positions(self, module: nn.Module, batch: Any) -> Positions: ...

    def position_loss(
        self,
        module: nn.Module,
        batch: Any,
        positions: Positions,
        logits: torch.Tensor | None = None,
        lse: torch.Tensor | None = None,
    ) -> torch.Tensor: ...

    def finalize(self) -> None: ...

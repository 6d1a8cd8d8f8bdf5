"""Run context for training: what a model's ``fit`` receives besides its data.

Not hyperparameters (STYLE.md #3): the same model config trains the same way
on any device, seed or folder. The pipeline builds a :class:`FitOptions`; a
model reads it and passes it to the loop. This module knows nothing of models
or of the evaluator: validation reaches the loop as a callable the pipeline
built, and distillation as a function that wraps a trainer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recdistill.data.views import Scorer, TrainData
    from recdistill.train.trainer import EpochTrainer

#: Scores a model (anything with ``score(Histories)`` and ``n_items``) on the
#: validation split; returns metrics by name (higher is better).
Validator = Callable[["Scorer"], dict[str, float]]

#: Given a student's trainer and its training data, a trainer whose loss adds the
#: teacher's terms (built by :mod:`recdistill.distill`).
DistillHook = Callable[["EpochTrainer", "TrainData"], "EpochTrainer"]


@dataclass(frozen=True)
class FitOptions:
    """Run context for training (STYLE.md #3).

    Attributes:
        seed: random seed.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda[:N]``.
        precision: ``auto`` (bfloat16 autocast where the device is faster for it),
            ``bf16`` or ``fp32`` (:class:`~recdistill.train.device.Precision`).
        threads: CPU threads for numeric work (None: library default).
        progress: show progress bars.
        out_dir: folder for checkpoints and logs of this model (None: none kept).
        validate: scores a model on the validation split; iterative models
            call it with a scorer of the network being trained, after every
            epoch, for early stopping and best-epoch selection. Built by the
            pipeline, so models never import the evaluator.
        select_metric: the key of ``validate``'s result to maximise.
        distill: the teacher handle (built by :mod:`recdistill.distill`): given a
            neural student's trainer and the training data, returns a trainer
            whose loss adds distillation terms. None: train on the ground truth
            alone. Only models whose class sets ``distillable`` accept it.
        deadline: when this fit must be done, as a ``time.monotonic()`` value
            (None: train to the epoch cap and early stopping only). The loop plans
            its steps from a throughput probe to end by then and lays the
            learning-rate schedule out for them.
    """

    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    threads: int | None = None
    progress: bool = True
    out_dir: Path | None = None
    validate: Validator | None = None
    select_metric: str = "ndcg@10"
    distill: DistillHook | None = None
    deadline: float | None = None

    def seconds_left(self) -> float | None:
        """Seconds until the deadline (None without one)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def bound_validation(self, scorer: Any) -> Callable[[], dict[str, float]] | None:
        """``validate`` bound to ``scorer`` (what the loop calls after each epoch)."""
        validate = self.validate
        if validate is None:
            return None
        return lambda: validate(scorer)

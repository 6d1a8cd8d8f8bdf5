"""What every stage of a run shares: the config, the data views, the run context, the folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from recdistill.budget import Plan
from recdistill.config import RunConfig
from recdistill.data.types import Dataset, Interactions
from recdistill.data.views import Scorer, TrainData
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.runfolder import RunFolder
from recdistill.split import Split
from recdistill.train.options import FitOptions


@dataclass
class Stage:
    """Everything a model stage needs: the data views, the tasks, the run context.

    Attributes:
        cfg: the run configuration.
        ds: the loaded, cleaned dataset.
        split: its train / validation / test parts.
        options: the run context every model's ``fit`` receives.
        run: the run folder the stage writes into.
        plan: the run's time budget across its stages.
    """

    cfg: RunConfig
    ds: Dataset
    split: Split
    options: FitOptions
    run: RunFolder
    plan: Plan = field(default_factory=lambda: Plan(None))

    @property
    def out(self) -> Path:
        return self.run.path

    @property
    def train(self) -> TrainData:
        return TrainData(
            self.split.train, self.ds.item_text, self.ds.item_category, self.ds.item_image
        )

    @property
    def train_valid(self) -> TrainData:
        return TrainData(
            self.split.train_valid, self.ds.item_text, self.ds.item_category, self.ds.item_image
        )

    @cached_property
    def eval_users(self) -> np.ndarray | None:
        """The users evaluated when more have targets than ``evaluation.max_users``: a
        fixed random sample (seeded by the run's seed), the same for every model and for
        validation and test. None: every user with a target."""
        cap = self.cfg.evaluation.max_users
        users = np.union1d(self.split.valid.users_present(), self.split.test.users_present())
        if cap is None or len(users) <= cap:
            return None
        rng = np.random.default_rng([self.cfg.seed, 17])
        return np.sort(rng.choice(users, size=cap, replace=False))

    def _targets(self, table: Interactions) -> Interactions:
        users = self.eval_users
        return table if users is None else table.select(np.isin(table.user, users))

    @property
    def valid_task(self) -> EvalTask:
        return EvalTask(self.split.train, self._targets(self.split.valid), "valid")

    @property
    def test_task(self) -> EvalTask:
        return EvalTask(self.split.train_valid, self._targets(self.split.test), "test")

    def validator(self) -> Callable[[Scorer], dict[str, float]]:
        """The validation callable iterative models use for early stopping."""
        ev = self.cfg.evaluation
        task = self.valid_task

        def validate(model: Scorer) -> dict[str, float]:
            return evaluate(model, task, ev.k, mask_seen=ev.mask_seen, batch_size=ev.batch_size)

        return validate

    def test(self, model: Scorer) -> dict[str, float]:
        """Full-ranking metrics on the test split (histories: train + validation)."""
        ev = self.cfg.evaluation
        return evaluate(
            model, self.test_task, ev.k, mask_seen=ev.mask_seen, batch_size=ev.batch_size
        )


def run_options(cfg: RunConfig, out: Path) -> FitOptions:
    """The run context every model of a run trains with (the config's top-level fields)."""
    return FitOptions(
        seed=cfg.seed, device=cfg.device, precision=cfg.precision, threads=cfg.threads, out_dir=out
    )


#: of a neural model's allowance, the share it may train (the rest: its test, its
#: latency measurement, its artifact)
FIT_SHARE = 0.93


def deadline(seconds: float | None, share: float = FIT_SHARE) -> float | None:
    """The ``time.monotonic()`` deadline ``share`` of ``seconds`` from now (None: none)."""
    return None if seconds is None else time.monotonic() + max(seconds, 0.0) * share

"""The data stage: load and clean the configured sources, split, save to the run folder."""

from __future__ import annotations

import logging
from typing import Any

from recdistill.budget import Plan
from recdistill.config import RunConfig, dump_config
from recdistill.data.load import load_dataset
from recdistill.data.types import Dataset
from recdistill.errors import ConfigError
from recdistill.runfolder import RunFolder
from recdistill.split import Split, make_split
from recdistill.stages.context import Stage, run_options
from recdistill.train import dist

log = logging.getLogger("recdistill")


def load_and_split(cfg: RunConfig) -> tuple[Dataset, Split]:
    """The cleaned dataset and its split (``ConfigError`` when a part would be empty)."""
    ds = load_dataset(cfg.data)
    split = make_split(ds.interactions, cfg.split)
    log.info("%s", split.describe())
    if len(split.valid) == 0 or len(split.test) == 0:
        raise ConfigError(
            "split: validation or test is empty; the data needs users with at least 3 events "
            "(leave_last_out) or events on both sides of the cuts (temporal)"
        )
    return ds, split


def prepare(cfg: RunConfig, run: RunFolder, plan: Plan | None = None) -> Stage:
    """Load, clean and split; rank 0 saves the config and the data to the run folder."""
    with (plan or Plan(None)).stage("data"):
        ds, split = load_and_split(cfg)
        if dist.is_main():
            run.write_config(dump_config(cfg))
            run.save_data(ds, split)
    options = run_options(cfg, run.path)
    stage = Stage(cfg, ds, split, options, run, plan or Plan(None))
    if stage.eval_users is not None:
        log.info(
            "evaluation: a fixed sample of %s users (evaluation.max_users), each ranked "
            "against the full catalogue", f"{len(stage.eval_users):,}",
        )  # fmt: skip
    return stage


def summary(ds: Dataset, split: Split, n_sample: int = 5) -> dict[str, Any]:
    """The ``dataset`` section of ``metrics.json``."""
    evaluated = split.test.users_present()
    sample = ds.users.originals(evaluated[:n_sample])
    return {
        "name": ds.name,
        "users": ds.n_users,
        "items": ds.n_items,
        "interactions": len(ds.interactions),
        "split": split.method,
        "train": len(split.train),
        "valid": len(split.valid),
        "test": len(split.test),
        "sample_users": sample,
        "log": ds.log + split.log,
    }

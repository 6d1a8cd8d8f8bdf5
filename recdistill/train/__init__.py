"""Training shared by every neural model: the epoch loop, checkpoints, devices, DDP.

This package sits below the models: models import it, it imports no model.

Public surface:

- :class:`FitOptions` - the run context a model's ``fit`` receives (seed,
  device, threads, output folder, the validation callable, the teacher handle);
- :class:`EpochTrainer` - what a model supplies (network, optimizer, batches,
  loss); :class:`EpochContext` - what an epoch sees;
- :class:`StudentTrainer` / :class:`Positions` - what a trainer offers to be
  distilled (its positions and its own per-position loss);
- :class:`TrainSession` - run context + the per-epoch loop (progress, logging,
  validation and early stopping, best-epoch weights, checkpoints and resume,
  ``train_log.json``, read back by :func:`read_train_log`); :class:`TrainReport`;
- :mod:`recdistill.train.dist` - rank / world size / barrier helpers that work
  the same with and without ``torchrun``;
- :func:`select_device`, :class:`Precision`, :func:`derive_seed`.
"""

from recdistill.train import dist
from recdistill.train.checkpoint import load_checkpoint, save_checkpoint
from recdistill.train.device import Precision, default_threads, derive_seed, select_device
from recdistill.train.loop import TrainReport, TrainSession, read_train_log
from recdistill.train.options import FitOptions
from recdistill.train.trainer import EpochContext, EpochTrainer, Positions, StudentTrainer

__all__ = [
    "EpochContext",
    "EpochTrainer",
    "FitOptions",
    "Positions",
    "Precision",
    "StudentTrainer",
    "TrainReport",
    "TrainSession",
    "default_threads",
    "derive_seed",
    "dist",
    "load_checkpoint",
    "read_train_log",
    "save_checkpoint",
    "select_device",
]

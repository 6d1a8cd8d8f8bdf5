"""Training shared by every neural model: the epoch loop, checkpoints, devices, DDP.

Public surface:

- :class:`TrainSession` - run context + the per-epoch loop (progress, logging,
  validation and early stopping, best-epoch weights, checkpoints and resume,
  ``train_log.json``);
- :class:`EpochTrainer` - what a model supplies (network, optimizer, batches,
  loss); :class:`EpochContext` - what an epoch sees; :class:`TrainReport`;
- :mod:`recdistill.train.dist` - rank / world size / barrier helpers that work
  the same with and without ``torchrun``;
- :func:`select_device`, :class:`Precision`, :func:`derive_seed`.
"""

from recdistill.train import dist
from recdistill.train.checkpoint import load_checkpoint, save_checkpoint
from recdistill.train.device import Precision, default_threads, derive_seed, select_device
from recdistill.train.loop import EpochContext, EpochTrainer, TrainReport, TrainSession

__all__ = [
    "EpochContext",
    "EpochTrainer",
    "Precision",
    "TrainReport",
    "TrainSession",
    "default_threads",
    "derive_seed",
    "dist",
    "load_checkpoint",
    "save_checkpoint",
    "select_device",
]

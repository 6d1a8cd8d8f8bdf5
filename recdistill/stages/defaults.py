"""The default teacher and student, chosen from the data (a config can pin any of it).

What a config that names no teacher or students trains (rendered into
docs/configuration.md, "Defaults"; a config can pin any of it):

**Teacher**: SASRec, 2 blocks, ``d_model`` 64 (2 heads), dropout 0.2, full
softmax cross-entropy, cosine schedule over the steps its share of the budget
allows (or 200 epochs with early stopping under ``budget: none``).

- item text: the packaged MiniLM encoder reads the catalogue's text when there
  is any; a log without item text trains on IDs alone;
- ``max_len``: the 95th percentile of the users' training history lengths,
  rounded up to a multiple of 10, between 20 and 200 (short histories waste no
  positions on padding);
- ``loss``: above 20,000 items (``SAMPLED_ABOVE``) the catalogue's softmax would
  be most of every step, so the teacher switches to the logQ-corrected sampled
  softmax with 1,024 negatives (``N_NEGATIVES``) drawn by popularity;
- ``patience``: 30 epochs on small logs (under 300,000 training interactions,
  ``SMALL_LOG``: cheap epochs, noisy validation), else 10.

**Student**: the history-pooled two-tower model (no user table, no text, no
transformer at serving time), served in int8: the widest ``d_model`` (a
multiple of 8, 16 to 64) whose int8 form takes at most 9.5% of the teacher's
serving bytes (``STUDENT_BYTES_SHARE``); the same loss rule as the teacher.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from recdistill.models.base import Recommender
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.context import Stage

SAMPLED_ABOVE = 20_000
N_NEGATIVES = 1024
SMALL_LOG = 300_000
STUDENT_BYTES_SHARE = 0.095


def history_max_len(stage: Stage) -> int:
    """The 95th percentile of training history lengths, rounded up to tens, in [20, 200]."""
    lengths = np.bincount(stage.split.train.user, minlength=stage.ds.n_users)
    lengths = lengths[lengths > 0]
    if not len(lengths):
        return 50
    p95 = float(np.percentile(lengths, 95))
    return int(min(200, max(20, 10 * math.ceil(p95 / 10))))


def loss_params(n_items: int) -> dict[str, Any]:
    """Full softmax up to :data:`SAMPLED_ABOVE` items, else logQ-corrected sampled softmax."""
    if n_items <= SAMPLED_ABOVE:
        return {"loss": "full"}
    return {"loss": "sampled", "n_negatives": N_NEGATIVES, "negative_sampling": "popularity"}


def default_teacher(stage: Stage) -> SpecBase:
    """The default teacher for this stage's data (see the module docstring)."""
    ds = stage.ds
    has_text = any(t.strip() for t in ds.item_text)
    small = len(stage.split.train) < SMALL_LOG
    params: dict[str, Any] = {
        "d_model": 64,
        "n_layers": 2,
        "n_heads": 2,
        "dropout": 0.2,
        "max_len": history_max_len(stage),
        "lr": 0.002,
        "patience": 30 if small else 10,
        "text": {"encoder": "minilm" if has_text else "none"},
        **loss_params(ds.n_items),
    }
    return model_spec("sasrec", name="teacher", params=params)


def student_width(teacher_bytes: int, n_items: int) -> int:
    """The widest int8 two-tower (multiple of 8, 16-64) within the share of ``teacher_bytes``.

    int8 stores one byte per item and dimension plus a float32 scale per item;
    the MLP and vectors add about ``6 d^2`` bytes.
    """
    budget = STUDENT_BYTES_SHARE * teacher_bytes
    best = 16
    for d in range(16, 65, 8):
        if n_items * (d + 4) + 6 * d * d + 64 * d <= budget:
            best = d
    return best


def default_students(stage: Stage, teacher: Recommender | None = None) -> list[SpecBase]:
    """The default student (see the module docstring); d=32 when the teacher is unknown."""
    d = 32 if teacher is None else student_width(teacher.serving_bytes(), stage.ds.n_items)
    params: dict[str, Any] = {
        "d_model": d,
        "hidden_mult": 1.0,
        "lr": 0.003,
        "epochs": 100,
        "patience": 10,
        "max_len": history_max_len(stage),
        **loss_params(stage.ds.n_items),
    }
    return [model_spec("twotower", name="student", params=params)]

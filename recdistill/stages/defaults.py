"""The default teacher and student, chosen from the data (a config can pin any of it).

What a config that names no teacher or students trains (rendered into
docs/configuration.md, "Defaults"; a config can pin any of it):

**Teacher**: SASRec, 2 blocks, ``d_model`` 64 (2 heads), full softmax
cross-entropy, a cosine learning-rate schedule over the steps its share of the
budget allows (or 200 epochs with early stopping under ``budget: none``).
Batches, rate and dropout by the log's size: from 300,000 training
interactions (``SMALL_LOG``) batches of 64 at 0.002 with dropout 0.1 (on
MovieLens-1M batches of 64 reached a given validation NDCG@10 in about 40%
fewer epochs than batches of 128 at the same time per epoch, and dropout 0.1
reached 0.180 on the test in ten minutes where 0.2 reached 0.168-0.171), below it
batches of 128 at 0.001 with dropout 0.2 (on MovieLens-100K the faster rate
overfits within 25 epochs: 0.087 on the test against 0.106; docs/BENCHMARKS.md).

- item text: ``text.encoder: auto`` reads the catalogue's text when there is any
  and encoding what the text cache lacks fits a quarter of the teacher's share
  of the budget; ``auto`` picks the English MiniLM encoder when at least half of
  the text's letters are Latin script, else the multilingual e5 (Chinese...),
  at about 100 and 20 texts per second on 2 CPU cores (``TEXTS_PER_SECOND``);
  otherwise (noted in metrics.json), and for a log without item text, the
  teacher trains on IDs alone;
- product images: with ``data.items.image`` set, ``image.encoder:
  efficientnet-lite0`` reads them when embedding what the image cache lacks fits
  a quarter of the teacher's share (about 45 images per second on 2 CPU cores,
  ``IMAGES_PER_SECOND``); otherwise (noted) none. Text and images are embedded
  in their own stage before the teacher's (``item_content``), so the teacher's
  share is of the time left after them;
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
serving bytes (``STUDENT_BYTES_SHARE``); the same loss rule as the teacher;
learning rate 0.01 (``STUDENT_LR``) and no dropout (``STUDENT_DROPOUT``): a
student this narrow underfits in the few epochs its share of the budget
allows, so it needs the fast rate and no regularisation (8 epochs from
scratch, test NDCG@10: on MovieLens-1M at d=24 0.1407 against 0.1120 at the
former default's 0.003 and dropout 0.2; on a generated 45.7k-item catalogue at d=16
0.1371 against 0.0348; docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from recdistill.models.base import Recommender
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.context import Stage

TEACHER_D_MODEL = 64
SAMPLED_ABOVE = 20_000
#: item texts per second on 2 CPU cores, by encoder (docs/item-content.md)
TEXTS_PER_SECOND = {"minilm": 100.0, "e5": 20.0}
TEXT_SHARE = 0.25
#: product images per second through efficientnet-lite0 (float32) on 2 CPU cores
IMAGES_PER_SECOND = 45.0
IMAGE_SHARE = 0.25
N_NEGATIVES = 1024
SMALL_LOG = 300_000
STUDENT_BYTES_SHARE = 0.095
STUDENT_LR = 0.01
STUDENT_DROPOUT = 0.0


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


def text_encoder(stage: Stage, allowed: float | None) -> str:
    """``auto`` when the items have text that can be encoded in time, else ``none``.

    ``auto`` resolves to ``minilm`` for mostly Latin-script text and ``e5``
    otherwise (:func:`~recdistill.text.encoders.choose_encoder`); the time
    check uses that encoder's rate (:data:`TEXTS_PER_SECOND`).
    """
    texts = stage.ds.item_text
    if not any(t.strip() for t in texts):
        return "none"
    if allowed is None:
        return "auto"
    from recdistill.text.cache import missing
    from recdistill.text.encoders import choose_encoder

    name, _ = choose_encoder(texts)
    todo = missing(texts, name)
    need = todo / TEXTS_PER_SECOND[name]
    if need > TEXT_SHARE * allowed:
        stage.plan.note(
            "teacher", "item text skipped",
            f"encoding {todo:,} item texts with {name} would take ~{need:.0f}s, more than a "
            f"quarter of the teacher's {allowed:.0f}s; set teacher.params.text.encoder to keep it",
        )  # fmt: skip
        return "none"
    return "auto"


def image_encoder(stage: Stage, allowed: float | None) -> str:
    """``efficientnet-lite0`` when the items have images (``data.items.image``) that can
    be embedded in time (:data:`IMAGES_PER_SECOND`, a quarter of the teacher's
    seconds), else ``none`` (noted in metrics.json)."""
    paths = stage.ds.item_image
    if not any(paths):
        return "none"
    name = "efficientnet-lite0"
    if allowed is None:
        return name
    from recdistill.images.cache import missing_images

    todo = missing_images([p or None for p in paths], name)
    need = todo / IMAGES_PER_SECOND
    if need > IMAGE_SHARE * allowed:
        stage.plan.note(
            "teacher", "item images skipped",
            f"embedding {todo:,} item images would take ~{need:.0f}s, more than a quarter of "
            f"the teacher's {allowed:.0f}s; set teacher.params.image.encoder to keep them",
        )  # fmt: skip
        return "none"
    return name


def default_teacher(stage: Stage, allowed: float | None = None) -> SpecBase:
    """The default teacher for this stage's data and its ``allowed`` seconds (see the
    module docstring)."""
    ds = stage.ds
    encoder = text_encoder(stage, allowed)
    small = len(stage.split.train) < SMALL_LOG
    params: dict[str, Any] = {
        "d_model": TEACHER_D_MODEL,
        "n_layers": 2,
        "n_heads": 2,
        "dropout": 0.2 if small else 0.1,
        "max_len": history_max_len(stage),
        "lr": 0.001 if small else 0.002,
        "batch_size": 128 if small else 64,
        "patience": 30 if small else 10,
        "text": {"encoder": encoder},
        "image": {"encoder": image_encoder(stage, allowed)},
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
        "lr": STUDENT_LR,
        "dropout": STUDENT_DROPOUT,
        "epochs": 100,
        "patience": 10,
        "max_len": history_max_len(stage),
        **loss_params(stage.ds.n_items),
    }
    return [model_spec("twotower", name="student", params=params)]

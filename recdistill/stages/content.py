"""The item-content stage: embed what the teacher reads (item text, product images)
before the teacher's clock starts.

A language or image model's first pass over a catalogue is a fixed cost that
no throughput probe of the teacher can see: on the Chinese quick demo, e5 took
40 of the teacher's 90 planned seconds, and the teacher then trained for half
its time. This stage fills the on-disk vector caches first (``text.encoder``
``auto`` resolved here, by the same rule the model applies), so its time is
measured as its own line in the plan and every later stage's allowance is its
share of what is left; the teacher's fit then reads the vectors from the cache.
Nothing is encoded twice: a second run finds everything cached and this stage
takes a file read.
"""

from __future__ import annotations

import logging
from typing import Any

from recdistill.specs import SpecBase
from recdistill.stages.context import Stage

log = logging.getLogger("recdistill")


def run(stage: Stage, spec: SpecBase | None) -> None:
    """Fill the text and image caches for ``spec`` (the teacher's spec; None: nothing)."""
    if spec is None:
        return
    params: Any = spec.params
    text = getattr(getattr(params, "text", None), "encoder", "none")
    image = getattr(getattr(params, "image", None), "encoder", "none")
    if text == "none" and image == "none":
        return
    progress = stage.options.progress
    with stage.plan.stage("item_content"):
        texts = list(stage.ds.item_text)
        if text != "none" and any(texts):
            from recdistill.text import item_embeddings
            from recdistill.text.encoders import choose_encoder

            name = choose_encoder(texts)[0] if text == "auto" else text
            item_embeddings(texts, name, None, progress=progress)
        paths = list(stage.ds.item_image)
        if image != "none" and any(paths):
            from recdistill.images import image_embeddings

            image_embeddings([p or None for p in paths], image, None, progress=progress)

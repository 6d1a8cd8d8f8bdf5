"""SASRec: a causal transformer over the item history, trained with full softmax.

Self-attentive sequential recommendation (Kang & McAuley, ICDM 2018) trained
with cross-entropy over the whole catalogue at every position, the choice
that lets SASRec beat BERT4Rec (Klenitskiy & Vasilev, RecSys 2023). For
catalogues too large for a full softmax, ``loss: sampled`` draws
``n_negatives`` items per batch (uniform or by popularity) and corrects the
logits by ``log Q`` (the sampling probability), which keeps the estimate of
the full softmax consistent.

With ``text.encoder`` set, each item's vector is its learned ID embedding
fused with a projection of a language model's embedding of the item's text
(:class:`~recdistill.models._sasrec_net.ItemTable`), so items never seen in
training still get a text-based vector; ``auto`` picks the encoder from the
text's script (:func:`~recdistill.text.encoders.choose_encoder`). With
``image.encoder`` set, an image model's embedding of each item's picture
(``data.items.image``) meets that vector through its own projection and gate;
items without a usable image keep the text/ID vector. Scores come from the same (tied)
item table: ``score(h) = q(h) . item``.

The same class is the teacher (wide, default ``d_model`` 256) and a student
(narrow, ``d_model`` 16-64, no text). Training, scoring and artifacts are
shared with every sequential model (:mod:`recdistill.models._seqmodel`).

Serving state (``state()``): the transformer weights, positions, the BOS
vector (the empty-history query) and the **fused** item table ``I x D``. The
text projection and gate are applied once at the end of training and their
output is what the table stores, so serving needs no language model;
``encoder_bytes`` (the language and image models' own weights, needed only to
embed new items) is reported apart in :meth:`SASRec.meta` (``encoders``: each
one's name, bytes and width, and what ``auto`` chose).

Post-training quantization (:meth:`SASRec.quantized`, for a student):
``int8`` keeps the item table, the position table and every linear layer's
weight as int8 with a float32 scale per row, ``float16`` in half precision
(:mod:`recdistill.models._quant`); vectors stay float32. The network holds
only those buffers and widens what a forward pass reads, so ``serving_bytes``
(the arrays of ``state()``) is what serving keeps in memory.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Literal, Self, cast

import numpy as np
import torch
from pydantic import Field, model_validator

from recdistill.errors import ConfigError
from recdistill.models._quant import Precision, quantize_net, target_precision
from recdistill.models._sasrec_net import SASRecNet
from recdistill.models._seqmodel import SeqTrainConfig, SeqTrainer, SequentialModel
from recdistill.models.base import FitOptions, ModelConfig, TrainData, register
from recdistill.train import dist

log = logging.getLogger("recdistill.sasrec")


class TextConfig(ModelConfig):
    """Language-model item text: which encoder, and how it meets the ID embedding."""

    encoder: Literal["none", "auto", "minilm", "e5"] = Field(
        "none",
        description="none | auto (minilm for mostly Latin-script text, else e5) | minilm "
        "(all-MiniLM-L6-v2, English) | e5 (multilingual-e5-small).",
    )
    fusion: Literal["gate", "sum"] = Field(
        "gate", description="gate: learned sigmoid gate per item and dimension; sum: id + text."
    )


class ImageConfig(ModelConfig):
    """Product images read by a pretrained image model, fused into the item table."""

    encoder: Literal["none", "efficientnet-lite0"] = Field(
        "none",
        description="none | efficientnet-lite0 (ImageNet EfficientNet-Lite0, 1280-d features).",
    )


class SASRecConfig(SeqTrainConfig):
    """Hyperparameters of :class:`SASRec` (training fields from :class:`SeqTrainConfig`)."""

    n_layers: int = Field(2, ge=1, description="Transformer blocks.")
    n_heads: int = Field(4, ge=1, description="Attention heads (must divide d_model).")
    attn_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Dropout on attention weights (0 keeps the fused attention kernel on CPU).",
    )
    ffn_mult: float = Field(1.0, gt=0.0, description="Feed-forward width as a multiple of D.")
    norm: Literal["pre", "post"] = Field("pre", description="LayerNorm before or after blocks.")
    ensemble: int = Field(
        1,
        ge=1,
        description="Members trained with seeds seed, seed+1, ...; scores average their "
        "log-probabilities (serving size grows with it).",
    )
    text: TextConfig = Field(
        default_factory=TextConfig,
        description="Item text read by a language model, fused into the item table.",
    )
    image: ImageConfig = Field(
        default_factory=ImageConfig,
        description="Item images (data.items.image) read by an image model, fused into the "
        "item table beside the text.",
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> Self:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by n_heads {self.n_heads}")
        return self


def image_table(
    paths: list[str], encoder: str, progress: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``(I x F float32 vectors, [I] bool usable, summary)`` from :mod:`recdistill.images`.

    ``summary``: the encoder's weight bytes and how many items had a usable,
    missing or unreadable image (an unusable one leaves the item to text/ID).
    """
    from recdistill.images import get_image_spec, image_embeddings

    got = image_embeddings([p or None for p in paths], encoder, None, progress=progress)
    summary = {
        "name": encoder,
        "bytes": get_image_spec(encoder).weight_bytes(),
        "dim": int(got.vectors.shape[1]),
        "images": int(got.ok.sum()),
        "missing": int(got.missing),
        "unreadable": len(got.failed),
    }
    return np.ascontiguousarray(got.vectors, dtype=np.float32), got.ok.astype(bool), summary


def text_table(texts: list[str], encoder: str, progress: bool) -> tuple[np.ndarray, int]:
    """``(I x E float32 embeddings, encoder weight bytes)`` from :mod:`recdistill.text`.

    Embeddings come from the on-disk cache when present (keyed by encoder and
    text); a missing encoder package is a :class:`ConfigError` naming it.
    """
    from recdistill.text import get_spec, item_embeddings

    table = item_embeddings(texts, encoder, None, progress=progress)
    nbytes = get_spec(encoder).weight_bytes()
    return np.ascontiguousarray(table, dtype=np.float32), nbytes


@register
class SASRec(SequentialModel):
    """SASRec with full (or logQ-sampled) softmax and optional language-model text.

    See :class:`~recdistill.models._seqmodel.SequentialModel` for scoring and
    artifacts; an ensemble (``ensemble`` > 1) scores with every member.
    """

    kind = "sasrec"
    Config = SASRecConfig
    config: SASRecConfig
    quantizations = ("int8", "float16")

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self._encoder_bytes = 0
        self._text_dim = 0
        self._text_encoder: str = self.config.text.encoder
        self._encoders: dict[str, dict[str, Any]] = {}
        self.precision: Precision = "float32"

    def quantized(self, precision: str) -> SASRec:
        """A copy serving from ``int8`` or ``float16`` weights (see the module docstring)."""
        target = target_precision(self.precision, precision)
        nets = self.members or [self.require_net()]
        out = SASRec(self.config)
        out.n_users, out.n_items = self.n_users, self.n_items
        out._encoder_bytes, out._text_dim = self._encoder_bytes, self._text_dim
        out._text_encoder, out._encoders = self._text_encoder, copy.deepcopy(self._encoders)
        out.precision = target
        for net in nets:
            net.freeze_items()  # the serving table, without text
        out.members = [
            cast(SASRecNet, quantize_net(copy.deepcopy(n).cpu().eval(), out.precision))
            for n in nets
        ]
        out.net = out.members[0]
        return out

    def serving_net(self) -> SASRecNet:
        net = self.build_net(self.n_items)
        return cast(SASRecNet, quantize_net(net, self.precision))

    def n_params(self) -> int:
        """Stored weights (int8 and float16 ones included; scales are not parameters)."""
        return int(sum(a.size for k, a in self.state().items() if not k.endswith(".scale")))

    def build_net(
        self,
        n_items: int,
        text: torch.Tensor | None = None,
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> SASRecNet:
        cfg = self.config
        return SASRecNet(
            n_items,
            cfg.d_model,
            cfg.n_layers,
            cfg.n_heads,
            cfg.max_len,
            cfg.dropout,
            ffn_mult=cfg.ffn_mult,
            attn_dropout=cfg.attn_dropout,
            norm=cfg.norm,
            text=text,
            fusion=cfg.text.fusion,
            image=image,
        )

    def n_members(self) -> int:
        return self.config.ensemble

    def load_text(self, data: TrainData, options: FitOptions) -> np.ndarray | None:
        encoder: str = self.config.text.encoder
        if encoder == "none":
            return None
        texts = list(data.item_text)
        if not any(texts):
            raise ConfigError(
                f"text.encoder '{encoder}': the data has no item text (configure data.items "
                "with text columns, or set text.encoder: none)"
            )
        texts += [""] * (self.n_items - len(texts))
        choice = None
        if encoder == "auto":
            from recdistill.text.encoders import choose_encoder

            encoder, why = choose_encoder(texts[: self.n_items])
            choice = f"auto: {why}"
            log.info("text.encoder auto -> %s (%s)", encoder, why)
        self._text_encoder = encoder
        with dist.main_first():  # rank 0 fills the on-disk cache; the others read it
            table, nbytes = text_table(texts[: self.n_items], encoder, options.progress)
        if table.shape[0] != self.n_items:
            raise ConfigError(
                f"text.encoder '{encoder}': {table.shape[0]} rows for {self.n_items} items"
            )
        self._text_dim = int(table.shape[1])
        info: dict[str, Any] = {"name": encoder, "bytes": nbytes, "dim": self._text_dim}
        self._record("text", {**info, "chosen": choice} if choice else info)
        return table

    def _record(self, kind: str, info: dict[str, Any]) -> None:
        """Keep what a content model is (``metrics.json``'s ``encoders``) and the bytes sum."""
        self._encoders[kind] = info
        self._encoder_bytes = sum(int(e["bytes"]) for e in self._encoders.values())

    def load_image(
        self, data: TrainData, options: FitOptions
    ) -> tuple[np.ndarray, np.ndarray] | None:
        encoder = self.config.image.encoder
        if encoder == "none":
            return None
        paths = list(data.item_image)
        if not any(paths):
            raise ConfigError(
                f"image.encoder '{encoder}': the data has no item images (set data.items.image "
                "to the catalogue's image column, or image.encoder: none)"
            )
        paths += [""] * (self.n_items - len(paths))
        with dist.main_first():  # rank 0 fills the on-disk cache; the others read it
            vectors, ok, summary = image_table(paths[: self.n_items], encoder, options.progress)
        self._record("image", summary)
        return vectors, ok

    def meta(self) -> dict[str, Any]:
        return {
            **super().meta(),
            "encoder": self._text_encoder,
            "encoder_bytes": self._encoder_bytes,
            "encoders": self._encoders,
            "text_dim": self._text_dim,
            "precision": self.precision,
        }

    def load_meta(self, meta: dict[str, Any]) -> None:
        self._encoder_bytes = int(meta.get("encoder_bytes", 0))
        self._text_dim = int(meta.get("text_dim", 0))
        self._text_encoder = str(meta.get("encoder", self.config.text.encoder))
        self._encoders = dict(meta.get("encoders") or {})
        self.precision = meta.get("precision", "float32")

    @property
    def encoder(self) -> str:
        """The language model used for item text (``none`` without text; what ``auto``
        chose once fitted)."""
        return self._text_encoder

    def encoder_bytes(self) -> int:
        """Bytes of the text and image models' own weights (0 without them); not in
        serving_bytes (``meta()["encoders"]`` has each apart)."""
        return self._encoder_bytes


#: the shared sequential step, under the name older scripts import
SASRecTrainer = SeqTrainer

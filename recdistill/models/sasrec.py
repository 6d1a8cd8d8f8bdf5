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
training still get a text-based vector. Scores come from the same (tied)
item table: ``score(h) = q(h) . item``.

The same class is the teacher (wide, default ``d_model`` 256) and a student
(narrow, ``d_model`` 16-64, no text).

Serving state (``state()``): the transformer weights, positions, the BOS
vector (the empty-history query) and the **fused** item table ``I x D``. The
text projection and gate are applied once at the end of training and their
output is what the table stores, so serving needs no language model;
``encoder_bytes`` (the language model's own weights, needed only to embed new
items) is reported apart in :meth:`SASRec.meta`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import Any, Literal, Self

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from recdistill.errors import ConfigError
from recdistill.models._sasrec_net import SASRecNet
from recdistill.models._sequences import (
    IGNORE,
    SeqBatch,
    Windows,
    epoch_batches,
    history_batch,
    make_windows,
)
from recdistill.models._softmax import fused_softmax_ce
from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)
from recdistill.train import EpochContext, EpochTrainer, TrainReport, TrainSession, dist
from recdistill.train.device import seed_torch

log = logging.getLogger("recdistill.sasrec")

SCORE_CHUNK = 256  # rows per forward pass when scoring


class TextConfig(ModelConfig):
    """Language-model item text: which encoder, and how it meets the ID embedding."""

    encoder: Literal["none", "minilm", "e5"] = Field(
        "none", description="none | minilm (all-MiniLM-L6-v2) | e5 (multilingual-e5-small)."
    )
    fusion: Literal["gate", "sum"] = Field(
        "gate", description="gate: learned sigmoid gate per item and dimension; sum: id + text."
    )


class SASRecConfig(ModelConfig):
    """Hyperparameters of :class:`SASRec` (run context lives in FitOptions)."""

    d_model: int = Field(256, ge=4, description="Width D of item vectors and hidden states.")
    n_layers: int = Field(2, ge=1, description="Transformer blocks.")
    n_heads: int = Field(4, ge=1, description="Attention heads (must divide d_model).")
    max_len: int = Field(200, ge=1, description="Most recent items the model reads.")
    dropout: float = Field(0.3, ge=0.0, lt=1.0, description="Dropout (embeddings, blocks).")
    attn_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Dropout on attention weights (0 keeps the fused attention kernel on CPU).",
    )
    ffn_mult: float = Field(1.0, gt=0.0, description="Feed-forward width as a multiple of D.")
    norm: Literal["pre", "post"] = Field("pre", description="LayerNorm before or after blocks.")
    lr: float = Field(1e-3, gt=0.0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW decoupled weight decay.")
    batch_size: int = Field(128, ge=1, description="Sequences per optimizer step (all ranks).")
    epochs: int = Field(200, ge=1, description="Maximum epochs.")
    patience: int = Field(
        20, ge=0, description="Stop after this many epochs without validation gain (0: never)."
    )
    loss: Literal["full", "sampled"] = Field(
        "full", description="full: softmax over the catalogue; sampled: logQ-corrected."
    )
    n_negatives: int = Field(256, ge=1, description="sampled: negatives per batch (shared).")
    negative_sampling: Literal["uniform", "popularity"] = Field(
        "uniform", description="sampled: negatives drawn uniformly or by training counts."
    )
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0, description="full: CE label smoothing.")
    extra_windows: bool = Field(
        True, description="Train on every max_len chunk of long histories, not only the last."
    )
    ema: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Decay of a moving average of the weights per step (0: off); validation "
        "and the final model use the average.",
    )
    ensemble: int = Field(
        1,
        ge=1,
        description="Members trained with seeds seed, seed+1, ...; scores average their "
        "log-probabilities (serving size grows with it).",
    )
    clip_grad: float | None = Field(1.0, description="Gradient norm clip (null: none).")
    text: TextConfig = Field(default_factory=TextConfig)

    @model_validator(mode="after")
    def _heads_divide(self) -> Self:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by n_heads {self.n_heads}")
        return self


def text_table(texts: list[str], encoder: str, progress: bool) -> tuple[np.ndarray, int]:
    """``(I x E float32 embeddings, encoder weight bytes)`` from :mod:`recdistill.text`.

    Embeddings come from the on-disk cache when present (keyed by encoder and
    text); a missing encoder package is a :class:`ConfigError` naming it.
    """
    from recdistill.text import get_encoder, item_embeddings

    table = item_embeddings(texts, encoder, None, progress=progress)
    nbytes = int(get_encoder(encoder).weight_bytes())
    return np.ascontiguousarray(table, dtype=np.float32), nbytes


def _digest(*arrays: np.ndarray, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@register
class SASRec(Recommender):
    """SASRec with full (or logQ-sampled) softmax and optional language-model text.

    ``score`` reads the last ``max_len`` items of each history (the user index
    is not used, so a history given at request time works the same); an empty
    history is answered by the learned begin-of-sequence query, which is
    trained to predict a user's first item (a popularity-like ranking).

    Attributes:
        net: the network (:class:`SASRecNet`), on the device it was trained on.
        report: what training did (epochs, best epoch, times), after ``fit``.
    """

    kind = "sasrec"
    Config = SASRecConfig
    config: SASRecConfig

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.net: SASRecNet | None = None
        self.members: list[SASRecNet] = []
        self.report: TrainReport | None = None
        self.reports: list[TrainReport] = []
        self._solo = False  # while a member trains, score with that member alone
        self._encoder_bytes = 0
        self._text_dim = 0

    # -- building ------------------------------------------------------------
    def build_net(self, n_items: int, text: torch.Tensor | None = None) -> SASRecNet:
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
        )

    def _load_text(self, data: TrainData, options: FitOptions) -> np.ndarray | None:
        encoder = self.config.text.encoder
        if encoder == "none":
            return None
        texts = list(data.item_text)
        if not any(texts):
            raise ConfigError(
                f"text.encoder '{encoder}': the data has no item text (configure data.items "
                "with text columns, or set text.encoder: none)"
            )
        texts += [""] * (self.n_items - len(texts))
        # Rank 0 fills the on-disk cache first; the other ranks then read it.
        if not dist.is_main():
            dist.barrier()
        table, nbytes = text_table(texts[: self.n_items], encoder, options.progress)
        if dist.is_main():
            dist.barrier()
        if table.shape[0] != self.n_items:
            raise ConfigError(
                f"text.encoder '{encoder}': {table.shape[0]} rows for {self.n_items} items"
            )
        self._encoder_bytes, self._text_dim = nbytes, int(table.shape[1])
        return table

    # -- the contract --------------------------------------------------------
    def fit(self, data: TrainData, options: FitOptions | None = None) -> Self:
        """Train on ``data`` with the shared loop (early stopping on ``options.validate``).

        With ``ensemble`` > 1, member ``k`` trains with seed ``seed + k`` (its
        checkpoints under ``out_dir/member{k}``) and early-stops on its own
        validation; the fitted model scores with all members.
        """
        options = options if options is not None else FitOptions()
        cfg = self.config
        self.n_users, self.n_items = data.n_users, data.n_items
        if self.n_items == 0:
            raise ConfigError("sasrec: the training data has no items")
        windows = make_windows(data.interactions.item, data.indptr, cfg.max_len, cfg.extra_windows)
        counts = data.interactions.item_counts()
        text: np.ndarray | None = None
        self.members, self.reports = [], []
        for k in range(cfg.ensemble):
            opts, name = options, self.kind
            if cfg.ensemble > 1:
                out = options.out_dir / f"member{k}" if options.out_dir is not None else None
                opts = replace(options, seed=options.seed + k, out_dir=out)
                name = f"{self.kind} {k + 1}/{cfg.ensemble}"
            with TrainSession(opts, name=name) as session:
                if k == 0:
                    text = self._load_text(data, options)
                seed_torch(opts.seed)
                text_t = torch.from_numpy(text) if text is not None else None
                self.net = self.build_net(self.n_items, text_t).to(session.device)
                trainer = SASRecTrainer(self, windows, counts, session.device, text)
                self._solo = True
                try:
                    report = session.fit(trainer, self, epochs=cfg.epochs, patience=cfg.patience)
                finally:
                    self._solo = False
            self.members.append(self.net)
            self.reports.append(report)
        self.net, self.report = self.members[0], self.reports[-1]
        return self

    def _require_net(self) -> SASRecNet:
        if self.net is None:
            raise RuntimeError("sasrec: the model is not fitted")
        return self.net

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores for each row's last ``max_len`` items.

        One network: the logits ``q(history) . item``. An ensemble: the mean of
        its members' log-probabilities (log of the geometric mean, also logits).
        Rows are run in length-sorted chunks, each padded to its own longest row.
        """
        net = self._require_net()
        nets = [net] if self._solo or not self.members else self.members
        out = np.empty((len(batch), self.n_items), dtype=np.float32)
        if len(batch) == 0:
            return out
        x, last = history_batch(
            batch.indptr, batch.items, self.config.max_len, net.pad, net.bos_id, self.n_items
        )
        order = np.argsort(last.numpy(), kind="stable")
        modes = [m.training for m in nets]
        try:
            with torch.inference_mode():
                tables = [m.eval().items() for m in nets]
                for c in range(0, len(order), SCORE_CHUNK):
                    rows = torch.from_numpy(order[c : c + SCORE_CHUNK])
                    pos = last[rows]
                    xc = x[rows, : int(pos.max()) + 1]
                    parts = [_logits(m, t, xc, pos) for m, t in zip(nets, tables, strict=True)]
                    if len(parts) == 1:
                        chunk = parts[0]
                    else:
                        chunk = torch.stack([p.log_softmax(dim=1) for p in parts]).mean(dim=0)
                    out[rows.numpy()] = chunk.numpy()
        finally:
            for m, mode in zip(nets, modes, strict=True):
                m.train(mode)
        return out

    # -- artifacts -----------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Transformer weights, positions, BOS and the fused item table (``items.ids``, I x D).

        An ensemble prefixes each member's arrays with ``member{k}.``.
        """
        nets = self.members or [self._require_net()]
        out: dict[str, np.ndarray] = {}
        for k, net in enumerate(nets):
            if net.items.proj is not None:  # fitted nets are frozen in finalize; be safe
                net.freeze_items()
            prefix = f"member{k}." if len(nets) > 1 else ""
            for name, v in net.state_dict().items():
                out[prefix + name] = v.detach().float().cpu().numpy().copy()
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        k = self.config.ensemble
        self.members = []
        for m in range(k):
            prefix = f"member{m}." if k > 1 else ""
            net = self.build_net(self.n_items)
            arrays = {n[len(prefix) :]: v for n, v in state.items() if n.startswith(prefix)}
            net.load_state_dict({n: torch.from_numpy(np.array(v)) for n, v in arrays.items()})
            self.members.append(net.eval())
        self.net = self.members[0]

    def meta(self) -> dict[str, Any]:
        return {
            **super().meta(),
            "encoder": self.config.text.encoder,
            "encoder_bytes": self._encoder_bytes,
            "text_dim": self._text_dim,
        }

    def load_meta(self, meta: dict[str, Any]) -> None:
        self._encoder_bytes = int(meta.get("encoder_bytes", 0))
        self._text_dim = int(meta.get("text_dim", 0))

    @property
    def encoder(self) -> str:
        """The language model used for item text (``none`` without text)."""
        return self.config.text.encoder

    def encoder_bytes(self) -> int:
        """Bytes of the language model's own weights (0 without text); not in serving_bytes."""
        return self._encoder_bytes


def _logits(
    net: SASRecNet, table: torch.Tensor, x: torch.Tensor, pos: torch.Tensor
) -> torch.Tensor:
    """``B x I`` float32 CPU logits at positions ``pos`` of inputs ``x`` (``B x T``)."""
    device = table.device
    h = net.encode(net.embed(x.to(device), table))
    q = h[torch.arange(len(pos), device=device), pos.to(device)]
    return (q @ table.T).float().cpu()


class SASRecTrainer(EpochTrainer):
    """SASRec's step for the shared loop: bucketed windows, full or sampled softmax.

    Subclass and override :meth:`loss` to add terms (e.g. a distillation loss);
    ``module(inputs)`` returns ``(hidden B x T x D, items I x D)``.
    """

    def __init__(
        self,
        model: SASRec,
        windows: Windows,
        item_counts: np.ndarray,
        device: torch.device,
        text: np.ndarray | None = None,
    ) -> None:
        cfg = model.config
        self.config, self.windows, self.device = cfg, windows, device
        self.model = model
        net = model._require_net()
        self.module = net
        self.n_items = net.n_items
        self.max_grad_norm = cfg.clip_grad
        self.ema_decay = cfg.ema or None
        decay: list[nn.Parameter] = []
        plain: list[nn.Parameter] = []
        for name, p in net.named_parameters():
            (decay if p.ndim >= 2 and name != "pos" else plain).append(p)
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": cfg.weight_decay},
                {"params": plain, "weight_decay": 0.0},
            ],
            lr=cfg.lr,
            betas=(0.9, 0.98),
        )
        q = np.asarray(item_counts, dtype=np.float64) + 1.0
        if cfg.negative_sampling == "uniform":
            q = np.ones_like(q)
        self.sample_p = torch.from_numpy(q / q.sum()).float().to(device)
        self.log_q = torch.log(self.sample_p)
        self._fingerprint = _digest(
            windows.items,
            windows.start,
            windows.length,
            text if text is not None else np.zeros(0, dtype=np.float32),
            extra=json.dumps(
                {"kind": model.kind, "config": cfg.model_dump(mode="json"), "items": self.n_items},
                sort_keys=True,
            ),
        )

    def fingerprint(self) -> str:
        return self._fingerprint

    def batches(self, ctx: EpochContext) -> list[SeqBatch]:
        per_rank = -(-self.config.batch_size // ctx.world)
        return epoch_batches(
            self.windows,
            per_rank,
            seed=ctx.seed,
            epoch=ctx.epoch,
            rank=ctx.rank,
            world=ctx.world,
            pad=self.n_items,
            bos=self.n_items + 1,
        )

    def loss(self, module: nn.Module, batch: SeqBatch) -> tuple[torch.Tensor, int]:
        """Mean next-item cross-entropy over the batch's real positions."""
        b = batch.to(self.device)
        mask = b.targets != IGNORE
        targets = b.targets[mask]
        if self.config.loss == "full":
            hidden, table = module(b.inputs)
            # N x I logits of real positions only, in cache-sized chunks (never all at once)
            loss = fused_softmax_ce(
                hidden[mask], table, targets, label_smoothing=self.config.label_smoothing
            )
            return loss, batch.sequences
        return self.sampled_loss(module, b.inputs, mask, targets), batch.sequences

    def sampled_loss(
        self, module: nn.Module, inputs: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor
    ) -> torch.Tensor:
        """logQ-corrected sampled softmax: the positive against ``n_negatives`` shared ones."""
        k = self.config.n_negatives
        if self.config.negative_sampling == "uniform":
            negs = torch.randint(0, self.n_items, (k,), device=self.device)
        else:
            negs = torch.multinomial(self.sample_p, k, replacement=True)
        hidden, rows = module(inputs, torch.cat([targets, negs]))
        h = hidden[mask]  # N x D
        n = targets.shape[0]
        pos = (h * rows[:n]).sum(-1, keepdim=True) - self.log_q[targets][:, None]
        neg = h @ rows[n:].T - self.log_q[negs][None, :]  # N x K
        neg = neg.masked_fill(negs[None, :] == targets[:, None], float("-inf"))
        logits = torch.cat([pos, neg], dim=1).float()
        zero = torch.zeros(n, dtype=torch.long, device=self.device)
        return F.cross_entropy(logits, zero)

    def finalize(self) -> None:
        """Bake the text projection and gate into a plain item table (the serving form)."""
        self.model._require_net().freeze_items()

"""What every sequential neural model shares: training config, fit, score, artifacts.

A sequential model reads a user's history (oldest first) through a network
with the :class:`~recdistill.models._sasrec_net.SeqNet` interface: token ids in
(``[BOS] + items``, right-padded), one query vector per position out, scored
against a tied item table. :class:`SequentialModel` implements the contract
(fit / score / state) once for all of them; a model adds its config and
``build_net`` (SASRec: a transformer; the two-tower student: pooling + MLP).

Training (:class:`SeqTrainer`) is the shared per-epoch step: length-bucketed
windows (:mod:`recdistill.models._sequences`), full softmax cross-entropy
over the catalogue or logQ-corrected sampled softmax. ``FitOptions.distill``
(a teacher handle built by :mod:`recdistill.distill`) may wrap the trainer to
add distillation terms; models never import the distillation package.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import abstractmethod
from dataclasses import replace
from typing import ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from recdistill.errors import ConfigError
from recdistill.models._sasrec_net import SeqNet, ensemble_logits, eval_mode
from recdistill.models._sequences import (
    IGNORE,
    SeqBatch,
    Windows,
    epoch_batches,
    history_batch,
    make_windows,
)
from recdistill.models._softmax import fused_softmax_ce
from recdistill.models.base import FitOptions, Histories, ModelConfig, Recommender, TrainData
from recdistill.train import dist
from recdistill.train.device import seed_torch
from recdistill.train.loop import TrainReport, TrainSession
from recdistill.train.trainer import EpochContext, EpochTrainer, Positions

SCORE_CHUNK = 256  # rows per forward pass when scoring


class SeqTrainConfig(ModelConfig):
    """Width, input length and training of a sequential model (run context is in FitOptions)."""

    d_model: int = Field(256, ge=4, description="Width D of item vectors and hidden states.")
    max_len: int = Field(200, ge=1, description="Most recent items the model reads.")
    dropout: float = Field(0.3, ge=0.0, lt=1.0, description="Dropout (embeddings, blocks).")
    item_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of input items hidden (replaced by padding) in training: a "
        "regulariser against memorising each user's exact sequence.",
    )
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
    clip_grad: float | None = Field(1.0, description="Gradient norm clip (null: none).")
    lr_schedule: Literal["cosine", "constant"] = Field(
        "cosine",
        description="cosine: linear warm-up, then a half cosine down to lr_floor at the last "
        "planned step (the epoch cap, or what fits the time budget); constant: lr after the "
        "warm-up.",
    )
    warmup: float = Field(
        0.05, ge=0.0, lt=1.0, description="Share of the planned steps spent warming up."
    )
    lr_floor: float = Field(
        0.05, ge=0.0, le=1.0, description="cosine: final learning rate as a share of lr."
    )


def digest(*arrays: np.ndarray, extra: str = "") -> str:
    """sha256 over array shapes and bytes (and ``extra``): a fingerprint of training inputs."""
    h = hashlib.sha256(extra.encode())
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


#: dtypes a state keeps as stored (quantized students); everything else is saved as float32
STORED_SMALL = (torch.int8, torch.float16)


class SequentialModel(Recommender):
    """The contract for a network over histories; subclasses provide ``build_net``.

    ``score`` reads the last ``max_len`` items of each history (the user index
    is not used, so a history given at request time works the same); an empty
    history is answered by the learned begin-of-sequence query, trained to
    predict a user's first item (a popularity-like ranking).

    Attributes:
        net: the network, on the device it was trained on.
        members: every trained network (more than one for an ensemble).
        report: what training did (epochs, best epoch, times), after ``fit``.
    """

    Config: ClassVar[type[ModelConfig]]
    config: SeqTrainConfig
    distillable = True

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self.net: SeqNet | None = None
        self.members: list[SeqNet] = []
        self.report: TrainReport | None = None
        self.reports: list[TrainReport] = []

    # -- what a model adds ---------------------------------------------------
    @abstractmethod
    def build_net(
        self,
        n_items: int,
        text: torch.Tensor | None = None,
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> SeqNet:
        """A fresh network over ``n_items`` items (``text``: ``I x E`` item text, if used;
        ``image``: ``(I x F vectors, [I] bool has-image)``, if used)."""

    def n_members(self) -> int:
        """Networks trained with seeds ``seed, seed + 1, ...`` (an ensemble when > 1)."""
        return 1

    def load_text(self, data: TrainData, options: FitOptions) -> np.ndarray | None:
        """Item text embeddings ``I x E`` for the network (None: the model uses no text)."""
        return None

    def load_image(
        self, data: TrainData, options: FitOptions
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Item image embeddings ``(I x F, [I] bool usable)`` (None: the model uses none)."""
        return None

    # -- the contract --------------------------------------------------------
    def _fit(self, data: TrainData, options: FitOptions) -> None:
        """Train on ``data`` with the shared loop (early stopping on ``options.validate``).

        With several members, member ``k`` trains with seed ``seed + k`` (its
        checkpoints under ``out_dir/member{k}``) and early-stops on its own
        validation, which scores that member alone (:class:`TrainingView`);
        the fitted model scores with all members.
        """
        cfg = self.config
        if self.n_items == 0:
            raise ConfigError(f"{self.kind}: the training data has no items")
        windows = make_windows(data.interactions.item, data.indptr, cfg.max_len, cfg.extra_windows)
        counts = data.interactions.item_counts()
        text: np.ndarray | None = None
        image: tuple[np.ndarray, np.ndarray] | None = None
        self.members, self.reports = [], []
        n = self.n_members()
        for k in range(n):
            opts, name = options, self.kind
            if n > 1:
                out = options.out_dir / f"member{k}" if options.out_dir is not None else None
                left = options.seconds_left()  # the members share what is left, in turn
                deadline = None if left is None else time.monotonic() + left / (n - k)
                opts = replace(options, seed=options.seed + k, out_dir=out, deadline=deadline)
                name = f"{self.kind} {k + 1}/{n}"
            with TrainSession(opts, name=name) as session:
                if k == 0:
                    text = self.load_text(data, options)
                    image = self.load_image(data, options)
                seed_torch(opts.seed)
                text_t = torch.from_numpy(text) if text is not None else None
                image_t = None
                if image is not None:
                    image_t = (torch.from_numpy(image[0]), torch.from_numpy(image[1]))
                self.net = self.build_net(self.n_items, text_t, image_t).to(session.device)
                trainer: EpochTrainer = SeqTrainer(
                    self, windows, counts, session.device, text, image
                )
                if options.distill is not None:
                    trainer = options.distill(trainer, data)
                validate = options.bound_validation(TrainingView(self, self.net))
                report = session.fit(trainer, validate, epochs=cfg.epochs, patience=cfg.patience)
            self.members.append(self.net)
            self.reports.append(report)
        self.net, self.report = self.members[0], self.reports[-1]

    def require_net(self) -> SeqNet:
        if self.net is None:
            raise RuntimeError(f"{self.kind}: the model is not fitted")
        return self.net

    def networks(self) -> list[SeqNet]:
        """The networks :meth:`score` runs, as torch modules (every ensemble member;
        quantized weights stay quantized): what an ONNX export traces."""
        return self.members or [self.require_net()]

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores for each row's last ``max_len`` items.

        One network: the logits ``q(history) . item``. Several members: the mean
        of their log-probabilities (log of the geometric mean, also logits).
        Rows are run in length-sorted chunks, each padded to its own longest row.
        """
        net = self.require_net()
        return score_networks(self.members or [net], batch, self.config.max_len, self.n_items)

    # -- artifacts -----------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """The network's weights in serving form (a plain item table ``items.ids``, I x D).

        Several members prefix each member's arrays with ``member{k}.``.
        """
        nets = self.members or [self.require_net()]
        out: dict[str, np.ndarray] = {}
        for k, net in enumerate(nets):
            net.freeze_items()  # fitted nets are frozen in finalize; be safe
            prefix = f"member{k}." if len(nets) > 1 else ""
            for name, v in net.state_dict().items():
                t = v.detach().cpu()
                if t.dtype not in STORED_SMALL:  # quantized buffers stay as they are
                    t = t.float()
                out[prefix + name] = t.numpy().copy()
        return out

    def serving_net(self) -> SeqNet:
        """An empty network of the serving form, for :meth:`load_state` to fill."""
        return self.build_net(self.n_items)

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        k = self.n_members()
        self.members = []
        for m in range(k):
            prefix = f"member{m}." if k > 1 else ""
            net = self.serving_net()
            arrays = {n[len(prefix) :]: v for n, v in state.items() if n.startswith(prefix)}
            net.load_state_dict({n: torch.from_numpy(np.array(v)) for n, v in arrays.items()})
            self.members.append(net.eval())
        self.net = self.members[0]


class TrainingView:
    """What validation scores while one network of ``model`` trains: that network alone,
    through the torch path (it may sit on an accelerator), whatever the model's own
    serving path (an ensemble's other members, a numpy kernel) would do."""

    def __init__(self, model: SequentialModel, net: SeqNet) -> None:
        self.model, self.net = model, net
        self.n_items = model.n_items

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 logits of the training network."""
        return score_networks([self.net], batch, self.model.config.max_len, self.n_items)


def score_networks(
    nets: list[SeqNet], batch: Histories, max_len: int, n_items: int
) -> np.ndarray:
    """``B x I`` float32 scores of ``nets`` for each row's last ``max_len`` items.

    One network: the logits ``q(history) . item``. Several: the mean of their
    log-probabilities (log of the geometric mean, also logits). Rows are run in
    length-sorted chunks, each padded to its own longest row.
    """
    out = np.empty((len(batch), n_items), dtype=np.float32)
    if len(batch) == 0:
        return out
    net = nets[0]
    x, last = history_batch(batch.indptr, batch.items, max_len, net.pad, net.bos_id, n_items)
    order = np.argsort(last.numpy(), kind="stable")
    with eval_mode(nets), torch.inference_mode():
        tables = [m.items() for m in nets]
        for c in range(0, len(order), SCORE_CHUNK):
            rows = torch.from_numpy(order[c : c + SCORE_CHUNK])
            pos = last[rows]
            xc = x[rows, : int(pos.max()) + 1]
            parts = [query_logits(m, t, xc, pos) for m, t in zip(nets, tables, strict=True)]
            out[rows.numpy()] = ensemble_logits(parts).numpy()
    return out


def query_logits(
    net: SeqNet, table: torch.Tensor, x: torch.Tensor, pos: torch.Tensor
) -> torch.Tensor:
    """``B x I`` float32 CPU logits at positions ``pos`` of inputs ``x`` (``B x T``)."""
    device = table.device
    q = net.query(net.embed(x.to(device), table), pos.to(device))
    return (q @ table.T).float().cpu()


class SeqTrainer(EpochTrainer):
    """The step of every sequential model: bucketed windows, full or sampled softmax.

    ``module(inputs)`` returns ``(hidden B x T x D, items I x D)``. It is a
    :class:`~recdistill.train.StudentTrainer`: a distillation wrapper reuses
    :meth:`positions`, :meth:`position_loss` and :attr:`optimizer`.
    """

    def __init__(
        self,
        model: SequentialModel,
        windows: Windows,
        item_counts: np.ndarray,
        device: torch.device,
        text: np.ndarray | None = None,
        image: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        cfg = model.config
        self.config, self.windows, self.device = cfg, windows, device
        self.model = model
        net = model.require_net()
        self.module = net
        self.n_items = net.n_items
        self.epochs = cfg.epochs
        self.max_grad_norm = cfg.clip_grad
        self.ema_decay = cfg.ema or None
        self.lr_schedule, self.warmup, self.lr_floor = cfg.lr_schedule, cfg.warmup, cfg.lr_floor
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
        self._fingerprint = digest(
            windows.items,
            windows.start,
            windows.length,
            text if text is not None else np.zeros(0, dtype=np.float32),
            *(image if image is not None else ()),
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
        inputs = self.hide_items(b.inputs)
        if self.config.loss == "full":
            hidden, table = module(inputs)
            # N x I logits of real positions only, in cache-sized chunks (never all at once)
            loss = fused_softmax_ce(
                hidden[mask], table, targets, label_smoothing=self.config.label_smoothing
            )
        else:
            loss = self.sampled_loss(module, inputs, mask, targets)
        if dist.is_distributed():  # weight every real position alike across ranks
            loss = loss * dist.global_mean_scale(mask.sum())
        return loss, batch.sequences

    def positions(self, module: nn.Module, batch: SeqBatch) -> Positions:
        """The batch's real positions (:class:`~recdistill.train.Positions`).

        ``index`` is each position's offset in the flat training item array
        (``windows.items``), the key of the teacher's cached outputs.
        """
        b = batch.to(self.device)
        mask = b.targets != IGNORE
        hidden, table = module(self.hide_items(b.inputs))
        return Positions(hidden[mask], table, b.targets[mask], b.index[mask])

    def position_loss(
        self,
        module: nn.Module,
        batch: SeqBatch,
        positions: Positions,
        logits: torch.Tensor | None = None,
        lse: torch.Tensor | None = None,
        negatives: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``N``: this model's own loss at each position (``loss: full`` or ``sampled``).

        ``full``: cross-entropy over the catalogue with ``label_smoothing`` (from
        ``logits`` ``N x I`` when given, and from their logsumexp ``lse`` when the
        caller has it too: ``lse - s_target``, smoothed); ``sampled``: the
        logQ-corrected sampled softmax against ``n_negatives`` items drawn for this
        batch (or the caller's ``negatives``), scored with ``positions.items``.
        """
        cfg = self.config
        targets = positions.targets
        if cfg.loss == "sampled":
            negs = self.draw_negatives() if negatives is None else negatives
            h, rows = positions.queries, positions.items[torch.cat([targets, negs])]
            sampled = self.sampled_logits(h, rows, targets, negs)
            zero = torch.zeros(targets.shape[0], dtype=torch.long, device=self.device)
            return F.cross_entropy(sampled, zero, reduction="none")
        if logits is None:
            logits = positions.queries @ positions.items.T
        if lse is not None:
            nll = lse - logits.gather(1, targets[:, None])[:, 0].float()
            eps = cfg.label_smoothing
            return nll if not eps else (1 - eps) * nll + eps * (lse - logits.float().mean(dim=1))
        return F.cross_entropy(
            logits.float(), targets, reduction="none", label_smoothing=cfg.label_smoothing
        )

    def hide_items(self, inputs: torch.Tensor) -> torch.Tensor:
        """Replace a random ``item_dropout`` share of input items (``B x T``) by padding."""
        p = self.config.item_dropout
        if not p:
            return inputs
        hide = (torch.rand(inputs.shape, device=inputs.device) < p) & (inputs < self.n_items)
        return inputs.masked_fill(hide, self.n_items)

    def sampled_loss(
        self, module: nn.Module, inputs: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor
    ) -> torch.Tensor:
        """logQ-corrected sampled softmax: the positive against ``n_negatives`` shared ones."""
        negs = self.draw_negatives()
        hidden, rows = module(inputs, torch.cat([targets, negs]))
        logits = self.sampled_logits(hidden[mask], rows, targets, negs)
        zero = torch.zeros(targets.shape[0], dtype=torch.long, device=self.device)
        return F.cross_entropy(logits, zero)

    def draw_negatives(self) -> torch.Tensor:
        """``n_negatives`` item ids shared by the batch (uniform or by training counts)."""
        k = self.config.n_negatives
        if self.config.negative_sampling == "uniform":
            return torch.randint(0, self.n_items, (k,), device=self.device)
        return torch.multinomial(self.sample_p, k, replacement=True)

    def sampled_logits(
        self, h: torch.Tensor, rows: torch.Tensor, targets: torch.Tensor, negs: torch.Tensor
    ) -> torch.Tensor:
        """``N x (1 + K)`` float32 logQ-corrected logits: the target first, then the negatives.

        ``h``: ``N x D`` queries; ``rows``: the vectors of ``targets`` then ``negs``.
        A negative equal to the row's target is masked out.
        """
        n = targets.shape[0]
        pos = (h * rows[:n]).sum(-1, keepdim=True) - self.log_q[targets][:, None]
        neg = h @ rows[n:].T - self.log_q[negs][None, :]  # N x K
        neg = neg.masked_fill(negs[None, :] == targets[:, None], float("-inf"))
        return torch.cat([pos, neg], dim=1).float()

    def finalize(self) -> None:
        """Bake any text projection and gate into a plain item table (the serving form)."""
        self.model.require_net().freeze_items()

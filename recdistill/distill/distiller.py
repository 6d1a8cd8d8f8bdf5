"""The distiller: a student's own training step plus the teacher's knowledge.

:class:`Distillation` is the teacher handle a student receives through
``FitOptions.distill``. When the student builds its trainer (any
:class:`~recdistill.train.StudentTrainer`, such as the shared sequential step),
the handle wraps it in a :class:`KDTrainer`, whose loss per batch is::

    q, items  = trainer.positions(batch)     N real positions x D, I x D
    s         = q @ items.T                  N x I student logits
    L_true,n  = trainer.position_loss(...)   the student's own loss per position
                                             (its full or sampled softmax, its
                                             label smoothing)
    teacher   = cache rows of the positions (offline), or the teacher run on
                the same inputs (online: exact logits and its representation)
    loss      = KDMixer(L_true, KDInputs(s, targets, teacher, seen, ...))

**The sampled form.** On a large catalogue (a student trained with the
logQ-corrected sampled softmax, the default above 20,000 items) the ``N x I``
logits would be most of every step: on a 45,674-item catalogue a d=16
two-tower's distilled step took 26x its scratch step. When the teacher's
outputs are cached and every method of the recipe reads only the student's
logits of the teacher's top-``M`` and its logsumexp (listwise, the default
recipe), the distiller scores just those ``N x M`` items and ``K`` negatives
shared by the batch (the student's own ``n_negatives``, drawn by its
``negative_sampling``), and estimates the logsumexp and the rest mass by
importance sampling (:func:`sampled_student`). Other recipes keep the full
logits.

The mixer (:mod:`recdistill.distill.mixer`) combines the configured methods
with their weights, the ``alpha`` schedule and adaptive per-example weights.
Everything the methods own (DE experts, hint projections) trains with the
student and is dropped afterwards: the student's artifact holds only its own
network, so nothing of the teacher reaches serving.

The training loop is the same as for every model (early stopping on the
student's validation NDCG@10, checkpoints, resume): the mixer's schedule state
travels in the checkpoint.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from recdistill.data.views import TrainData
from recdistill.distill.base import KDInputs
from recdistill.distill.mixer import KDMixer, KDMixerConfig, parse_recipe
from recdistill.distill.teacher_cache import (
    TeacherCache,
    history_mask,
    member_logits,
    teacher_hidden,
)
from recdistill.errors import ConfigError
from recdistill.models._sasrec_net import SeqNet, eval_mode
from recdistill.models._seqmodel import SeqTrainer, SequentialModel
from recdistill.models._sequences import IGNORE, SeqBatch
from recdistill.train.trainer import EpochContext, EpochTrainer, Positions, StudentTrainer

log = logging.getLogger("recdistill.distill")

#: entries of one chunk of ``positions x items`` arrays on a CPU (the losses keep several
#: such arrays alive: logits, log-probabilities, masks)
CPU_CHUNK_ENTRIES = 1 << 21


def chunk_rows(device: torch.device, n_items: int) -> int:
    """Positions per chunk of a distillation batch: cache-sized on a CPU, larger on a GPU.

    ``n_items``: the entries one position needs (the catalogue, or in the sampled
    form the larger of its negatives plus top-M and its top-M item vectors).
    """
    entries = CPU_CHUNK_ENTRIES if device.type == "cpu" else 1 << 24
    return max(16, entries // max(n_items, 1))


def in_rows(ids: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """``N x K`` bool: whether ``items[k]`` is among row ``n`` of ``ids`` (``N x M``)."""
    ordered = ids.sort(dim=1).values
    probe = items[None, :].expand(ids.shape[0], -1).contiguous()
    at = torch.searchsorted(ordered, probe).clamp(max=ordered.shape[1] - 1)
    return ordered.gather(1, at) == probe


def sampled_student(
    q: torch.Tensor,
    items: torch.Tensor,
    top_ids: torch.Tensor,
    negatives: torch.Tensor,
    log_q: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The student's side of the sampled form, without any ``N x I`` array.

    Returns ``(top logits N x M, logsumexp N, log rest mass N)``: its logits of
    the teacher's top-``M`` (exact) and an importance-sampled estimate of the
    rest of the catalogue from ``K`` shared negatives drawn with probabilities
    ``exp(log_q)``: ``sum_{j not in top} e^{s_j} ~ (1/K) sum_k e^{s_k} / q_k``
    over the draws outside the row's top-``M`` (unbiased for the sum; the
    logQ-corrected sampled softmax's estimate of the same normaliser).
    """
    s_top = torch.einsum("nd,nmd->nm", q, items[top_ids]).float()
    s_neg = (q @ items[negatives].T).float() - log_q[negatives][None, :]
    s_neg = s_neg.masked_fill(in_rows(top_ids, negatives), float("-inf"))
    log_rest = torch.logsumexp(s_neg, dim=1) - math.log(negatives.shape[0])
    lse = torch.logaddexp(torch.logsumexp(s_top, dim=1), log_rest)
    return s_top, lse, log_rest - lse


def _add_grads(accs: Sequence[torch.Tensor], got: Sequence[torch.Tensor | None]) -> None:
    """Add each gradient autograd returned (None: unused) to its accumulator."""
    for acc, g in zip(accs, got, strict=True):
        if g is not None:
            acc.add_(g)


class KDModule(nn.Module):
    """The student network and the mixer (its methods' training-only parameters) together,
    so checkpoints, the best-epoch snapshot and the optimizer see both."""

    def __init__(self, student: nn.Module, mixer: KDMixer) -> None:
        super().__init__()
        self.student = student
        self.mixer = mixer

    def forward(
        self, x: torch.Tensor, cand: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out: tuple[torch.Tensor, torch.Tensor] = self.student(x, cand)
        return out


@dataclass
class Distillation:
    """The teacher handle (``FitOptions.distill``): a mixer config and the teacher's outputs.

    Attributes:
        mixer: the recipe, a :class:`~recdistill.distill.mixer.KDMixerConfig` (or a
            dict validated into one: ``methods``, ``weights``, ``alpha``, ...).
        teacher: the fitted teacher (online outputs and representations).
        cache: the teacher's top-``M`` per position (offline); None: online.
        top_m: ``M`` used online (the cache's own ``M`` otherwise).
    """

    mixer: KDMixerConfig | dict[str, Any]
    teacher: SequentialModel
    cache: TeacherCache | None = None
    top_m: int = 100

    def __post_init__(self) -> None:
        self.mixer = parse_recipe(self.mixer)

    @property
    def recipe(self) -> KDMixerConfig:
        """The validated recipe."""
        assert isinstance(self.mixer, KDMixerConfig)
        return self.mixer

    @property
    def source(self) -> Literal["cache", "online"]:
        return "cache" if self.cache is not None else "online"

    def __call__(self, trainer: EpochTrainer, data: TrainData) -> EpochTrainer:
        if not isinstance(trainer, StudentTrainer):
            raise ConfigError(
                f"distillation: the student's trainer ({type(trainer).__name__}) offers no "
                "positions and per-position loss (recdistill.train.StudentTrainer)"
            )
        return KDTrainer(trainer, self, data)


class KDTrainer(EpochTrainer):
    """Wraps a student's :class:`~recdistill.train.StudentTrainer`; see the module
    docstring for the loss."""

    def __init__(self, base: StudentTrainer, handle: Distillation, data: TrainData) -> None:
        self.base, self.handle, self.data = base, handle, data
        student = base.module
        teacher_net = handle.teacher.require_net()
        if not isinstance(student, SeqNet):
            raise ConfigError(
                f"distillation: the student's network ({type(student).__name__}) does not read "
                "histories as the teacher does (a recdistill SeqNet)"
            )
        self.student: SeqNet = student
        student_dim, teacher_dim = student.d, teacher_net.d
        self.mixer = KDMixer.from_config(
            handle.recipe, student_dim=student_dim, teacher_dim=teacher_dim, n_items=data.n_items
        ).to(base.device)
        if teacher_net.n_items != data.n_items:
            raise ConfigError(
                f"distillation: the teacher knows {teacher_net.n_items} items, "
                f"the student's data {data.n_items}"
            )
        need = self.mixer.teacher_top_needed
        self.online = handle.cache is None or self.mixer.uses_repr
        if handle.cache is not None and self.mixer.uses_repr:
            log.info("%s reads representations: the teacher runs online", self.mixer.kd_name)
        if not self.online:
            cache = handle.cache
            assert cache is not None
            if cache.m < need:
                raise ConfigError(
                    f"distillation '{self.mixer.kd_name}' needs the teacher's top-{need}; "
                    f"the cache holds top-{cache.m} (raise distill.top_m)"
                )
            if cache.n_positions != len(data.interactions):
                raise ConfigError("distillation: the teacher cache was built for other data")
        elif student.max_len > teacher_net.max_len:
            raise ConfigError(
                f"distillation online: the student's max_len {student.max_len} exceeds "
                f"the teacher's {teacher_net.max_len}"
            )
        # every cached column is used: listwise and soft labels gain from a longer top-M
        cached = 0 if handle.cache is None else handle.cache.m
        self.top_m = max(need, handle.top_m) if self.online else cached
        self.teacher_net = teacher_net
        self.sampled = (
            not self.online
            and isinstance(base, SeqTrainer)
            and base.config.loss == "sampled"
            and self.mixer.reads_top_only
            and not handle.recipe.uses_seen()
        )
        if self.sampled:
            log.info(
                "%s: the sampled form (the student's top-M logits and a sampled logsumexp; "
                "no batch x catalogue array)", self.mixer.kd_name,
            )  # fmt: skip
        # The fused full form: a full-softmax student and a recipe that reads only its
        # top-M logits and logsumexp from a cache; the logits' gradient is formed in
        # closed form per chunk instead of by autograd over chunk x I arrays.
        self.fused = (
            not self.online
            and not self.sampled
            and isinstance(base, SeqTrainer)
            and base.config.loss == "full"
            and self.mixer.reads_top_only
            and not handle.recipe.uses_seen()
            and self.top_m < data.n_items
        )
        self.module = KDModule(student, self.mixer)
        self.optimizer = base.optimizer
        extra = [p for p in self.mixer.parameters() if p.requires_grad]
        if extra:
            self.optimizer.add_param_group({"params": extra, "weight_decay": 0.0})
        self.max_grad_norm = base.max_grad_norm
        self.ema_decay = base.ema_decay
        self.lr_schedule, self.warmup, self.lr_floor = base.lr_schedule, base.warmup, base.lr_floor
        counts = data.interactions.item_counts().astype(np.float32)
        self.popularity = torch.from_numpy(counts).to(base.device)
        self.epochs = base.epochs
        self._components: dict[str, float] = {}
        self._batches = 0

    def fingerprint(self) -> str:
        extra: dict[str, Any] = {
            "mixer": self.handle.recipe.model_dump(mode="json"),
            "source": self.handle.source,
        }
        if self.handle.cache is not None:
            extra["cache"] = self.handle.cache.key
        return f"{self.base.fingerprint()}|kd={json.dumps(extra, sort_keys=True)}"

    def batches(self, ctx: EpochContext) -> Sequence[Any]:
        return self.base.batches(ctx)

    def train_epoch(self, ctx: EpochContext) -> dict[str, float]:
        self.mixer.set_epoch(ctx.epoch, self.epochs)
        self._components, self._batches = {}, 0
        stats = super().train_epoch(ctx)
        means = {k: v / max(self._batches, 1) for k, v in self._components.items()}
        return {**means, **stats}

    def on_validation(self, value: float | None) -> None:
        if value is not None:
            self.mixer.on_validation(value)

    def loss(self, module: nn.Module, batch: SeqBatch) -> tuple[torch.Tensor, int]:
        """The mixed loss of one batch, computed over chunks of its positions.

        The student's network runs once; the ``chunk x I`` logits, history masks,
        teacher outputs and losses of each chunk of positions are made, reduced and
        differentiated one chunk at a time (:func:`chunk_rows`), so no ``N x I``
        array exists for the batch. The gradients reach the network through one
        surrogate term; the value returned is the batch's loss.
        """
        base = self.base
        pos = base.positions(self.student, batch)
        leaves = [pos.queries.detach().requires_grad_(), pos.items.detach().requires_grad_()]
        extra = [p for p in self.mixer.parameters() if p.requires_grad]
        grads = [torch.zeros_like(t) for t in (*leaves, *extra)]
        teacher = self._teacher_hidden(batch) if self.online else None
        n = int(pos.targets.shape[0])
        total = torch.zeros((), device=pos.queries.device)
        parts_sum: dict[str, float] = {}
        negatives = None
        if self.sampled:
            assert isinstance(self.base, SeqTrainer)
            negatives = self.base.draw_negatives()
            m, d = self.top_m, int(pos.items.shape[1])
            step = chunk_rows(pos.queries.device, max(len(negatives) + m, m * d))
        else:
            step = chunk_rows(pos.queries.device, self.data.n_items)
        for start in range(0, n, step):
            rows = slice(start, min(n, start + step))
            share = (rows.stop - rows.start) / n
            if self.fused:  # adds its own gradients to ``grads``
                loss_c, parts = self._fused_chunk(pos, leaves, rows, share, grads, extra)
            else:
                with torch.enable_grad():
                    if negatives is not None:
                        loss_c, parts = self._sampled_chunk_loss(
                            batch, pos, leaves, rows, negatives
                        )
                    else:
                        loss_c, parts = self._chunk_loss(batch, pos, leaves, rows, teacher)
                    got = torch.autograd.grad(
                        loss_c * share, [*leaves, *extra], allow_unused=True
                    )
                _add_grads(grads, got)
            total = total + loss_c.detach() * share
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + float(v) * share
        for k, v in parts_sum.items():
            self._components[k] = self._components.get(k, 0.0) + v
        self._batches += 1
        tied = [pos.queries, pos.items, *extra]
        surrogate = sum((t * g).sum() for t, g in zip(tied, grads, strict=True))
        assert isinstance(surrogate, torch.Tensor)
        return total + surrogate - surrogate.detach(), batch.sequences

    def _fused_chunk(
        self,
        pos: Positions,
        leaves: list[torch.Tensor],
        rows: slice,
        share: float,
        grads: list[torch.Tensor],
        extra: Sequence[torch.Tensor],
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The fused full form of positions ``rows``: loss, and gradients added to ``grads``.

        The mixed loss reads the chunk's ``c x I`` logits ``s`` only through their
        logsumexp, the target's logit and the teacher's top-``M`` logits (the
        student's own cross-entropy and a top-only recipe), so autograd runs on those
        ``c x (M + 2)`` values alone and ``dL/ds = g_lse * softmax(s) + g_top (at the
        top-M) + g_target (at the target)`` follows in one pass over the logits,
        which are then folded into ``dL/dq = G W`` and ``dL/dW = G^T q`` as in
        :func:`~recdistill.models._softmax.fused_softmax_ce`. Same loss and
        gradients as the autograd form (tests), without its ``c x I`` graph.
        """
        assert isinstance(self.base, SeqTrainer)
        q, items = leaves[0].detach()[rows], leaves[1].detach()
        targets, index = pos.targets[rows], pos.index[rows]
        inp = self._cached_inputs(index, targets, student_logits=None, catalogue=self.data.n_items)
        top_ids = inp.teacher_top_ids
        with torch.no_grad():
            logits = (q @ items.T).float()  # c x I, the only array of that size
            lse = torch.logsumexp(logits, dim=1)
            s_top = logits.gather(1, top_ids)
            s_tgt = logits.gather(1, targets[:, None])[:, 0]
        lse_v, top_v, tgt_v = (t.requires_grad_() for t in (lse, s_top, s_tgt))
        eps = self.base.config.label_smoothing
        wrt, accs = [*extra], grads[2:]  # autograd's other inputs and their accumulators
        with torch.enable_grad():
            l_true = lse_v - tgt_v
            if eps:  # mean_j s_j = q . mean(W): linear, so autograd takes it directly
                q_l = leaves[0][rows]
                mean_s = (q_l @ leaves[1].mean(dim=0).to(q_l.dtype)).float()
                l_true = (1 - eps) * l_true + eps * (lse_v - mean_s)
                wrt, accs = [*wrt, *leaves], [*accs, *grads[:2]]
            inp.student_top_logits, inp.student_logsumexp = top_v, lse_v
            loss_c, parts = self.mixer(l_true, inp)
            got = torch.autograd.grad(loss_c * share, [lse_v, top_v, tgt_v, *wrt],
                                      allow_unused=True)  # fmt: skip
        g_lse, g_top, g_tgt = got[:3]
        with torch.no_grad():
            g = logits.sub_(lse[:, None]).exp_()  # softmax, in place
            if g_lse is None:
                g.zero_()
            else:
                g.mul_(g_lse[:, None])
            if g_top is not None:
                g.scatter_add_(1, top_ids, g_top)
            if g_tgt is not None:
                g.scatter_add_(1, targets[:, None], g_tgt[:, None])
            grads[0][rows] += (g @ items.to(g.dtype)).to(grads[0].dtype)
            grads[1] += (g.T @ q.to(g.dtype)).to(grads[1].dtype)
        _add_grads(accs, got[3:])
        return loss_c, parts

    def _chunk_loss(
        self,
        batch: SeqBatch,
        pos: Positions,
        leaves: list[torch.Tensor],
        rows: slice,
        teacher: list[torch.Tensor] | None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The mixer's loss (mean over the chunk) of positions ``rows``."""
        q, items = leaves[0][rows], leaves[1]
        targets, index = pos.targets[rows], pos.index[rows]
        logits = q @ items.T  # chunk x I
        chunk = Positions(q, items, targets, index)
        lse = torch.logsumexp(logits.float(), dim=1)  # shared by the student's loss and KD
        l_true = self.base.position_loss(self.student, batch, chunk, logits, lse)
        seen = None
        if self.handle.recipe.uses_seen():
            seen_np = history_mask(
                index.cpu().numpy(), self.data.interactions.item, self.data.indptr,
                self.data.n_items,
            )  # fmt: skip
            seen = torch.from_numpy(seen_np).to(logits.device)
        if teacher is not None:
            inp = self.online_inputs(teacher, rows, logits, targets, seen, q)
            inp.student_logsumexp = lse
        else:
            inp = self._cached_inputs(index, targets, student_logits=logits, seen=seen)
            inp.student_logsumexp = lse
        return self.mixer(l_true, inp)

    def _cached_inputs(self, index: torch.Tensor, targets: torch.Tensor, **fields: Any) -> KDInputs:
        """:class:`KDInputs` of positions ``index`` from the teacher cache, the student's
        side in ``fields``."""
        cache = self.handle.cache
        assert cache is not None
        ids, top_logits, t_lse = cache.lookup(index)
        return KDInputs(
            targets=targets,
            teacher_top_ids=ids,
            teacher_top_logits=top_logits,
            teacher_logsumexp=t_lse,
            item_popularity=self.popularity,
            **fields,
        )

    def _sampled_chunk_loss(
        self,
        batch: SeqBatch,
        pos: Positions,
        leaves: list[torch.Tensor],
        rows: slice,
        negatives: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The mixer's loss of positions ``rows`` in the sampled form (module docstring)."""
        assert isinstance(self.base, SeqTrainer)
        q, items = leaves[0][rows], leaves[1]
        targets, index = pos.targets[rows], pos.index[rows]
        chunk = Positions(q, items, targets, index)
        # the student's own sampled loss reads the same negatives as the estimate below
        l_true = self.base.position_loss(self.student, batch, chunk, negatives=negatives)
        inp = self._cached_inputs(index, targets, student_logits=None, catalogue=self.data.n_items)
        s_top, lse, log_rest = sampled_student(
            q, items, inp.teacher_top_ids, negatives, self.base.log_q
        )
        inp.student_top_logits, inp.student_logsumexp, inp.student_log_rest = s_top, lse, log_rest
        return self.mixer(l_true, inp)

    @torch.no_grad()
    def _teacher_hidden(self, batch: SeqBatch) -> list[torch.Tensor]:
        """The online teacher's hidden states at the batch's real positions, per member."""
        with eval_mode(self._nets):
            mask = batch.targets != IGNORE
            return teacher_hidden(self._members(), batch.inputs, mask)

    @property
    def _nets(self) -> list[SeqNet]:
        return self.handle.teacher.members or [self.teacher_net]

    def _members(self) -> list[tuple[SeqNet, torch.Tensor]]:
        return [(net, net.items()) for net in self._nets]

    @torch.no_grad()
    def online_inputs(
        self,
        hidden: list[torch.Tensor],
        rows: slice,
        logits: torch.Tensor,
        targets: torch.Tensor,
        seen: torch.Tensor | None,
        student_repr: torch.Tensor,
    ) -> KDInputs:
        """The teacher's exact outputs for positions ``rows`` (an ensemble's mean
        log-probabilities) and its first network's queries there."""
        with eval_mode(self._nets):
            t_logits = member_logits(self._members(), hidden, rows).to(logits.device)
        extra: dict[str, Any] = {"item_popularity": self.popularity}
        if self.mixer.uses_repr:
            extra["student_repr"] = student_repr
            extra["teacher_repr"] = hidden[0][rows].to(logits.device)
        return KDInputs.from_teacher_logits(
            logits, targets, t_logits, self.top_m, seen=seen, keep_full=True, **extra
        )

    def finalize(self) -> None:
        self.base.finalize()

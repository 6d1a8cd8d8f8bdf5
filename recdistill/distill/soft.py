"""Soft labels as binary cross-entropy (Hinton et al., 2015, "Distilling the Knowledge
in a Neural Network"; the classic recipe for recommenders).

For position ``n`` the item set ``S_n`` is the teacher's top-``M`` plus
``n_negatives`` items sampled uniformly (with replacement) among the other
items, skipping the history (``seen``), the target and items the student scores
``-inf``. With temperature ``T``::

    L_n = T^2 / |S_n| * sum_{j in S_n} BCE(sigma(s_j / T), sigma(t_j / T))

``BCE(p, q) = -[q log p + (1 - q) log(1 - p)]``; the ``T^2`` keeps the gradient's
scale as ``T`` grows (as for the softmax KL). The loss includes the targets'
entropy, so it is not 0 at a perfect match; its gradient is.

Teacher score of a sampled negative: the true logit when ``teacher_logits`` is
given (online teacher). From a top-``M`` cache the logit is unknown; we use
``cached_negative="tail_mean"`` (default): ``lse + log(rest / (I - M))``, the
logit of the *average* teacher probability outside the top-``M`` (``rest = 1 -
sum of top-M probabilities``, exact from the logsumexp), the expected teacher
probability of a uniformly sampled tail item; or ``"bound"``:
``lse + log(rest)``, an upper bound. Both are capped at the ``M``-th logit.

``teacher_score="logprob"`` uses ``t - lse`` (log-probabilities) instead of
raw logits, for teachers trained with softmax cross-entropy whose logits have
an arbitrary offset; then ``sigma(t)`` is close to the teacher's probability.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from recdistill.distill._ops import sample_outside_top, teacher_tail_logit
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, register


class SoftConfig(MethodConfig):
    """Soft-label BCE parameters."""

    kind: Literal["soft"] = "soft"

    temperature: float = Field(1.0, gt=0, description="T: divides both logits")
    n_negatives: int = Field(50, ge=0, description="uniform negatives beside the top-M")
    teacher_score: Literal["logit", "logprob"] = Field(
        "logit", description="raw teacher logits, or log-probabilities t - lse"
    )
    cached_negative: Literal["tail_mean", "bound"] = Field(
        "tail_mean", description="teacher logit of a sampled negative when only top-M is cached"
    )


@register
class SoftLabels(KDMethod):
    """BCE of the student against the teacher's sigmoid probabilities (top-M + negatives)."""

    name = "soft"
    Config = SoftConfig
    config: SoftConfig

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses. ``inp.student_logits`` ``N x I``; cache ``N x M``."""
        cfg, temp = self.config, self.config.temperature
        s = inp.full_logits(self.name).float()
        lse = inp.teacher_logsumexp.detach().float()
        neg_ids, valid = sample_outside_top(inp, cfg.n_negatives, generator)
        if inp.teacher_logits is not None:
            t_neg = inp.teacher_logits.detach().float().gather(1, neg_ids)
        else:
            t_neg = teacher_tail_logit(inp, cfg.cached_negative)[:, None].expand_as(neg_ids)
        ids = torch.cat([inp.teacher_top_ids, neg_ids], dim=1)
        t = torch.cat([inp.teacher_top_logits.detach().float(), t_neg], dim=1)
        if cfg.teacher_score == "logprob":
            t = t - lse[:, None]
        keep = torch.cat([torch.ones_like(inp.teacher_top_ids, dtype=torch.bool), valid], dim=1)
        bce = F.binary_cross_entropy_with_logits(
            s.gather(1, ids) / temp, torch.sigmoid(t / temp), reduction="none"
        )
        bce = torch.where(keep, bce, torch.zeros_like(bce))
        return bce.sum(dim=1) / keep.sum(dim=1) * temp**2

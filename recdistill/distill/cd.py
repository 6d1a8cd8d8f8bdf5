"""Collaborative Distillation (Lee, Choi, Lee & Shim, "Collaborative Distillation for
Top-N Recommendation", ICDM 2019).

Soft labels on a few unobserved items sampled from the teacher's ranking.
For position ``n``, ``n_samples`` items ``j`` are drawn without replacement
from the teacher's cached top-``M`` (history already removed) with probability
decreasing in the teacher's 0-based rank ``r_j``::

    P(j) ~ exp(-r_j / tau_rank)

optionally mixed with a rank-discrepancy term that favours items the student
under-ranks (``discrepancy_mix = beta``)::

    P(j) = (1 - beta) P_rank(j) + beta P_disc(j),  P_disc(j) ~ tanh(relu(mu (rank_s(j) - r_j)))

Each sampled item gets the soft target ``w_j = sigma((t_j + b) / tau)`` and::

    L_n = 1/n_samples * sum_j -[w_j log sigma(s_j) + (1 - w_j) log(1 - sigma(s_j))]

With ``n_samples >= M`` every cached item is used (no sampling). ``rank_s`` is
the student's exact rank over the catalogue (see ``rd``).
``teacher_score="logprob"`` uses ``t - lse`` for softmax-trained teachers whose
raw logits have an arbitrary offset (then pick ``b`` around ``log I``).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from recdistill.distill._ops import multinomial, student_ranks
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, register


class CDConfig(MethodConfig):
    """Collaborative Distillation parameters."""

    kind: Literal["cd"] = "cd"

    n_samples: int = Field(10, ge=1, description="items sampled per position from the top-M")
    tau_rank: float = Field(10.0, gt=0, description="sampling weight exp(-rank / tau_rank)")
    bias: float = Field(0.0, description="b in the soft target sigma((t + b) / tau)")
    tau: float = Field(1.0, gt=0, description="tau in the soft target sigma((t + b) / tau)")
    teacher_score: Literal["logit", "logprob"] = Field(
        "logit", description="raw teacher logits, or log-probabilities t - lse"
    )
    discrepancy_mix: float = Field(0.0, ge=0, le=1, description="beta: rank-discrepancy share")
    mu: float = Field(0.1, gt=0, description="sharpness of the discrepancy weight")


@register
class CollaborativeDistillation(KDMethod):
    """BCE on teacher soft targets of items sampled by teacher rank."""

    name = "cd"
    Config = CDConfig
    config: CDConfig

    @torch.no_grad()
    def sampling_probs(self, inp: KDInputs) -> Tensor:
        """``N x M`` sampling probabilities over the cached top-M (rows sum to 1)."""
        cfg = self.config
        n, m = inp.teacher_top_ids.shape
        r = torch.arange(m, device=inp.device, dtype=torch.float32)
        p = torch.softmax(-r / cfg.tau_rank, dim=0)[None, :].expand(n, -1)
        if cfg.discrepancy_mix > 0:
            rank_s = student_ranks(
                inp.full_logits(self.name), inp.teacher_top_ids, inp.seen
            ).float()
            d = torch.relu(torch.tanh(cfg.mu * (rank_s - r)))
            total = d.sum(dim=1, keepdim=True)
            d = torch.where(total > 0, d / total.clamp_min(1e-12), p)  # no discrepancy: rank
            p = (1 - cfg.discrepancy_mix) * p + cfg.discrepancy_mix * d
        return p

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses; ``inp.student_logits`` ``N x I``, teacher cache ``N x M``."""
        cfg = self.config
        if cfg.n_samples >= inp.top_m:
            cols = torch.arange(inp.top_m, device=inp.teacher_top_ids.device)
            cols = cols[None, :].expand(inp.teacher_top_ids.shape[0], -1)
        else:
            cols = multinomial(
                self.sampling_probs(inp), cfg.n_samples, generator, replacement=False
            )
        ids = inp.teacher_top_ids.gather(1, cols)
        t = inp.teacher_top_logits.detach().float().gather(1, cols)
        if cfg.teacher_score == "logprob":
            t = t - inp.teacher_logsumexp.detach().float()[:, None]
        w = torch.sigmoid((t + cfg.bias) / cfg.tau)
        s = inp.full_logits(self.name).float().gather(1, ids)
        return F.binary_cross_entropy_with_logits(s, w, reduction="none").mean(dim=1)

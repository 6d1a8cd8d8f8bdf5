"""Ranking Distillation (Tang & Wang, "Ranking Distillation: Learning Compact Ranking
Models With High Performance for Recommender System", KDD 2018).

The teacher's top-``K`` items ``pi(1) .. pi(K)`` (history already removed) are
extra positives of the student, weighted by rank::

    L_n = -sum_{r=1..K} w_r log sigma(s_{pi(r)})

- static (position importance) weight ``w^a_r ~ exp(-r / lam)``;
- dynamic (ranking discrepancy) weight ``w^b_r = relu(tanh(mu * (rank_s(pi(r)) - (r - 1))))``,
  large when the student ranks the item far below the teacher does;
- ``w_r = w^a_r * w^b_r`` (or ``w^a_r`` alone), normalised to sum to 1 per position
  (0 everywhere when every dynamic weight is 0: the student already ranks every
  item at least as high as the teacher).

``rank_s`` is the student's exact 0-based rank over the catalogue (items
scored strictly higher, history items not counted when ``seen`` is given),
computed from the full student logits; the paper (and its code) estimates it
from ~100 sampled items. Differences from the public code: its teacher top-K
keeps history items (only the targets are skipped), its hybrid weights are not
renormalised (so the distillation term fades as the student learns), and its
NDCG truncates the ideal list. The negative term of the paper's loss is the
ground-truth part, computed by the student's own loss in the mixer, not here.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from recdistill.distill._ops import student_ranks
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, register


class RDConfig(MethodConfig):
    """Ranking Distillation parameters (defaults: the public code's)."""

    kind: Literal["rd"] = "rd"

    k: int = Field(10, ge=1, description="K: teacher top-K items used as positives")
    lam: float = Field(1.0, gt=0, description="lambda: sharpness of the static rank weight")
    dynamic: bool = Field(True, description="multiply by the ranking-discrepancy weight")
    mu: float = Field(0.1, gt=0, description="sharpness of the discrepancy weight")
    dynamic_from: float = Field(
        0.0, ge=0, le=1, description="training fraction before which only static weights apply"
    )

    def teacher_top_needed(self) -> int:
        return self.k


@register
class RankingDistillation(KDMethod):
    """Rank-weighted ``-log sigma`` on the teacher's top-K items."""

    name = "rd"
    Config = RDConfig
    config: RDConfig
    progress: float = 0.0  # set by set_progress(); gates the dynamic weight

    def set_progress(self, fraction: float) -> None:
        self.progress = float(fraction)

    @torch.no_grad()
    def weights(self, inp: KDInputs) -> Tensor:
        """``N x K`` normalised weights of the teacher's top-K items (no gradient)."""
        cfg = self.config
        ranks = torch.arange(1, cfg.k + 1, device=inp.device, dtype=torch.float32)
        w = torch.exp(-ranks / cfg.lam)[None, :].expand(inp.targets.shape[0], -1)
        if cfg.dynamic and self.progress >= cfg.dynamic_from:
            rank_s = student_ranks(
                inp.full_logits(self.name), inp.teacher_top_ids[:, : cfg.k], inp.seen
            )
            w = w * torch.relu(torch.tanh(cfg.mu * (rank_s.float() - (ranks - 1.0))))
        return w / w.sum(dim=1, keepdim=True).clamp_min(1e-12)

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses; ``inp.student_logits`` ``N x I``, teacher top ids ``N x M``."""
        self.check_top(inp, "k")
        s_top = (
            inp.full_logits(self.name).float().gather(1, inp.teacher_top_ids[:, : self.config.k])
        )
        return -(self.weights(inp) * F.logsigmoid(s_top)).sum(dim=1)

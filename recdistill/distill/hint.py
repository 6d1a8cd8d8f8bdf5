"""Hint (embedding) distillation (Romero et al., "FitNets: Hints for Thin Deep Nets",
ICLR 2015).

A linear projection ``P: Ds -> Dt`` (with bias) maps the student's query
representation to the teacher's width and is regressed onto the teacher's::

    mse:     L_n = 1/Dt * || P s_repr_n - t_repr_n ||^2
    cosine:  L_n = 1 - cos(P s_repr_n, t_repr_n)

The projection exists only during training (no serving cost). DLLM2Rec and
others found plain hints can hurt a small student; weigh it by evidence and
prefer it as a small extra term beside a ranking loss.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, need_dims, need_repr, register


class HintConfig(MethodConfig):
    """Hint distillation parameters."""

    kind: Literal["hint"] = "hint"

    distance: Literal["mse", "cosine"] = Field("mse", description="regression distance")

    def uses_repr(self) -> bool:
        return True

    def uses_seen(self) -> bool:
        return False


@register
class Hint(KDMethod):
    """Linear projection of the student representation regressed onto the teacher's."""

    name = "hint"
    Config = HintConfig
    config: HintConfig

    def __init__(
        self,
        config: MethodConfig | None = None,
        *,
        student_dim: int | None = None,
        teacher_dim: int | None = None,
        n_items: int | None = None,
    ) -> None:
        super().__init__(config, student_dim=student_dim, teacher_dim=teacher_dim, n_items=n_items)
        need_dims(self.name, student_dim, teacher_dim)
        assert student_dim is not None and teacher_dim is not None
        self.projection = nn.Linear(student_dim, teacher_dim)

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses from ``student_repr`` ``N x Ds`` and ``teacher_repr`` ``N x Dt``."""
        s_repr, t_repr = need_repr(self.name, inp)
        p = self.projection(s_repr)
        if self.config.distance == "cosine":
            return 1.0 - F.cosine_similarity(p, t_repr, dim=1)
        return (p - t_repr).pow(2).mean(dim=1)

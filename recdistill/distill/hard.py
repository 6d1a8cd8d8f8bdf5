"""Hard labels: the teacher's top-``k`` items as extra positives.

For position ``n`` with teacher top-``k`` items ``i_1 .. i_k``::

    L_n = -1/k * sum_{r=1..k} log softmax(s)_{i_r}

a full-softmax cross-entropy of the student over the whole catalogue (we have
the student's full logits, so no negatives need sampling), averaged over the
``k`` pseudo-positives. Equivalently, the cross-entropy against a target
distribution that is uniform over the teacher's top-``k``: it transfers *which*
items the teacher ranks high but not its confidence or order (that is what
``soft``, ``listwise`` and ``rd`` add).

Reference: the usual "pseudo-label" baseline of the distillation literature
(e.g. the hard-label baseline of Tang & Wang, KDD 2018).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, register


class HardConfig(MethodConfig):
    """Hard-label parameters."""

    kind: Literal["hard"] = "hard"

    k: int = Field(10, ge=1, description="teacher top-k items used as positives")

    def teacher_top_needed(self) -> int:
        return self.k

    def uses_seen(self) -> bool:
        return False


@register
class HardLabels(KDMethod):
    """Mean full-softmax cross-entropy of the student on the teacher's top-k items."""

    name = "hard"
    Config = HardConfig
    config: HardConfig

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses from ``inp.student_logits`` (``N x I``) and the teacher's top-k ids."""
        self.check_top(inp, "k")
        log_p = torch.log_softmax(inp.full_logits(self.name).float(), dim=1)
        return -log_p.gather(1, inp.teacher_top_ids[:, : self.config.k]).mean(dim=1)

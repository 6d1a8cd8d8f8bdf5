"""DE-RRD (Kang, Hwang, Kweon & Yu, "DE-RRD: A Knowledge Distillation Framework for
Recommender System", CIKM 2020): Distillation Experts + Relaxed Ranking Distillation.

**DE** (needs ``student_repr`` ``N x Ds`` and ``teacher_repr`` ``N x Dt``):
``n_experts`` small MLPs ``E_e: Ds -> H -> Dt`` (``H = (Ds + Dt) // 2``, ReLU) map
the student's representation into the teacher's space; a selection network
reads the teacher's representation and picks an expert with a Gumbel-softmax
gate ``g = softmax((W t_repr + gumbel) / tau_gate)``::

    L_DE,n = || t_repr - sum_e g_e E_e(s_repr) ||^2        (squared L2, summed over Dt)

``tau_gate`` is annealed exponentially from ``gate_tau_start`` to
``gate_tau_end`` over training through :meth:`set_progress` (fixed at the start
value when the trainer never calls it), so the gate tends to a one-hot choice.
Experts and gate exist only during training: nothing is added to serving size.

**RRD**: a Plackett-Luce likelihood that the student orders the ``K``
"interesting" items (the teacher's top-``K``, in its order) and puts them above
``L`` "uninteresting" ones ``U`` (sampled uniformly with replacement outside the
cached top-``M``, or outside the top-``K`` with ``uninteresting_from="outside_top_k"``;
never history, target or ``-inf``-scored items), without ordering ``U`` among
themselves::

    L_RRD,n = -1/K sum_{k=1..K} [s_{i_k} - log(sum_{m>=k} exp(s_{i_m}) + sum_{l in U} exp(s_l))]

We take the teacher's top-``K`` directly instead of sampling the interesting
items from its top ranks: the authors later found this considerably better
(HetComp, WWW 2023). Computed with a log-cumsum-exp (the public code
exponentiates scores directly, which overflows for large logits).

``L_n = de_weight * L_DE,n + rrd_weight * L_RRD,n``. The public code's DE
weight is 0.01 against its base loss; ``L_DE`` grows with ``Dt``, so keep
``de_weight`` small (default 0.01).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
from torch import Tensor, nn

from recdistill.distill._ops import rand, sample_outside_top
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, need_dims, need_repr, register


class DERRDConfig(MethodConfig):
    """DE-RRD parameters."""

    kind: Literal["derrd"] = "derrd"

    de_weight: float = Field(0.01, ge=0, description="weight of the DE (representation) term")
    rrd_weight: float = Field(1.0, ge=0, description="weight of the RRD (ranking) term")
    k: int = Field(10, ge=1, description="K: interesting items (teacher top-K, in order)")
    n_uninteresting: int = Field(40, ge=0, description="L: uninteresting items sampled")
    uninteresting_from: Literal["outside_top_m", "outside_top_k"] = Field(
        "outside_top_m", description="where U is sampled: outside the cached top-M or the top-K"
    )
    n_experts: int = Field(5, ge=1, description="number of distillation experts")
    gate_tau_start: float = Field(1.0, gt=0, description="Gumbel-softmax temperature at start")
    gate_tau_end: float = Field(0.01, gt=0, description="... at the end of training")

    def teacher_top_needed(self) -> int:
        return self.k

    def uses_repr(self) -> bool:
        return self.de_weight > 0


@register
class DERRD(KDMethod):
    """Distillation experts on representations + relaxed ranking distillation."""

    name = "derrd"
    Config = DERRDConfig
    config: DERRDConfig
    progress: float = 0.0

    def __init__(
        self,
        config: MethodConfig | None = None,
        *,
        student_dim: int | None = None,
        teacher_dim: int | None = None,
        n_items: int | None = None,
    ) -> None:
        super().__init__(config, student_dim=student_dim, teacher_dim=teacher_dim, n_items=n_items)
        self.experts = nn.ModuleList()
        self.gate: nn.Linear | None = None
        if self.config.de_weight > 0:
            need_dims(self.name, student_dim, teacher_dim, "de_weight")
            assert student_dim is not None and teacher_dim is not None
            hidden = (student_dim + teacher_dim) // 2
            for _ in range(self.config.n_experts):
                self.experts.append(
                    nn.Sequential(
                        nn.Linear(student_dim, hidden), nn.ReLU(), nn.Linear(hidden, teacher_dim)
                    )
                )
            self.gate = nn.Linear(teacher_dim, self.config.n_experts)

    @property
    def gate_tau(self) -> float:
        """The current Gumbel-softmax temperature (exponential anneal over progress)."""
        a, b = math.log(self.config.gate_tau_start), math.log(self.config.gate_tau_end)
        return math.exp(a + (b - a) * min(max(self.progress, 0.0), 1.0))

    def set_progress(self, fraction: float) -> None:
        self.progress = float(fraction)

    def de_loss(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N``: ``||t_repr - sum_e g_e E_e(s_repr)||^2``."""
        assert self.gate is not None
        s_repr, t_repr = need_repr(self.name, inp)
        logits = self.gate(t_repr)
        u = rand(tuple(logits.shape), generator, logits.device)
        gumbel = -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))
        g = torch.softmax((logits + gumbel) / self.gate_tau, dim=1)  # N x E
        mapped = torch.stack([e(s_repr) for e in self.experts], dim=1)  # N x E x Dt
        return (t_repr - (g[:, :, None] * mapped).sum(dim=1)).pow(2).sum(dim=1)

    def rrd_loss(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N``: the relaxed Plackett-Luce ranking loss, averaged over the K items."""
        self.check_top(inp, "k")
        s = inp.full_logits(self.name).float()
        x = s.gather(1, inp.teacher_top_ids[:, : self.config.k])  # N x K, teacher order
        suffix = torch.logcumsumexp(x.flip(1), dim=1).flip(1)  # log sum_{m>=k} exp(x_m)
        cfg = self.config
        n_top = cfg.k if cfg.uninteresting_from == "outside_top_k" else None
        u_ids, valid = sample_outside_top(inp, cfg.n_uninteresting, generator, n_top)
        s_u = torch.where(valid, s.gather(1, u_ids), float("-inf"))
        lse_u = torch.logsumexp(s_u, dim=1)  # -inf when U is empty
        return -(x - torch.logaddexp(suffix, lse_u[:, None])).mean(dim=1)

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses: ``de_weight * L_DE + rrd_weight * L_RRD``."""
        cfg = self.config
        loss = torch.zeros_like(inp.targets, dtype=torch.float32)
        if cfg.rrd_weight > 0:
            loss = loss + cfg.rrd_weight * self.rrd_loss(inp, generator)
        if cfg.de_weight > 0:
            loss = loss + cfg.de_weight * self.de_loss(inp, generator)
        return loss

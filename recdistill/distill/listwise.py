"""Temperature-scaled listwise KL between the teacher's and the student's softmax
(Hinton et al., 2015, "Distilling the Knowledge in a Neural Network", NIPS DL workshop).

Exact mode (``teacher_logits`` given, online teacher)::

    L_n = T^2 * KL( softmax(t_n / T) || softmax(s_n / T) )     over all I items

Cached mode (top-``M`` + logsumexp): the catalogue is split into ``M + 1``
buckets, the teacher's top-``M`` items one by one and "the rest" as one
bucket, and the KL is taken between the two bucketed distributions::

    L_n = T^2 * [ sum_{i in top-M} q_i log(q_i / r_i) + q_rest log(q_rest / r_rest) ]

- student: ``r = softmax(s / T)`` over the whole catalogue (exact: we have the
  full student logits), ``r_rest = sum_{j not in top-M} r_j``; in the sampled
  form (a large catalogue, a student trained with a sampled softmax) the
  distiller gives the student's top-M logits and estimates of its logsumexp and
  rest mass from popularity-sampled negatives (see
  :mod:`recdistill.distill.distiller`);
- teacher: ``q_i = exp(t_i - lse)``, ``q_rest = 1 - sum q_i``, exact from the
  logsumexp. At ``T = 1`` this is the exact KL of the bucketed distributions
  (a lower bound of the full KL, equal to it when ``M >= I - 1``).
- ``T != 1``: tempering the rest bucket needs the tail's logits, which the
  cache lacks. Both sides are tempered the same way, as if each one's tail mass
  were spread evenly over its ``I - M`` items: bucket logits ``log p_i / T`` and
  ``log(I - M) + log(p_rest / (I - M)) / T``, normalised. The loss is still 0
  exactly when the two bucketed distributions agree, and exact when
  ``M >= I - 1``; otherwise an approximation. Prefer ``T = 1`` with a cache.

The bucketed distributions include history items in "the rest" on both sides
(the teacher's logsumexp covers them), so both sides describe the same events.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from recdistill.distill._ops import safe_kl, teacher_log_rest, teacher_top_logprobs
from recdistill.distill.base import KDInputs, KDMethod, MethodConfig, register


class ListwiseConfig(MethodConfig):
    """Listwise KL parameters."""

    kind: Literal["listwise"] = "listwise"

    temperature: float = Field(1.0, gt=0, description="T; the cached mode is exact at T = 1")

    def uses_seen(self) -> bool:
        return False


@register
class ListwiseKL(KDMethod):
    """``T^2 * KL(softmax(t/T) || softmax(s/T))``, exact or over top-M + one bucket."""

    name = "listwise"
    Config = ListwiseConfig
    config: ListwiseConfig
    reads_top_only = True  # cached: the student's top-M logits and logsumexp

    def forward(self, inp: KDInputs, generator: torch.Generator | None = None) -> Tensor:
        """``N`` losses; ``inp.student_logits`` ``N x I`` (or the sampled form's top-M
        logits and logsumexp estimate), teacher cache ``N x M``."""
        temp = self.config.temperature
        ids, n_rest = inp.teacher_top_ids, inp.n_items - inp.top_m
        if inp.teacher_logits is not None or n_rest == 0:  # exact
            s = inp.full_logits(self.name).float()
            log_r = torch.log_softmax(s / temp, dim=1)
            if inp.teacher_logits is not None:
                log_q = torch.log_softmax(inp.teacher_logits.detach().float() / temp, dim=1)
                return safe_kl(log_q, log_r) * temp**2
            a = inp.teacher_top_logits.detach().float() / temp  # top-M = the catalogue
            return (
                safe_kl(a - torch.logsumexp(a, dim=1, keepdim=True), log_r.gather(1, ids)) * temp**2
            )
        # bucket at T = 1, then temper both sides alike: one pass over the catalogue (the
        # logsumexp), the rest from the top-M (the rest mass is 1 minus the top mass), or
        # in the sampled form the estimates the distiller made from its negatives
        log_r_top = inp.student_top().float() - inp.student_lse()[:, None]
        rest = inp.student_log_rest
        log_r_rest = _log_rest(log_r_top) if rest is None else rest.clamp(min=-60.0)
        log_r_b = _tempered(log_r_top, log_r_rest, n_rest, temp)
        log_q = _tempered(teacher_top_logprobs(inp), teacher_log_rest(inp), n_rest, temp)
        return safe_kl(log_q, log_r_b) * temp**2


def _log_rest(log_top: Tensor) -> Tensor:
    """``N``: ``log(1 - sum exp(log_top))``, floored where the top holds (all but) all the mass.

    The floor (``exp(-60)``) keeps the KL finite when the student puts every bit of its
    mass on the teacher's top-M in float32; its gradient then vanishes, as it should.
    """
    top = torch.logsumexp(log_top, dim=1).clamp(max=-1e-30)
    return torch.log(-torch.expm1(top)).clamp(min=-60.0)


def _tempered(log_top: Tensor, log_rest: Tensor, n_rest: int, temp: float) -> Tensor:
    """``N x (M + 1)`` bucket log-probabilities at temperature ``temp``.

    ``log_top`` ``N x M`` and ``log_rest`` ``N`` are log-probabilities at T = 1;
    the rest is tempered as ``n_rest`` items of equal probability.
    """
    if temp == 1.0:
        return torch.cat([log_top, log_rest[:, None]], dim=1)
    tail = math.log(n_rest) + (log_rest - math.log(n_rest)) / temp
    a = torch.cat([log_top / temp, tail[:, None]], dim=1)
    return a - torch.logsumexp(a, dim=1, keepdim=True)

"""Tensor helpers shared by the distillation losses (no state, no gradients to the teacher).

Notation: ``N`` positions, ``I`` items, ``M`` cached teacher items per position,
``t`` teacher logits, ``lse`` their logsumexp over the catalogue, so the
teacher's probability of item ``i`` is ``p_i = exp(t_i - lse)``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from recdistill.distill.base import KDInputs

_REJECTION_ROUNDS = 4


def _on(generator: torch.Generator | None, device: torch.device) -> torch.device:
    """The device to draw on: the generator's (a CPU generator may drive a CUDA batch)."""
    return device if generator is None else generator.device


def randint(
    high: int, shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device
) -> Tensor:
    """Uniform ints in ``[0, high)`` on ``device``, drawn with ``generator`` wherever it lives."""
    return torch.randint(0, high, shape, generator=generator, device=_on(generator, device)).to(
        device
    )


def rand(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> Tensor:
    """Uniform floats in ``[0, 1)`` on ``device``, drawn with ``generator``."""
    return torch.rand(shape, generator=generator, device=_on(generator, device)).to(device)


def multinomial(
    probs: Tensor, n: int, generator: torch.Generator | None, replacement: bool
) -> Tensor:
    """Row-wise ``torch.multinomial`` on ``probs``' device, drawn with ``generator``."""
    src = probs.to(_on(generator, probs.device))
    out = torch.multinomial(src, n, replacement=replacement, generator=generator)
    return out.to(probs.device)


def teacher_top_logprobs(inp: KDInputs) -> Tensor:
    """``N x M``: the teacher's exact log-probabilities ``t_i - lse`` of its top-``M`` items."""
    t = inp.teacher_top_logits.detach().float()
    return t - inp.teacher_logsumexp.detach().float()[:, None]


def teacher_log_rest(inp: KDInputs) -> Tensor:
    """``N``: ``log(1 - sum_{i in top-M} p_i)``, the teacher's log-mass outside its top-``M``.

    ``-inf`` when the top-``M`` holds all the mass (or numerically more than all).
    """
    top_mass = torch.logsumexp(teacher_top_logprobs(inp), dim=1).clamp(max=0.0)
    return torch.log(-torch.expm1(top_mass))


def teacher_tail_logit(inp: KDInputs, mode: str = "tail_mean") -> Tensor:
    """``N``: a teacher logit for an item outside the top-``M`` when only the cache is known.

    - ``"tail_mean"``: ``lse + log(rest / (I - M))``, the logit of the average
      probability outside the top-``M``: the expected teacher probability of a
      uniformly sampled tail item (exactly so when the never-sampled history
      items carry their average share of the tail mass).
    - ``"bound"``: ``lse + log(rest)``, an upper bound (no tail item can exceed it).

    Both are capped at the ``M``-th logit (tail items rank below it).
    """
    n_rest = inp.n_items - inp.top_m
    lse = inp.teacher_logsumexp.detach().float()
    log_rest = teacher_log_rest(inp)
    if mode == "tail_mean":
        est = lse + log_rest - math.log(max(n_rest, 1))
    elif mode == "bound":
        est = lse + log_rest
    else:
        raise ValueError(f"unknown tail estimate '{mode}'")
    return torch.minimum(est, inp.teacher_top_logits.detach().float()[:, -1])


def excluded_mask(inp: KDInputs, n_top: int | None = None) -> Tensor:
    """``N x I`` bool: items never to sample as negatives.

    The teacher's top-``n_top`` (default: all ``M`` cached), the target, the
    history (``seen``) and items the student scores ``-inf`` (padding).
    """
    s = inp.full_logits("negative sampling").detach()
    mask = torch.isneginf(s)
    if inp.seen is not None:
        mask |= inp.seen
    mask.scatter_(1, inp.teacher_top_ids[:, :n_top], True)
    mask.scatter_(1, inp.targets[:, None], True)
    return mask


def sample_outside_top(
    inp: KDInputs, n: int, generator: torch.Generator | None = None, n_top: int | None = None
) -> tuple[Tensor, Tensor]:
    """Sample ``n`` items per position uniformly (with replacement) among allowed items.

    Allowed: not in the teacher's top-``n_top`` (default: the whole cached
    top-``M``), not the target, not seen, finite student score. Rejection
    sampling (cheap: the excluded set is small) with an exact fallback for the
    rows that keep rejecting.

    Returns:
        ``(ids, valid)``, both ``N x n``: item ids (long) and a bool mask, False
        where a position has no allowed item at all (its id is then 0).
    """
    n_pos, n_items = inp.full_logits("negative sampling").shape
    device = inp.device
    if n == 0:
        empty = torch.zeros(n_pos, 0, dtype=torch.long, device=device)
        return empty, empty.bool()
    mask = excluded_mask(inp, n_top)
    ids = randint(n_items, (n_pos, n), generator, device)
    bad = mask.gather(1, ids)
    for _ in range(_REJECTION_ROUNDS):
        if not bool(bad.any()):
            break
        redraw = randint(n_items, (n_pos, n), generator, device)
        ids = torch.where(bad, redraw, ids)
        bad = mask.gather(1, ids)
    valid = torch.ones_like(bad)
    rows = bad.any(dim=1).nonzero().flatten()
    if rows.numel() > 0:  # exact fallback on the few stubborn rows
        allowed = (~mask[rows]).float()
        empty = allowed.sum(dim=1) == 0
        allowed[empty] = 1.0
        fallback = multinomial(allowed, n, generator, replacement=True)
        ids[rows] = torch.where(empty[:, None], torch.zeros_like(fallback), fallback)
        valid[rows] = ~empty[:, None].expand(-1, n)
    return ids, valid


@torch.no_grad()
def student_ranks(student_logits: Tensor, ids: Tensor, seen: Tensor | None = None) -> Tensor:
    """``N x K`` long: the student's exact 0-based rank of each item in ``ids`` (``N x K``).

    The rank is the number of catalogue items the student scores strictly
    higher, not counting ``seen`` items (so it is comparable to the teacher's
    rank, which skips the history).
    """
    s = student_logits.detach().float()
    vals = s.gather(1, ids)
    if seen is not None:
        s = s.masked_fill(seen, float("-inf"))
    if ids.shape[1] <= 16:  # a few comparisons beat a sort
        cols = [(s > vals[:, k : k + 1]).sum(dim=1) for k in range(ids.shape[1])]
        return torch.stack(cols, dim=1)
    ordered = torch.sort(s, dim=1).values
    return s.shape[1] - torch.searchsorted(ordered, vals.contiguous(), right=True)


def safe_kl(log_q: Tensor, log_r: Tensor) -> Tensor:
    """``sum_j q_j (log q_j - log r_j)`` over the last dim, with ``0 log 0 = 0``."""
    terms = torch.exp(log_q) * (log_q - log_r)
    return torch.where(torch.isneginf(log_q), torch.zeros_like(terms), terms).sum(dim=-1)


@torch.no_grad()
def teacher_target_prob(inp: KDInputs) -> Tensor:
    """``N``: the teacher's probability of the ground-truth target.

    Exact with ``teacher_logits`` or when the target is in the top-``M``;
    otherwise the tail mean ``rest / (I - M)`` (see :func:`teacher_tail_logit`).
    """
    lse = inp.teacher_logsumexp.detach().float()
    if inp.teacher_logits is not None:
        t = inp.teacher_logits.detach().float().gather(1, inp.targets[:, None])[:, 0]
        return torch.exp(t - lse)
    hit = inp.teacher_top_ids == inp.targets[:, None]
    top = torch.where(hit, teacher_top_logprobs(inp), float("-inf")).amax(dim=1)
    tail = teacher_tail_logit(inp, "tail_mean") - lse
    return torch.exp(torch.where(hit.any(dim=1), top, tail))


@torch.no_grad()
def teacher_entropy(inp: KDInputs) -> Tensor:
    """``N``: the teacher's entropy (nats) over the catalogue.

    Exact with ``teacher_logits``; from the cache, the top-``M`` terms are exact
    and the tail mass is taken as spread evenly over the ``I - M`` other items.
    """
    if inp.teacher_logits is not None:
        logp = torch.log_softmax(inp.teacher_logits.detach().float(), dim=1)
        return -_xlogx_from_log(logp).sum(dim=1)
    top = -_xlogx_from_log(teacher_top_logprobs(inp)).sum(dim=1)
    n_rest = inp.n_items - inp.top_m
    if n_rest == 0:
        return top
    log_rest = teacher_log_rest(inp)
    # n_rest items of probability rest / n_rest each: -rest * log(rest / n_rest)
    tail = -_xlogx_from_log(log_rest) + log_rest.exp() * math.log(n_rest)
    return top + tail


def _xlogx_from_log(logp: Tensor) -> Tensor:
    """``p log p`` from ``log p``, with ``0 log 0 = 0``."""
    out = logp.exp() * logp
    return torch.where(torch.isneginf(logp), torch.zeros_like(out), out)

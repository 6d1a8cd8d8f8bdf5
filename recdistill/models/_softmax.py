"""Full-softmax cross-entropy over a catalogue, fused with the output layer.

``loss = mean_n CE(h_n W^T, y_n)`` for hidden states ``h`` (``N x D``), an item
table ``W`` (``I x D``) and targets ``y`` (``N``). The naive form materialises
the ``N x I`` logits and walks them several times (matmul out, log-softmax,
its backward, the fill of the gradient, two matmuls back), which on a CPU is
memory-bound: on MovieLens-100K those passes cost more than the transformer.

:func:`fused_softmax_ce` instead walks ``N`` in chunks that fit in cache: per
chunk it computes the logits, the loss, and at once the gradient
``softmax - onehot``, and accumulates ``dL/dh`` and ``dL/dW`` with two small
matmuls. Only ``chunk x I`` floats exist at a time; backward just scales the
stored gradients. Same numbers as ``F.cross_entropy`` (to float rounding),
with label smoothing.

Under autocast (bfloat16 on a CPU with native bf16, or a GPU) the three
matmuls take the autocast dtype, with float32 accumulation inside them; the
softmax, the loss and the gradients accumulated over chunks stay float32.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

DEFAULT_CHUNK = 4096  # rows of logits per pass on a GPU
CPU_CHUNK_ENTRIES = 1 << 20  # entries of one chunk of logits on a CPU (4 MB in float32)


def default_chunk(device: torch.device, n_items: int) -> int:
    """Rows of logits alive at a time: cache-sized on a CPU, large on a GPU.

    On a CPU the softmax passes are memory-bound, so a chunk that stays in
    cache is what makes them fast: for 25,600 positions x 3,416 items (one
    ML-1M batch) 256-row chunks took 178 ms in bfloat16 and 352 ms in float32
    here, 4,096-row chunks 389 and 515 ms.
    """
    if device.type != "cpu":
        return DEFAULT_CHUNK
    return max(32, min(DEFAULT_CHUNK, CPU_CHUNK_ENTRIES // max(n_items, 1)))


class _FusedSoftmaxCE(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        h: torch.Tensor,
        w: torch.Tensor,
        y: torch.Tensor,
        smoothing: float,
        chunk: int,
    ) -> torch.Tensor:
        device = h.device.type
        mm = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
        with torch.autocast(device_type=device, enabled=False):
            return _FusedSoftmaxCE._forward(ctx, h, w, y, smoothing, chunk, mm)

    @staticmethod
    def _forward(
        ctx: Any,
        h: torch.Tensor,
        w: torch.Tensor,
        y: torch.Tensor,
        smoothing: float,
        chunk: int,
        mm: torch.dtype | None,
    ) -> torch.Tensor:
        n, n_items = h.shape[0], w.shape[0]
        hf, wf = h.float(), w.float()
        hm, wm = (hf, wf) if mm is None else (h.to(mm), w.to(mm))  # matmul operands
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_h = torch.empty_like(hf) if need_h else None
        grad_w = torch.zeros_like(wf) if need_w else None
        total = hf.new_zeros(())
        scale = 1.0 / max(n, 1)
        for s in range(0, n, chunk):
            hc, yc = hm[s : s + chunk], y[s : s + chunk]
            logp = torch.log_softmax((hc @ wm.T).float(), dim=1)  # c x I, one fused pass
            nll = -logp.gather(1, yc[:, None])
            total += (1.0 - smoothing) * nll.sum()
            if smoothing:
                total -= smoothing * logp.mean(dim=1).sum()
            if need_h or need_w:
                # d loss / d logits = softmax - (1 - eps) onehot - eps / I   (times 1/N)
                g = logp.exp_()
                if smoothing:
                    g.sub_(smoothing / n_items)
                g.scatter_add_(1, yc[:, None], torch.full_like(nll, -(1.0 - smoothing)))
                _accumulate(g, hc, wm, grad_h, grad_w, s, mm)
        if grad_h is not None:
            grad_h.mul_(scale)
        if grad_w is not None:
            grad_w.mul_(scale)
        ctx.save_for_backward(
            grad_h if grad_h is not None else h.new_empty(0),
            grad_w if grad_w is not None else w.new_empty(0),
        )
        ctx.dtypes = (h.dtype, w.dtype)
        return total * scale

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        grad_h, grad_w = ctx.saved_tensors
        dh = (grad_h * grad_out).to(ctx.dtypes[0]) if ctx.needs_input_grad[0] else None
        dw = (grad_w * grad_out).to(ctx.dtypes[1]) if ctx.needs_input_grad[1] else None
        return dh, dw, None, None, None


def _accumulate(
    g: torch.Tensor,
    hc: torch.Tensor,
    wm: torch.Tensor,
    grad_h: torch.Tensor | None,
    grad_w: torch.Tensor | None,
    start: int,
    mm: torch.dtype | None,
) -> None:
    """Add one chunk's ``dL/dh = g W`` and ``dL/dW = g^T h`` (matmuls in ``mm`` when set)."""
    if mm is None:
        if grad_h is not None:
            torch.mm(g, wm, out=grad_h[start : start + g.shape[0]])
        if grad_w is not None:
            grad_w.addmm_(g.T, hc)
        return
    gm = g.to(mm)
    if grad_h is not None:
        grad_h[start : start + g.shape[0]] = gm @ wm
    if grad_w is not None:
        grad_w += gm.T @ hc


def fused_softmax_ce(
    hidden: torch.Tensor,
    table: torch.Tensor,
    targets: torch.Tensor,
    *,
    label_smoothing: float = 0.0,
    chunk: int | None = None,
) -> torch.Tensor:
    """Mean cross-entropy of ``hidden @ table.T`` (``N x I``) against ``targets`` (``N``).

    Args:
        hidden: ``N x D`` query vectors (real positions only).
        table: ``I x D`` item vectors (the tied output layer).
        targets: ``N`` int64 item indices.
        label_smoothing: as in :func:`torch.nn.functional.cross_entropy`.
        chunk: rows of logits alive at a time (default: :func:`default_chunk`).

    Example:
        >>> h, w = torch.randn(5, 3), torch.randn(7, 3)
        >>> y = torch.tensor([0, 1, 2, 3, 6])
        >>> ref = F.cross_entropy(h @ w.T, y)
        >>> bool(torch.allclose(fused_softmax_ce(h, w, y), ref, atol=1e-6))
        True
    """
    if hidden.shape[0] == 0:
        return (hidden.sum() + table.sum()) * 0.0
    if chunk is None:
        chunk = default_chunk(hidden.device, table.shape[0])
    out: torch.Tensor = _FusedSoftmaxCE.apply(hidden, table, targets, label_smoothing, chunk)
    return out


def reference_softmax_ce(
    hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """The naive form (materialised ``N x I`` logits), for tests and the benchmark."""
    return F.cross_entropy((hidden @ table.T).float(), targets, label_smoothing=label_smoothing)

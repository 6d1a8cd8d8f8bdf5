"""Post-training quantization shared by the students: int8 with per-row scales, or float16.

``int8`` stores a matrix ``W`` (``R x C``) as ``q`` (int8, ``|q| <= 127``) and
one float32 scale per row, ``W ~ q * scale[:, None]`` (symmetric, the scale is
the row's largest magnitude over 127); ``float16`` stores it in half precision.
Vectors (biases, LayerNorm, BOS) stay float32: they are a rounding error of
the bytes and quantizing them costs accuracy for nothing.

Two forms:

- numpy arrays (:func:`quantize`, :func:`widen`): the two-tower student's
  serving arrays;
- torch modules (:func:`quantize_net`): a sequential network whose item table,
  position table and every linear layer keep only the quantized values as
  buffers (:class:`QuantMatrix`, :class:`QuantLinear`). A forward pass widens
  what it reads to float32 for that pass (the rows it gathers, a linear
  layer's weight, the whole item table when scoring the catalogue) and drops
  it after, so what the model holds, and ``serving_bytes`` counts, is the
  quantized form.
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recdistill.errors import ConfigError

Precision = Literal["float32", "float16", "int8"]


def target_precision(current: str, precision: str) -> Precision:
    """``precision`` checked for a model now served in ``current`` (``ConfigError`` names
    an unknown precision, or a model that is already quantized)."""
    if precision not in ("float32", "float16", "int8"):
        raise ConfigError(f"quantize: unknown precision '{precision}' (int8 | float16)")
    if current != "float32":
        raise ConfigError("quantize: the model is already quantized")
    return cast(Precision, precision)


def quantize_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(int8 values, float32 per-row scales)`` of a 2-D float array."""
    scale = np.abs(a).max(axis=1) / 127.0 if a.size else np.ones(a.shape[0], np.float32)
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(a / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize(
    arrays: dict[str, np.ndarray], precision: Precision, matrices: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """The arrays in ``precision``: ``matrices`` as float16, or int8 + ``NAME.scale``."""
    out: dict[str, np.ndarray] = {}
    for name, a in arrays.items():
        if name not in matrices or precision == "float32":
            out[name] = a
        elif precision == "float16":
            out[name] = a.astype(np.float16)
        else:
            out[name], out[f"{name}.scale"] = quantize_rows(a)
    return out


def widen(arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Matrix ``name`` as float32 (dequantized when stored as int8)."""
    a = arrays[name]
    if a.dtype == np.int8:
        return a.astype(np.float32) * arrays[f"{name}.scale"][:, None]
    return a.astype(np.float32, copy=False)


class QuantMatrix(nn.Module):
    """A quantized ``R x C`` matrix (buffers ``values`` and, for int8, ``scale``).

    ``m[idx]`` widens the selected rows (an index tensor or a slice) to
    float32; ``m.full()`` widens all of them.
    """

    values: torch.Tensor
    scale: torch.Tensor

    def __init__(self, weight: torch.Tensor, precision: Precision) -> None:
        super().__init__()
        w = weight.detach().float().cpu()
        if precision == "int8":
            q, scale = quantize_rows(w.numpy())
            self.register_buffer("values", torch.from_numpy(q).to(weight.device))
            self.register_buffer("scale", torch.from_numpy(scale).to(weight.device))
        else:
            self.register_buffer("values", w.half().to(weight.device))
            self.register_buffer("scale", torch.ones(0, device=weight.device))

    def __getitem__(self, idx: torch.Tensor | slice) -> torch.Tensor:
        rows = self.values[idx].float()
        if self.values.dtype == torch.int8:
            rows = rows * self.scale[idx].unsqueeze(-1)
        return rows

    def full(self) -> torch.Tensor:
        """The whole matrix in float32 (a temporary for this pass)."""
        return self[slice(None)]


class QuantLinear(nn.Module):
    """``nn.Linear`` whose weight is a :class:`QuantMatrix` (float32 bias)."""

    def __init__(self, linear: nn.Linear, precision: Precision) -> None:
        super().__init__()
        self.weight = QuantMatrix(linear.weight, precision)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.full()
        return F.linear(x, w.to(x.dtype), None if self.bias is None else self.bias.to(x.dtype))


def quantize_net(net: nn.Module, precision: Precision) -> nn.Module:
    """``net`` with its item table (``items.ids``), position table (``pos``) and every
    ``nn.Linear`` quantized in place (see the module docstring); returned for chaining."""
    if precision == "float32":
        return net
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, name, QuantLinear(child, precision))
    items = getattr(net, "items", None)
    ids = getattr(items, "ids", None)
    if isinstance(items, nn.Module) and isinstance(ids, nn.Parameter):
        delattr(items, "ids")  # a parameter's name cannot take a module in place
        items.ids = QuantMatrix(ids, precision)
    pos = getattr(net, "pos", None)
    if isinstance(pos, nn.Parameter):
        delattr(net, "pos")
        net.pos = QuantMatrix(pos, precision)
    return net

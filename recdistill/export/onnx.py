"""ONNX export of a sequential model: the two-tower student and SASRec (students, teacher).

Two graphs (ONNX opset 18), traced from the model's own torch networks
(:meth:`~recdistill.models._seqmodel.SequentialModel.networks`; int8 and
float16 weights stay quantized in the graph and are widened inside it):

- ``model.onnx``: inputs ``items`` int64 ``[B, L]`` (each row one user's item
  indices, oldest first, right-padded with anything) and ``length`` int64
  ``[B]`` (the valid entries of each row; 0 for a user with no history), output
  ``scores`` float32 ``[B, I]``: what the native model scores (the last
  ``max_len`` valid items are read).
- ``model_topk.onnx``: the same inputs; outputs ``top_items`` int64 ``[B, k]``
  and ``top_scores`` float32 ``[B, k]``, best first, the row's own items left
  out (as ``recdistill serve`` answers by default), equal scores in index order.

Item indices must lie in ``[0, I)``: ``items.json`` maps index -> item id and
title. :func:`verify` runs both graphs in onnxruntime against the native model.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from recdistill.data.views import Histories
from recdistill.errors import UserError
from recdistill.models._sasrec_net import SeqNet, ensemble_logits
from recdistill.models._seqmodel import SequentialModel
from recdistill.models.base import Recommender, mask_scores, top_k

log = logging.getLogger("recdistill.export")

OPSET = 18  # ScatterElements with reduction="max" (the top-k graph's history mask)
SCORES, TOPK = "model.onnx", "model_topk.onnx"


class ScoreGraph(nn.Module):
    """``(items [B, L], length [B]) -> scores [B, I]`` with the model's networks."""

    def __init__(self, nets: list[SeqNet], max_len: int) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.max_len = max_len
        self.pad, self.bos = nets[0].pad, nets[0].bos_id

    def forward(self, items: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
        # [BOS] + the last max_len valid items, right-padded: the scoring input.
        take = torch.clamp(length, min=0, max=self.max_len)
        j = torch.arange(self.max_len, device=items.device)[None, :]
        src = (length - take)[:, None] + j
        body = torch.gather(items, 1, src.clamp(min=0, max=items.shape[1] - 1))
        body = torch.where(j < take[:, None], body, torch.full_like(body, self.pad))
        x = torch.cat([torch.full_like(length[:, None], self.bos), body], dim=1)
        parts = []
        for net in self.nets:
            assert isinstance(net, SeqNet)
            table = net.items()
            parts.append(net.query(net.embed(x, table), take) @ table.T)
        return ensemble_logits(parts)


class TopKGraph(nn.Module):
    """``(items, length) -> (top_items [B, k], top_scores [B, k])``, history excluded."""

    def __init__(self, scores: ScoreGraph, k: int) -> None:
        super().__init__()
        self.scores, self.k = scores, k

    def forward(self, items: torch.Tensor, length: torch.Tensor) -> tuple[torch.Tensor, ...]:
        s = self.scores(items, length)
        valid = torch.arange(items.shape[1], device=items.device)[None, :] < length[:, None]
        seen = torch.zeros_like(s).scatter_reduce(
            1, items.clamp(min=0, max=s.shape[1] - 1), valid.to(s.dtype), "amax"
        )
        s = s.masked_fill(seen > 0, float("-inf"))
        top_scores, top_items = torch.topk(s, self.k, dim=1)
        return top_items, top_scores


def exportable(model: Recommender, name: str) -> SequentialModel:
    """``model`` if it has ONNX graphs here, else one clear error."""
    if not isinstance(model, SequentialModel):
        raise UserError(
            f"export: model '{name}' is of kind '{model.kind}'; ONNX export covers the "
            "sequential models (twotower, sasrec)"
        )
    return model


def write_graphs(model: SequentialModel, out: Path, k: int) -> list[Path]:
    """Trace ``model`` and write :data:`SCORES` and :data:`TOPK` into ``out``."""
    if not 0 < k <= model.n_items:
        raise UserError(f"export: k must be in 1..{model.n_items} (the catalogue), got {k}")
    graph = ScoreGraph(model.networks(), model.config.max_len).eval()
    example = (torch.zeros((2, 3), dtype=torch.int64), torch.tensor([3, 0], dtype=torch.int64))
    batch, length = torch.export.Dim("batch"), torch.export.Dim("history")
    shapes = {"items": {0: batch, 1: length}, "length": {0: batch}}
    written = []
    for module, path, outputs in (
        (graph, out / SCORES, ["scores"]),
        (TopKGraph(graph, k).eval(), out / TOPK, ["top_items", "top_scores"]),
    ):
        _trace(module, example, path, outputs, shapes)
        written.append(path)
    return written


def _trace(
    module: nn.Module,
    example: tuple[torch.Tensor, torch.Tensor],
    path: Path,
    outputs: list[str],
    shapes: dict[str, Any],
) -> None:
    """torch's exporter, its progress chatter kept out of the user's terminal."""
    chatter = io.StringIO()
    with (
        torch.no_grad(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(chatter),
        _quiet("torch.onnx", "torch.export", "torch._dynamo", "onnxscript", "onnx_ir"),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example,
            str(path),
            input_names=["items", "length"],
            output_names=outputs,
            dynamic_shapes=shapes,
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            optimize=False,
            verbose=False,
        )
    _tidy(path)


def _tidy(path: Path) -> None:
    """Drop the exporter's per-node notes (source stack traces: most of a small graph's
    bytes), turn each ``CastLike`` into a ``Cast`` to its known type (onnxruntime has no
    CPU kernel to fold a ``CastLike`` and warns at every load), check, save again."""
    import onnx

    proto = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    g = proto.graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*g.input, *g.value_info, *g.output]}
    types.update((t.name, t.data_type) for t in g.initializer)
    for n, node in enumerate(g.node):
        del node.metadata_props[:]
        node.doc_string = ""
        if node.op_type == "CastLike" and types.get(node.input[1]):
            g.node[n].CopyFrom(onnx.helper.make_node(
                "Cast", [node.input[0]], list(node.output), name=node.name,
                to=types[node.input[1]],
            ))  # fmt: skip
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


@contextlib.contextmanager
def _quiet(*names: str) -> Any:
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def padded(batch: Histories) -> tuple[np.ndarray, np.ndarray]:
    """``(items [B, L], length [B])`` int64: the graphs' inputs for ``batch``."""
    length = np.diff(batch.indptr).astype(np.int64)
    items = np.zeros((len(batch), max(int(length.max(initial=0)), 1)), dtype=np.int64)
    for b in range(len(batch)):
        items[b, : length[b]] = batch.row(b)
    return items, length


@dataclass(frozen=True)
class Verified:
    """How the graphs' answers compare with the native model's on ``users`` histories."""

    users: int
    max_abs_diff: float  # largest |ONNX score - native score|
    top_k_same: int  # rows whose top-k item lists are identical
    top_k_ties: int  # other rows whose lists differ only where scores tie (within tol)
    k: int

    @property
    def ok(self) -> bool:
        return self.top_k_same + self.top_k_ties == self.users


def verify(model: SequentialModel, out: Path, batch: Histories, k: int) -> Verified:
    """Run ``out``'s graphs in onnxruntime on ``batch`` and compare with ``model``."""
    import onnxruntime as ort

    feed = dict(zip(("items", "length"), padded(batch), strict=True))
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    scores = ort.InferenceSession(str(out / SCORES), opts, providers=providers).run(None, feed)[0]
    got_items, got_scores = ort.InferenceSession(str(out / TOPK), opts, providers=providers).run(
        None, feed
    )
    native = model.score(batch)
    masked = np.array(native, dtype=np.float32, copy=True)
    mask_scores(masked, batch, exclude_seen=True)
    want_items, want_scores = top_k(masked, k)
    tol = 1e-4 * max(1.0, float(np.abs(native).max(initial=0.0)))
    same = ties = 0
    for b in range(len(batch)):
        if np.array_equal(got_items[b], want_items[b]):
            same += 1
        elif np.allclose(got_scores[b], want_scores[b], atol=tol, rtol=0):
            ties += 1  # a different order only among (near-)equal scores
    diff = float(np.abs(scores - native).max(initial=0.0))
    return Verified(len(batch), diff, same, ties, k)

"""History-pooled two-tower model: the user vector is pooled from the history's item vectors.

A student built for serving. The item tower is an embedding table ``I x D``;
the user (query) tower reads the history ``[BOS, i_1, ..., i_t]`` and pools it
three ways, all causal (position ``t`` sees only ``<= t``):

- ``mean_t``: the uniform mean of the token vectors;
- ``recent_t``: the mean weighted by ``decay ** (t - s)`` (recent items count more);
- ``last_t``: the latest token's vector,

then ``q_t = LN(recent_t + MLP([mean_t; recent_t; last_t]))`` and
``score(t, i) = q_t . item_i``. There are no user parameters: a new event
changes the user's vector at once, and a new user needs no retraining. The
pooling is a ``T x T`` weighted sum (cheap for ``T = max_len + 1``).

Serving state: the item table, BOS, the MLP and LayerNorm (a few ``D x D``
matrices): everything a request needs.

Post-training quantization (:meth:`TwoTower.quantized`): ``int8`` stores the
item table and the MLP matrices as int8 with one float32 scale per row
(symmetric, ``w ~ q * scale``, ``|q| <= 127``); ``float16`` stores them in half
precision. Vectors (BOS, biases, LayerNorm) stay float32. The quantized
arrays are what the model keeps in memory and what ``serving_bytes`` counts;
scoring widens them to float32 per request (``q . (int8 row) * scale``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from pydantic import Field
from scipy import special
from torch import nn

from recdistill.models._quant import (
    Precision,
    quantize,
    quantize_net,
    target_precision,
    widen,
)
from recdistill.models._sasrec_net import INIT_STD, FastDropout, SeqNet
from recdistill.models._seqmodel import SeqTrainConfig, SequentialModel
from recdistill.models.base import Histories, ModelConfig, register

MATRICES = ("items", "w1", "w2")  # what quantization shrinks; the rest stays float32
_SQRT_HALF = np.float32(1.0 / math.sqrt(2.0))


class TwoTowerConfig(SeqTrainConfig):
    """Hyperparameters of :class:`TwoTower` (training fields from :class:`SeqTrainConfig`)."""

    d_model: int = Field(64, ge=4, description="Width D of item and user vectors.")
    dropout: float = Field(0.2, ge=0.0, lt=1.0, description="Dropout on token vectors and MLP.")
    decay: float = Field(
        0.9, gt=0.0, le=1.0, description="Recency weight per step back in the history."
    )
    hidden_mult: float = Field(2.0, gt=0.0, description="MLP hidden width as a multiple of D.")


class PooledNet(SeqNet):
    """Item table + causal mean / recency / last pooling + MLP (see the module docstring)."""

    def __init__(
        self, n_items: int, d: int, max_len: int, dropout: float, decay: float, hidden_mult: float
    ) -> None:
        super().__init__(n_items, d, max_len)
        self.decay = decay
        hidden = max(1, round(hidden_mult * d))
        self.drop = FastDropout(dropout)
        self.mlp = nn.Sequential(
            nn.Linear(3 * d, hidden), nn.GELU(), FastDropout(dropout), nn.Linear(hidden, d)
        )
        self.out_norm = nn.LayerNorm(d)
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
                nn.init.zeros_(m.bias)

    def pool_weights(self, t: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """``T x T`` row-normalised causal weights: uniform, and by recency."""
        pos = torch.arange(t, device=device, dtype=torch.float32)
        gap = pos[:, None] - pos[None, :]
        causal = gap >= 0
        uniform = causal.float() / (pos[:, None] + 1.0)
        rec = torch.where(causal, self.decay ** gap.clamp(min=0), torch.zeros_like(gap))
        return uniform, rec / rec.sum(dim=1, keepdim=True)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token vectors ``B x T x D`` -> one query per position ``B x T x D`` (causal)."""
        x = self.drop(tokens)
        uniform, recency = self.pool_weights(x.shape[1], x.device)
        mean = torch.einsum("ts,bsd->btd", uniform.to(x.dtype), x)
        recent = torch.einsum("ts,bsd->btd", recency.to(x.dtype), x)
        q = recent + self.mlp(torch.cat([mean, recent, x], dim=-1))
        out: torch.Tensor = self.out_norm(q)
        return out

    def query(self, tokens: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """:meth:`encode` at position ``pos[b]`` only: ``B x T`` pooling weights, not
        ``T x T`` (scoring and the ONNX export read one position per row)."""
        x = self.drop(tokens)
        gap = pos[:, None] - torch.arange(x.shape[1], device=x.device)[None, :]
        causal = gap >= 0
        uniform = causal.to(x.dtype) / (pos[:, None] + 1).to(x.dtype)
        rec = torch.where(causal, self.decay ** gap.clamp(min=0).to(x.dtype), 0.0)
        rec = rec / rec.sum(dim=1, keepdim=True)
        mean = torch.einsum("bs,bsd->bd", uniform, x)
        recent = torch.einsum("bs,bsd->bd", rec, x)
        last = x[torch.arange(x.shape[0], device=x.device), pos]
        out: torch.Tensor = self.out_norm(recent + self.mlp(torch.cat([mean, recent, last], -1)))
        return out


@register
class TwoTower(SequentialModel):
    """History-pooled two-tower student (no user table; see the module docstring).

    Scoring reads only the last position, so it skips the network's ``T x T``
    pooling: per history, two weighted sums of at most ``max_len + 1`` vectors,
    a small MLP and one ``D x I`` product, in numpy for batches and in one
    compiled call for a single request (``_twotower_kernel``: about 6 us on the
    demo catalogue of 1,190 items).
    """

    kind = "twotower"
    Config = TwoTowerConfig
    config: TwoTowerConfig
    quantizations = ("int8", "float16")

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__(config)
        self._np: dict[str, np.ndarray] = {}
        self._np_for: PooledNet | None = None
        self._fused_arrays: dict[str, np.ndarray] | None = None
        self._kernel_for: dict[str, np.ndarray] | None = None
        self._kernel_weights: tuple[np.ndarray, ...] = ()
        self.precision: Precision = "float32"

    def quantized(self, precision: str) -> TwoTower:
        """A copy serving from ``int8`` or ``float16`` weights (see the module docstring)."""
        out = TwoTower(self.config)
        out.precision = target_precision(self.precision, precision)
        out.n_users, out.n_items = self.n_users, self.n_items
        out._np = quantize(self._weights(), out.precision, MATRICES)
        return out

    def state(self) -> dict[str, np.ndarray]:
        if self.precision == "float32":
            return super().state()
        return dict(self._np)

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        if self.precision == "float32":
            super().load_state(state)
            return
        self.net, self.members = None, []
        self._np = {k: np.array(v) for k, v in state.items()}

    def meta(self) -> dict[str, Any]:
        return {**super().meta(), "precision": self.precision}

    def load_meta(self, meta: dict[str, Any]) -> None:
        self.precision = meta.get("precision", "float32")

    def n_params(self) -> int:
        """Stored weights (int8 and float16 ones included; scales are not parameters)."""
        return int(sum(a.size for k, a in self.state().items() if not k.endswith(".scale")))

    def networks(self) -> list[SeqNet]:
        """The serving weights as a :class:`PooledNet` (int8 and float16 ones in
        quantized modules, as :func:`~recdistill.models._quant.quantize_net` makes)."""
        if self.precision == "float32":
            return super().networks()
        w = self._np
        net = quantize_net(self.build_net(self.n_items), self.precision)
        names = {"items": "items.ids", "w1": "mlp.0.weight", "w2": "mlp.3.weight"}
        state: dict[str, np.ndarray] = {
            "bos": w["bos"], "mlp.0.bias": w["b1"], "mlp.3.bias": w["b2"],
            "out_norm.weight": w["ln_w"], "out_norm.bias": w["ln_b"],
        }  # fmt: skip
        for name, module in names.items():
            state[f"{module}.values"] = w[name]
            state[f"{module}.scale"] = w.get(f"{name}.scale", np.zeros(0, np.float32))
        net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
        assert isinstance(net, PooledNet)
        return [net.eval()]

    def build_net(
        self,
        n_items: int,
        text: torch.Tensor | None = None,
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> PooledNet:
        cfg = self.config
        return PooledNet(n_items, cfg.d_model, cfg.max_len, cfg.dropout, cfg.decay, cfg.hidden_mult)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32: ``q(history) . item`` with ``q`` from the last position only."""
        w = self._weights()
        if len(batch) == 1:  # a single request: the fused one-row path
            return self._score_one(batch.items, w)[None, :]
        quantized = self.precision != "float32"
        mean, recent, last = self._pool_batch(batch, w)
        w1, w2 = (widen(w, "w1"), widen(w, "w2")) if quantized else (w["w1"], w["w2"])
        h = np.concatenate([mean, recent, last], axis=1) @ w1.T + w["b1"]
        h = 0.5 * h * (1.0 + special.erf(h / np.sqrt(2.0)))  # exact GELU, as torch's
        q = recent + h @ w2.T + w["b2"]
        q = (q - q.mean(axis=1, keepdims=True)) / np.sqrt(q.var(axis=1, keepdims=True) + 1e-5)
        q = q * w["ln_w"] + w["ln_b"]
        table = w["items"]
        if table.dtype == np.int8:  # (q . int8 row) * row scale
            out: np.ndarray = (q @ table.T.astype(np.float32)) * w["items.scale"][None, :]
        else:
            out = q @ table.T.astype(np.float32, copy=False)
        return out.astype(np.float32, copy=False)

    def _row_vectors(self, items: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
        """Float32 item vectors of ``items`` (dequantized rows of an int8 table)."""
        table = w["items"]
        vecs = table[items].astype(np.float32)
        if table.dtype == np.int8:
            vecs *= w["items.scale"][items][:, None]
        return vecs

    def _score_one(self, items: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
        """``I`` float32 scores of one history: :meth:`score`'s arithmetic for one row.

        A single request: float32 and int8 weights go through the compiled kernel
        (``_twotower_kernel``: one call, no temporaries); float16 weights, which
        numba cannot read, through :meth:`_score_one_numpy`.
        """
        if w["items"].dtype == np.float16:
            return self._score_one_numpy(items, w)
        if self._kernel_for is not w:
            empty = np.zeros(0, dtype=np.float32)
            self._kernel_weights = tuple(
                w.get(name, empty)
                for name in (
                    "items", "items.scale", "bos", "w1", "w1.scale", "b1",
                    "w2", "w2.scale", "b2", "ln_w", "ln_b",
                )
            )  # fmt: skip
            self._kernel_for = w
        from recdistill.models._twotower_kernel import score_history

        out: np.ndarray = score_history(
            items.astype(np.int32, copy=False),
            self.n_items,
            self.config.max_len,
            self.config.decay,
            *self._kernel_weights,
        )
        return out

    def _score_one_numpy(self, items: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
        """:meth:`_score_one` in numpy (float16 weights; the kernel's reference in tests).

        Kept to few numpy calls (their fixed cost, not the arithmetic, dominates at
        this size): recency weights and both normalisers precomputed per history
        length, matrix-vector products for the MLP, one ``I x D`` product.
        """
        f = self._fused()
        if items.size and (
            np.minimum.reduce(items) < 0 or np.maximum.reduce(items) >= self.n_items
        ):
            items = items[(items >= 0) & (items < self.n_items)]
        n = min(items.shape[0], self.config.max_len)
        bos = w["bos"]
        if n == 0:
            mean = recent = last = bos
        else:
            vecs = self._row_vectors(items[-n:], w)
            mean = (vecs.sum(axis=0) + bos) * f["mean_norm"][n]
            recent = (f["powers"][-n:] @ vecs + f["powers_bos"][n] * bos) * f["recent_norm"][n]
            last = vecs[-1]
        h = self._matvec(w, "w1", np.concatenate([mean, recent, last]))
        h += w["b1"]
        h *= 0.5 + 0.5 * special.erf(h * _SQRT_HALF)  # exact GELU, as torch's
        q = self._matvec(w, "w2", h)
        q += recent
        q += w["b2"]
        d = q.shape[0]
        q -= np.add.reduce(q) / d
        q *= w["ln_w"] * np.float32(1.0 / math.sqrt(float(q @ q) / d + 1e-5))
        q += w["ln_b"]
        return self._matvec(w, "items", q)

    @staticmethod
    def _matvec(w: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
        """``w[name] @ x`` in float32; an int8 matrix is widened inside the product and
        its row scales applied to the result (no float copy of the matrix is kept)."""
        a = w[name]
        out: np.ndarray = a @ x  # float32 for float32, float16 (widened) and int8 matrices
        if a.dtype == np.int8:
            out *= w[f"{name}.scale"]
        return out

    def _fused(self) -> dict[str, np.ndarray]:
        """Per-length constants of :meth:`_score_one_numpy` (from the config alone, made once)."""
        if self._fused_arrays is not None:
            return self._fused_arrays
        cap = self.config.max_len
        decay = np.float32(self.config.decay)
        powers = decay ** np.arange(cap - 1, -1, -1, dtype=np.float32)  # oldest .. latest
        n = np.arange(cap + 1, dtype=np.float32)
        powers_bos = decay**n  # BOS is n steps back behind n items
        psum = np.concatenate([[0.0], np.cumsum(powers[::-1])])  # the n latest weights
        self._fused_arrays = {
            "powers": powers,
            "powers_bos": powers_bos,
            "mean_norm": (1.0 / (n + 1.0)).astype(np.float32),
            "recent_norm": (1.0 / (psum + powers_bos)).astype(np.float32),
        }
        return self._fused_arrays

    def _pool_batch(
        self, batch: Histories, w: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mean, recent, last)``, each ``B x D``: per-row segment sums over the batch."""
        b, cap = len(batch), self.config.max_len
        lengths = np.diff(batch.indptr)
        keep = (batch.items >= 0) & (batch.items < self.n_items)
        rows = np.repeat(np.arange(b), lengths)[keep]
        items = batch.items[keep]
        counts = np.bincount(rows, minlength=b)
        back = np.cumsum(counts)[rows] - 1 - np.arange(len(items))  # 0 = the latest item
        take = back < cap
        rows, items, back = rows[take], items[take], back[take]
        n = np.minimum(counts, cap)  # items read per row (tokens: BOS + n)
        bos = w["bos"]
        vecs = self._row_vectors(items, w)
        # Items are grouped by row, in order: per-row sums are segment sums.
        nonempty = np.flatnonzero(n > 0)
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])[nonempty]
        decay = np.float32(self.config.decay)
        wi = decay ** back.astype(np.float32)
        wb = decay ** n.astype(np.float32)
        d = bos.shape[0]
        sums = np.zeros((b, d), dtype=np.float32)
        weighted = np.zeros_like(sums)
        norm = wb.copy()
        if len(nonempty):
            sums[nonempty] = np.add.reduceat(vecs, starts, axis=0)
            weighted[nonempty] = np.add.reduceat(vecs * wi[:, None], starts, axis=0)
            norm[nonempty] += np.add.reduceat(wi, starts)
        # uniform mean over BOS + items; recency: decay ** steps back (BOS: n steps back)
        mean = (sums + bos) / (n + 1)[:, None]
        recent = (weighted + wb[:, None] * bos) / norm[:, None]
        last = np.tile(bos, (b, 1))
        latest = back == 0
        last[rows[latest]] = vecs[latest]
        return mean, recent, last

    def _weights(self) -> dict[str, np.ndarray]:
        """The serving weights as numpy arrays (float32 from the network, cached per
        network object; a quantized model's own arrays)."""
        if self.precision != "float32":
            return self._np
        net = self.require_net()
        assert isinstance(net, PooledNet)
        if self._np_for is not net:
            lin1, lin2 = net.mlp[0], net.mlp[3]
            assert isinstance(lin1, nn.Linear) and isinstance(lin2, nn.Linear)
            with torch.no_grad():
                arrays = {
                    "items": net.items(),
                    "bos": net.bos,
                    "w1": lin1.weight,
                    "b1": lin1.bias,
                    "w2": lin2.weight,
                    "b2": lin2.bias,
                    "ln_w": net.out_norm.weight,
                    "ln_b": net.out_norm.bias,
                }
                self._np = {
                    k: np.ascontiguousarray(v.detach().float().cpu().numpy(), dtype=np.float32)
                    for k, v in arrays.items()
                }
            self._np_for = net
        return self._np

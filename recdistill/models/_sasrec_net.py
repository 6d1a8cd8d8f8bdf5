"""The SASRec network: a causal transformer over item histories, tied item table.

Shapes: ``B`` batch rows, ``T`` positions, ``D`` model width, ``I`` items,
``E`` text-embedding width, ``H`` heads.

Token ids: ``0..I-1`` items, ``I`` padding (a zero vector), ``I+1`` the
begin-of-sequence token (a learned vector; its output is the empty-history
query).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from recdistill.models._quant import QuantMatrix

INIT_STD = 0.02


class ItemTable(nn.Module):
    """Item representations ``I x D``: learned ID embeddings, optionally fused with
    text and with images.

    With a text table ``I x E`` (a language model's embedding of each item's
    text, fixed), an item's vector is

    - ``sum``:  ``id + W t``
    - ``gate``: ``g * id + (1 - g) * W t`` with ``g = sigmoid(G [id; W t])``,
      a learned gate per item and dimension,

    so an item never seen in training still has its text part (cold start).
    With an image table ``I x F`` (an image model's embedding of each item's
    picture, fixed) and its mask ``has_image [I]``, that vector ``e`` then
    meets the image the same way through its own projection and gate,
    ``g' * e + (1 - g') * W' v`` (``sum``: ``e + W' v``); an item without a
    usable image keeps ``e``. Without text or images it is a plain embedding
    table (also the frozen form that serving loads).
    """

    def __init__(
        self,
        n_items: int,
        d: int,
        text: torch.Tensor | None = None,
        fusion: Literal["gate", "sum"] = "gate",
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.n_items, self.d, self.fusion = n_items, d, fusion
        self.ids = nn.Parameter(torch.empty(n_items, d))
        nn.init.trunc_normal_(self.ids, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
        self.proj: nn.Linear | None = None
        self.gate: nn.Linear | None = None
        self.image_proj: nn.Linear | None = None
        self.image_gate: nn.Linear | None = None
        if text is not None:
            self.register_buffer("text", text.float(), persistent=False)
            self.proj, self.gate = self._side(text.shape[1], d, fusion)
        if image is not None:
            vectors, has_image = image
            self.register_buffer("image", vectors.float(), persistent=False)
            self.register_buffer("has_image", has_image.bool()[:, None], persistent=False)
            self.image_proj, self.image_gate = self._side(vectors.shape[1], d, fusion)

    @staticmethod
    def _side(width: int, d: int, fusion: str) -> tuple[nn.Linear, nn.Linear | None]:
        """A side input's projection ``width -> d`` and gate (zero-initialised: g = 0.5)."""
        gate = None
        if fusion == "gate":
            gate = nn.Linear(2 * d, d)
            nn.init.zeros_(gate.weight)
            nn.init.zeros_(gate.bias)
        return nn.Linear(width, d), gate

    @property
    def fused(self) -> bool:
        """Whether text or images feed the table (else it is plain ID embeddings)."""
        return self.proj is not None or self.image_proj is not None

    @staticmethod
    def _mix(e: torch.Tensor, t: torch.Tensor, gate: nn.Linear | None) -> torch.Tensor:
        if gate is None:
            return e + t
        g = torch.sigmoid(gate(torch.cat([e, t], dim=-1)))
        return g * e + (1.0 - g) * t

    def forward(self, ids: torch.Tensor | None = None) -> torch.Tensor:
        """Vectors of items ``ids`` (``[C]``), or of all items: ``C x D`` / ``I x D``."""
        table = self.ids
        if isinstance(table, QuantMatrix):  # a quantized student: widen what is read
            e = table.full() if ids is None else table[ids]
        else:
            e = table if ids is None else table[ids]
        if self.proj is not None:
            texts: torch.Tensor = self.text  # type: ignore[assignment]  # a registered buffer
            e = self._mix(e, self.proj(texts if ids is None else texts[ids]), self.gate)
        if self.image_proj is not None:
            images: torch.Tensor = self.image  # type: ignore[assignment]  # registered buffers
            has: torch.Tensor = self.has_image  # type: ignore[assignment]
            if ids is not None:
                images, has = images[ids], has[ids]
            e = torch.where(has, self._mix(e, self.image_proj(images), self.image_gate), e)
        return e


class FastDropout(nn.Module):
    """``nn.Dropout`` with the keep mask drawn as bytes (``p`` rounded to 1/256).

    On a CPU, ``bernoulli_`` (what ``nn.Dropout`` draws) took about 12 ms for
    a ``128 x 200 x 64`` activation here, a uint8 draw half of that; a
    transformer step runs seven of them. Same expectation as ``nn.Dropout``
    (kept values scaled by ``1 / (1 - p)``), seeded by torch's generator.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.cut = round(p * 256)  # drop when the byte is below this

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.cut == 0:
            return x
        keep = torch.empty(x.shape, dtype=torch.uint8, device=x.device).random_(0, 256)
        keep = keep >= self.cut
        return x * keep * (256.0 / (256 - self.cut))


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout: float) -> torch.Tensor:
    """Causal scaled dot-product attention (``B x H x T x hd``).

    On a CPU it runs in float32 even under bfloat16 autocast: the CPU's fused
    attention kernel is faster in float32 there (53 against 69 ms forward and
    backward for ``128 x 2 x 200 x 32`` here), and the cast back is cheap.
    """
    if q.device.type == "cpu" and q.dtype != torch.float32:
        dtype = q.dtype
        with torch.autocast("cpu", enabled=False):
            out = F.scaled_dot_product_attention(
                q.float(), k.float(), v.float(), dropout_p=dropout, is_causal=True
            )
        return out.to(dtype)
    return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)


class Block(nn.Module):
    """One transformer layer: causal multi-head self-attention + feed-forward.

    ``pre``: ``x + Attn(LN(x))`` then ``x + FFN(LN(x))`` (final LayerNorm in the
    network); ``post``: ``LN(x + Attn(x))`` then ``LN(x + FFN(x))`` (SASRec's
    original order).
    """

    def __init__(
        self, d: int, heads: int, ffn: int, dropout: float, attn_dropout: float, norm: str
    ) -> None:
        super().__init__()
        if d % heads:
            raise ValueError(f"d_model {d} is not divisible by n_heads {heads}")
        self.heads, self.attn_dropout, self.pre = heads, attn_dropout, norm == "pre"
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ffn)
        self.ff2 = nn.Linear(ffn, d)
        self.drop = FastDropout(dropout)

    def attend(self, x: torch.Tensor) -> torch.Tensor:
        """``B x T x D`` -> ``B x T x D``; position t sees positions ``<= t`` only."""
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        y = attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            self.attn_dropout if self.training else 0.0,
        )
        return self.drop(self.out(y.transpose(1, 2).reshape(b, t, d)))

    def feed(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.ff2(self.drop(F.gelu(self.ff1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre:
            x = x + self.attend(self.norm1(x))
            return x + self.feed(self.norm2(x))
        x = self.norm1(x + self.attend(x))
        return self.norm2(x + self.feed(x))


@contextlib.contextmanager
def eval_mode(nets: Sequence[nn.Module]) -> Iterator[None]:
    """The networks in eval mode within the block, each back in its own mode after.

    Networks already in eval mode are left alone (``eval()`` walks every
    submodule: a cost on the serving path, where nets stay in eval mode).
    """
    training = [net for net in nets if net.training]
    for net in training:
        net.eval()
    try:
        yield
    finally:
        for net in training:
            net.train(True)


def ensemble_logits(parts: Sequence[torch.Tensor]) -> torch.Tensor:
    """One network's logits as they are; several members': the mean of their
    log-probabilities (the log of the geometric mean, also logits)."""
    if len(parts) == 1:
        return parts[0]
    return torch.stack([p.log_softmax(dim=1) for p in parts]).mean(dim=0)


class SeqNet(nn.Module):
    """The interface of every sequential network: item table, BOS, ``encode``.

    ``forward(x, cand)`` returns the hidden states ``B x T x D`` and the item
    vectors to score against (``I x D`` for the full catalogue, ``C x D`` for
    candidates ``cand``), both computed inside ``forward`` so
    DistributedDataParallel sees every parameter used. Subclasses implement
    :meth:`encode` (token vectors to one query per position, causal).
    """

    def __init__(
        self,
        n_items: int,
        d: int,
        max_len: int,
        text: torch.Tensor | None = None,
        fusion: Literal["gate", "sum"] = "gate",
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.n_items, self.d, self.max_len = n_items, d, max_len
        self.pad, self.bos_id = n_items, n_items + 1
        self.items = ItemTable(n_items, d, text, fusion, image)
        self.bos = nn.Parameter(torch.zeros(d))
        nn.init.trunc_normal_(self.bos, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)

    def embed(self, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Token vectors ``B x T x D`` of ids ``x`` (``B x T``) given item vectors ``I x D``."""
        special = torch.stack([torch.zeros_like(self.bos), self.bos]).to(rows.dtype)
        return F.embedding(x, torch.cat([rows, special]))

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token vectors ``B x T x D`` -> hidden states ``B x T x D`` (position t sees <= t)."""
        raise NotImplementedError

    def query(self, tokens: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """The hidden state at position ``pos[b]`` of each row, ``B x D`` (what scoring
        reads); a subclass may compute it without the other positions."""
        h = self.encode(tokens)
        return h[torch.arange(h.shape[0], device=h.device), pos]

    def forward(
        self, x: torch.Tensor, cand: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states ``B x T x D`` for ids ``x`` (``B x T``) and the scoring table.

        Args:
            x: token ids, BOS first, right-padded.
            cand: optional candidate item ids ``[C]``; None scores all items.

        Returns:
            ``(hidden B x T x D, items I x D or C x D)``.
        """
        if cand is None:
            table = self.items()
            return self.encode(self.embed(x, table)), table
        # Only the items this batch touches: inputs and candidates (sampled softmax).
        flat = torch.cat([x.reshape(-1), cand])
        uniq, inv = torch.unique(flat, return_inverse=True)
        real = uniq < self.n_items
        rows = self.items(uniq.clamp(max=self.n_items - 1))
        special = torch.stack([torch.zeros_like(self.bos), self.bos]).to(rows.dtype)
        spec_idx = (uniq - self.n_items).clamp(min=0, max=1)
        rows = torch.where(real[:, None], rows, special[spec_idx])
        n = x.numel()
        tokens = rows[inv[:n]].view(*x.shape, -1)
        return self.encode(tokens), rows[inv[n:]]

    @torch.no_grad()
    def freeze_items(self) -> None:
        """Replace the (fused) item table by its values: the serving form, no text or
        image model needed."""
        if not self.items.fused:
            return
        table = self.items().detach().clone()
        frozen = ItemTable(self.n_items, self.d)
        frozen.ids.data.copy_(table)
        self.items = frozen.to(table.device)


class SASRecNet(SeqNet):
    """Item table + learned positions + ``n_layers`` causal transformer blocks."""

    def __init__(
        self,
        n_items: int,
        d: int,
        n_layers: int,
        n_heads: int,
        max_len: int,
        dropout: float,
        *,
        ffn_mult: float = 4.0,
        attn_dropout: float = 0.0,
        norm: Literal["pre", "post"] = "pre",
        text: torch.Tensor | None = None,
        fusion: Literal["gate", "sum"] = "gate",
        image: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        super().__init__(n_items, d, max_len, text, fusion, image)
        self.norm = norm
        self.pos = nn.Parameter(torch.zeros(max_len + 1, d))
        nn.init.trunc_normal_(self.pos, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
        # Post-LN normalises the input embedding (as SASRec); pre-LN normalises at the end.
        self.in_norm: nn.Module = nn.LayerNorm(d) if norm == "post" else nn.Identity()
        self.drop = FastDropout(dropout)
        ffn = max(1, round(ffn_mult * d))
        self.blocks = nn.ModuleList(
            Block(d, n_heads, ffn, dropout, attn_dropout, norm) for _ in range(n_layers)
        )
        self.out_norm: nn.Module = nn.LayerNorm(d) if norm == "pre" else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Linear) and m not in (self.items.gate, self.items.image_gate):
                nn.init.trunc_normal_(m.weight, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token vectors ``B x T x D`` -> hidden states ``B x T x D`` (causal)."""
        t = tokens.shape[1]
        h = self.drop(self.in_norm(tokens + self.pos[:t]))
        for block in self.blocks:
            h = block(h)
        out: torch.Tensor = self.out_norm(h)
        return out

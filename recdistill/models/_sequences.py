"""Training windows and length-bucketed batches for sequential models.

A user's training sequence ``s`` (oldest first) is cut into *windows* of at
most ``max_len + 1`` items, from the end backwards (``last`` only, or every
chunk when ``extra_windows``). A window over ``s[a:b]`` is trained as

    input   [BOS, s[a], ..., s[b-2]]      (b - a tokens)
    target  [s[a], s[a+1], ..., s[b-1]]

so every item of the window is a target once, the first one predicted from
BOS alone (which trains the empty-history query). At request time the input
is ``[BOS] + the last max_len items`` and the prediction is read at its last
position.

Batches: each epoch, windows are permuted with a generator seeded by
``(seed, epoch)``, sharded across ranks (equal counts), then grouped into
chunks of ``bucket`` batches whose windows are sorted by length, so a batch
pads only to its own longest window (typically a few percent of padding
instead of padding everything to ``max_len``). Batch order is shuffled.
Everything is vectorised numpy; no per-sample Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

IGNORE = -100  # target value of padding positions (cross-entropy ignore_index)


@dataclass(frozen=True)
class Windows:
    """Training windows over a flat item array.

    Attributes:
        items: int64 ``[N]``; every user's items, oldest first, users contiguous.
        start: int64 ``[W]``; first item of each window in ``items``.
        length: int64 ``[W]``; items in each window (tokens of its batch row).
    """

    items: np.ndarray
    start: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def tokens(self) -> int:
        return int(self.length.sum())


def make_windows(
    items: np.ndarray, indptr: np.ndarray, max_len: int, extra_windows: bool
) -> Windows:
    """Cut each user's row ``items[indptr[u]:indptr[u+1]]`` into windows of ``<= max_len + 1``.

    Example:
        >>> w = make_windows(np.arange(7), np.array([0, 2, 7]), 2, True)
        >>> w.start.tolist(), w.length.tolist()
        ([0, 2, 4], [2, 2, 3])
    """
    span = max_len + 1
    counts = np.diff(indptr)
    n_windows = np.where(counts > 0, -(-counts // span), 0) if extra_windows else (counts > 0)
    n_windows = n_windows.astype(np.int64)
    user = np.repeat(np.arange(len(counts)), n_windows)
    # k-th window from the end of the user's row: [end - (k+1)*span, end - k*span)
    first = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(n_windows, out=first[1:])
    k = np.arange(len(user), dtype=np.int64) - first[user]
    end = indptr[user + 1] - k * span
    start = np.maximum(end - span, indptr[user])
    order = np.argsort(start, kind="stable")
    return Windows(np.ascontiguousarray(items, dtype=np.int64), start[order], (end - start)[order])


@dataclass(frozen=True)
class SeqBatch:
    """One training batch, right-padded to its longest window.

    Attributes:
        inputs: int64 ``B x T``; BOS, then items; ``pad`` beyond each row's length.
        targets: int64 ``B x T``; next items; :data:`IGNORE` on padding.
        sequences: ``B`` (rows in the batch).
        index: int64 ``B x T``; each target's offset in ``windows.items`` (-1 on
            padding): the key of a training position (the teacher cache's row).
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    sequences: int
    index: torch.Tensor

    def to(self, device: torch.device) -> SeqBatch:
        if device.type == "cpu":
            return self
        return SeqBatch(
            self.inputs.to(device, non_blocking=True),
            self.targets.to(device, non_blocking=True),
            self.sequences,
            self.index.to(device, non_blocking=True),
        )


def pack(windows: Windows, rows: np.ndarray, pad: int, bos: int) -> SeqBatch:
    """Build the ``B x T`` input/target tensors of windows ``rows`` (vectorised)."""
    start = windows.start[rows]
    length = windows.length[rows]
    t = int(length.max())
    pos = np.arange(t, dtype=np.int64)[None, :]
    valid = pos < length[:, None]
    at = np.minimum(start[:, None] + pos, len(windows.items) - 1)
    targets = np.where(valid, windows.items[at], IGNORE)
    inputs = np.empty_like(targets)
    inputs[:, 0] = bos
    inputs[:, 1:] = np.where(valid[:, 1:], targets[:, :-1], pad)
    index = np.where(valid, at, -1)
    return SeqBatch(
        torch.from_numpy(inputs), torch.from_numpy(targets), len(rows), torch.from_numpy(index)
    )


def epoch_batches(
    windows: Windows,
    batch_size: int,
    *,
    seed: int,
    epoch: int,
    rank: int = 0,
    world: int = 1,
    bucket: int = 32,
    pad: int,
    bos: int,
) -> list[SeqBatch]:
    """This rank's batches for one epoch: permuted, sharded, length-bucketed, shuffled.

    Args:
        windows: the training windows.
        batch_size: windows per batch on this rank.
        seed, epoch: the permutation is a function of these only.
        rank, world: this rank's share (every rank gets the same number of batches).
        bucket: batches per length-sorting chunk (1: no bucketing).
        pad, bos: token ids of padding and of the begin-of-sequence token.
    """
    n = len(windows)
    if n == 0:
        return []
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(n)
    if world > 1:
        size = -(-n // world)
        order = np.resize(order, size * world)[rank::world]
    chunk = max(1, bucket) * batch_size
    groups: list[np.ndarray] = []
    for c in range(0, len(order), chunk):
        part = order[c : c + chunk]
        part = part[np.argsort(-windows.length[part], kind="stable")]
        groups += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    shuffle = np.random.default_rng([seed, epoch, 1]).permutation(len(groups))
    return [pack(windows, groups[i], pad, bos) for i in shuffle]


def history_batch(
    indptr: np.ndarray, items: np.ndarray, max_len: int, pad: int, bos: int, n_items: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs for scoring: ``[BOS] + last max_len items`` per row, right-padded.

    Items outside ``[0, n_items)`` are dropped. Returns ``(inputs B x T, last
    position index B)``.
    """
    lengths = np.diff(indptr)
    b = len(lengths)
    keep = (items >= 0) & (items < n_items)
    if not keep.all():
        row = np.repeat(np.arange(b), lengths)
        items = items[keep]
        lengths = np.bincount(row[keep], minlength=b)
        indptr = np.zeros(b + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
    take = np.minimum(lengths, max_len)
    t = int(take.max()) + 1 if b else 1
    pos = np.arange(t - 1, dtype=np.int64)[None, :]
    valid = pos < take[:, None]
    at = np.clip(indptr[1:, None] - take[:, None] + pos, 0, max(len(items) - 1, 0))
    body = np.where(valid, items[at] if len(items) else pad, pad)
    inputs = np.empty((b, t), dtype=np.int64)
    inputs[:, 0] = bos
    inputs[:, 1:] = body
    return torch.from_numpy(inputs), torch.from_numpy(take.astype(np.int64))

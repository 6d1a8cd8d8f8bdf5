"""The teacher's outputs per training position, computed once and kept on disk.

"Offline teacher, online student": before students train, the teacher scores
every training position once. A *position* is one target of the training
sequences, keyed by its offset ``p`` in the flat training item array (users
contiguous, oldest first, as in :class:`~recdistill.models.base.TrainData`);
the student's batches carry the same key (``SeqBatch.index``). Per position
the store keeps

- ``top_ids``   ``N x M`` int32: the teacher's top-``M`` items, best first, the
  position's history (``items[user_start:p]``) removed;
- ``top_logits`` ``N x M`` float16: their logits;
- ``lse``       ``N`` float32: logsumexp of the teacher's logits over the whole
  catalogue, which makes ``p_t(i) = exp(t_i - lse)`` exact for top-``M`` items
  (see :class:`~recdistill.distill.base.KDInputs`).

Files are ``.npy`` arrays opened as memory maps, so neither generation nor
training holds the store in memory: generation works through the positions in
chunks whose ``chunk x I`` logits fit ``memory_mb``, and training reads the
rows of one batch at a time. ``N = 100k, M = 100`` takes 60 MB on disk.

The teacher reads each position the way it was trained: windows of at most
``max_len + 1`` items cut from the end of each user's sequence
(:func:`~recdistill.models._sequences.make_windows`). Under ``torchrun`` each
rank scores its share of the windows into the same files (rank 0 creates them;
every rank writes disjoint rows). ``meta.json`` records a key over the teacher's
weights, the training data and ``M``: a store with the same key is reused, any
other is rebuilt.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recdistill.errors import ConfigError
from recdistill.models._sasrec_net import ensemble_logits, eval_mode
from recdistill.models._seqmodel import SequentialModel, digest
from recdistill.models._sequences import IGNORE, Windows, make_windows, pack
from recdistill.models.base import TrainData
from recdistill.progress import track
from recdistill.train import dist
from recdistill.train.device import Precision

log = logging.getLogger("recdistill.distill")

FILES = ("top_ids.npy", "top_logits.npy", "lse.npy")

# Logits scored at once per pass over a group: 2M float32 (8 MB, about the L2/L3 size).
SCORE_ENTRIES = 2**21


def history_pairs(
    index: np.ndarray, items: np.ndarray, indptr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(row, item)`` pairs: the items each position's user had before it
    (``items[start_u:p]``), as the sparse form of :func:`history_mask`.

    ``index``: positions (offsets in ``items``); ``indptr``: each user's start.
    """
    user = np.searchsorted(indptr, index, side="right") - 1
    start = indptr[user]
    lengths = index - start
    rows = np.repeat(np.arange(len(index)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return rows, items[np.repeat(start, lengths) + offsets]


def history_mask(
    index: np.ndarray, items: np.ndarray, indptr: np.ndarray, n_items: int
) -> np.ndarray:
    """``N x I`` bool: the items each position's user had before it (``items[start_u:p]``)."""
    rows, cols = history_pairs(index, items, indptr)
    mask = np.zeros((len(index), n_items), dtype=bool)
    mask[rows, cols] = True
    return mask


def chunk_positions(n_items: int, memory_mb: float) -> int:
    """Positions per teacher pass so that about three ``chunk x I`` float32 arrays fit."""
    return max(1, int(memory_mb * 2**20 // (3 * 4 * max(n_items, 1))))


def score_rows(n_items: int, device: torch.device, group: int) -> int:
    """Positions scored per slice: :data:`SCORE_ENTRIES` logits on a CPU (cache-sized),
    the whole ``group`` on a GPU (where one large kernel beats many small ones)."""
    if device.type == "cuda":
        return max(1, group)
    return max(1, SCORE_ENTRIES // max(n_items, 1))


def scoring_seconds(
    n_positions: int,
    n_items: int,
    *,
    d_model: int = 64,
    m: int = 100,
    memory_mb: float = 256.0,
    device: torch.device | None = None,
    precision: str = "auto",
) -> float:
    """Seconds :func:`build_teacher_cache` will take on ``n_positions`` x ``n_items``.

    Times the per-position work that grows with the catalogue (the logits of one
    :data:`SCORE_ENTRIES` slice, their logsumexp and top-``M``) on random numbers on
    this device (groups of ``memory_mb``, as :func:`build_teacher_cache`), and scales
    it to every position, plus 10% for the transformer pass
    and the writes (their share in a profile on 45k items). The teacher's weights do
    not change the cost, so this runs before the teacher is trained.
    """
    device = device or torch.device("cpu")
    step = score_rows(n_items, device, chunk_positions(n_items, memory_mb))
    m = min(m, n_items)
    policy = Precision.for_device(device, precision)
    dtype = policy.dtype or torch.float32
    gen = torch.Generator(device="cpu").manual_seed(0)
    hidden = torch.randn(step, d_model, generator=gen).to(device, dtype)
    table = torch.randn(n_items, d_model, generator=gen).to(device, dtype)

    def once() -> None:
        logits = (hidden @ table.T).float()
        torch.logsumexp(logits, dim=1)
        logits.topk(m, dim=1)

    once()
    once()  # the first calls of a process set up kernels: not part of the cost
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        once()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    per_step = sorted(times)[len(times) // 2]  # the median: one stall does not count
    return 1.1 * per_step * math.ceil(n_positions / step)


def cache_key(teacher: SequentialModel, data: TrainData, m: int) -> str:
    """Changes with the teacher's weights, the training sequences and ``M``."""
    state = teacher.state()
    arrays = [state[k] for k in sorted(state)]
    extra = json.dumps({"kind": teacher.kind, "m": m, "items": data.n_items}, sort_keys=True)
    return digest(data.interactions.item, data.indptr, *arrays, extra=extra)


@dataclass
class TeacherCache:
    """An opened store (memory-mapped, read-only); :meth:`lookup` gathers one batch's rows."""

    folder: Path
    top_ids: np.ndarray
    top_logits: np.ndarray
    lse: np.ndarray
    key: str

    @property
    def m(self) -> int:
        return int(self.top_ids.shape[1])

    @property
    def n_positions(self) -> int:
        return int(self.lse.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.top_ids.nbytes + self.top_logits.nbytes + self.lse.nbytes)

    @staticmethod
    def open(folder: Path) -> TeacherCache:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        arrays = [np.load(folder / f, mmap_mode="r", allow_pickle=False) for f in FILES]
        return TeacherCache(folder, arrays[0], arrays[1], arrays[2], meta["key"])

    def lookup(
        self, index: torch.Tensor, m: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(top ids N x m long, logits N x m float32, lse N float32)`` of positions ``index``."""
        idx = index.detach().cpu().numpy()
        cols = slice(None) if m is None else slice(0, m)
        ids = torch.from_numpy(np.asarray(self.top_ids[idx, cols], dtype=np.int64))
        logits = torch.from_numpy(np.asarray(self.top_logits[idx, cols], dtype=np.float32))
        lse = torch.from_numpy(np.asarray(self.lse[idx], dtype=np.float32))
        device = index.device
        return ids.to(device), logits.to(device), lse.to(device)


def _open_if_current(folder: Path, key: str) -> TeacherCache | None:
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        return None
    try:
        meta = json.loads(meta_file.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if meta.get("key") != key or not meta.get("complete"):
        return None
    return TeacherCache.open(folder)


def build_teacher_cache(
    teacher: SequentialModel,
    data: TrainData,
    folder: Path,
    *,
    m: int = 100,
    memory_mb: float = 256.0,
    progress: bool = True,
    precision: str = "fp32",
) -> TeacherCache:
    """Score every training position with ``teacher`` into ``folder`` (or reuse a current store).

    Args:
        teacher: a fitted sequential model (its first network is used).
        data: the training data the students will train on.
        folder: where the store lives (created).
        m: items kept per position (at most the catalogue size).
        memory_mb: bound on the teacher's logits held at once.
        progress: show a progress bar (rank 0).
        precision: ``auto`` / ``bf16`` scores under bfloat16 autocast where the
            device has it (the stored logits are float16 anyway); ``fp32``: float32.

    Call on every rank under ``torchrun``; each scores its share.
    """
    n_items = data.n_items
    m = min(m, n_items)
    if m < 1:
        raise ConfigError("distill.top_m: must be at least 1")
    key = cache_key(teacher, data, m)
    current = _open_if_current(folder, key) if dist.is_main() else None
    reuse = bool(dist.broadcast_object(current is not None))
    if reuse:
        dist.barrier()
        return current if current is not None else TeacherCache.open(folder)
    n = len(data.interactions)
    if dist.is_main():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").unlink(missing_ok=True)
        shapes: list[tuple[str, Any, tuple[int, ...]]] = [
            ("top_ids.npy", np.int32, (n, m)),
            ("top_logits.npy", np.float16, (n, m)),
            ("lse.npy", np.float32, (n,)),
        ]
        for name, dtype, shape in shapes:
            np.lib.format.open_memmap(folder / name, mode="w+", dtype=dtype, shape=shape).flush()
    dist.barrier()
    out = [np.load(folder / f, mmap_mode="r+", allow_pickle=False) for f in FILES]
    nets = teacher.members or [teacher.require_net()]
    windows = make_windows(data.interactions.item, data.indptr, nets[0].max_len, True)
    mine = np.arange(dist.rank(), len(windows), dist.world_size())
    mine = mine[np.argsort(windows.length[mine], kind="stable")]
    budget = chunk_positions(n_items, memory_mb)
    groups = _group_by_positions(windows, mine, budget)
    device = nets[0].items.ids.device
    policy = Precision.for_device(device, precision)
    with eval_mode(nets), torch.inference_mode(), policy.autocast(device):
        # the item tables in the autocast dtype once, not once per matmul
        members = [(net, net.items().to(policy.dtype or torch.float32)) for net in nets]
        show = progress and dist.is_main()
        for rows in track(groups, "teacher cache", total=len(groups), enabled=show):
            _score_rows(members, windows, rows, data, out, m)
    for arr in out:
        arr.flush()
    del out
    dist.barrier()
    if dist.is_main():
        meta = {"key": key, "m": m, "positions": n, "items": n_items, "complete": True}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        log.info("teacher cache: %d positions x top-%d in %s", n, m, folder)
    dist.barrier()
    return TeacherCache.open(folder)


def _group_by_positions(windows: Windows, rows: np.ndarray, budget: int) -> list[np.ndarray]:
    """Consecutive runs of ``rows`` holding at most ``budget`` positions (one window at least)."""
    groups: list[np.ndarray] = []
    start, total = 0, 0
    for i, r in enumerate(rows):
        length = int(windows.length[r])
        if total and total + length > budget:
            groups.append(rows[start:i])
            start, total = i, 0
        total += length
    if start < len(rows):
        groups.append(rows[start:])
    return groups


def teacher_hidden(
    members: list[tuple[Any, torch.Tensor]], inputs: torch.Tensor, mask: torch.Tensor
) -> list[torch.Tensor]:
    """Each member's hidden states (``N x D``) at the real positions ``mask`` of ``inputs``."""
    out = []
    for net, table in members:
        device = table.device
        out.append(net.encode(net.embed(inputs.to(device), table))[mask.to(device)])
    return out


def member_logits(
    members: list[tuple[Any, torch.Tensor]], hidden: list[torch.Tensor], rows: slice
) -> torch.Tensor:
    """The teacher's ``n x I`` float32 logits of positions ``rows`` (an ensemble's mean
    log-probabilities, as it scores)."""
    parts = [(h[rows] @ table.T).float() for (_, table), h in zip(members, hidden, strict=True)]
    return ensemble_logits(parts)


def _score_rows(
    members: list[tuple[Any, torch.Tensor]],
    windows: Windows,
    rows: np.ndarray,
    data: TrainData,
    out: list[np.ndarray],
    m: int,
) -> None:
    """Teacher outputs of the positions of windows ``rows``, written into ``out``.

    The transformer runs once over the group; the ``n x I`` logits are then taken
    :data:`SCORE_ENTRIES` at a time, so the logsumexp, the history's removal and the
    top-``M`` work on arrays that stay in cache (on a 45k-item catalogue this is
    about 2.5x faster than one pass over the group's logits).
    """
    n_items = data.n_items
    batch = pack(windows, rows, n_items, n_items + 1)
    mask = batch.targets != IGNORE
    hidden = teacher_hidden(members, batch.inputs, mask)
    index = batch.index[mask].numpy()
    seen_rows, seen_items = history_pairs(index, data.interactions.item, data.indptr)
    bounds = np.searchsorted(seen_rows, np.arange(0, len(index) + 1))
    step = score_rows(n_items, members[0][1].device, len(index))
    for lo in range(0, len(index), step):
        hi = min(lo + step, len(index))
        logits = member_logits(members, hidden, slice(lo, hi))
        lse = torch.logsumexp(logits, dim=1)
        a, b = bounds[lo], bounds[hi]
        r = torch.from_numpy(seen_rows[a:b] - lo).to(logits.device)
        c = torch.from_numpy(seen_items[a:b].astype(np.int64)).to(logits.device)
        logits[r, c] = float("-inf")
        top_logits, top_ids = logits.topk(m, dim=1)
        at = index[lo:hi]
        out[0][at] = top_ids.cpu().numpy().astype(np.int32)
        out[1][at] = top_logits.cpu().numpy().astype(np.float16)
        out[2][at] = lse.cpu().numpy()

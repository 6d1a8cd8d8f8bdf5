"""Distributed helpers: one code path for 1 process and for ``torchrun``.

Under ``torchrun --nproc_per_node=N`` every process gets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and ``MASTER_ADDR``/``MASTER_PORT`` in its
environment; :func:`init_from_env` joins the process group (gloo on CPU, NCCL
on CUDA). Without those variables everything here degrades to the 1-process
answer (rank 0 of a world of 1), so callers never branch on "distributed or
not".

Example:
    >>> init_from_env()  # no-op outside torchrun
    False
    >>> rank(), world_size(), is_main()
    (0, 1, True)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as torch_dist

_local = 0  # depth of active `local()` blocks


@contextlib.contextmanager
def local() -> Iterator[None]:
    """Within the block this process acts alone (rank 0 of 1), whatever the process group.

    For work that one rank does by itself after the collective part of a run
    (under torchrun, rank 0 trains the students while the others have finished):
    training inside the block neither wraps DDP nor waits at barriers.
    """
    global _local
    _local += 1
    try:
        yield
    finally:
        _local -= 1


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first, the other ranks after it (e.g. rank 0 fills an
    on-disk cache that the others then read); without a process group, just the block."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


def env_world_size() -> int:
    """``WORLD_SIZE`` from the environment (1 when unset)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    """True when a process group with more than one process is active."""
    return (
        not _local
        and torch_dist.is_available()
        and torch_dist.is_initialized()
        and torch_dist.get_world_size() > 1
    )


def rank() -> int:
    """This process's global rank (0 when not distributed)."""
    return torch_dist.get_rank() if is_distributed() else 0


def local_rank() -> int:
    """This process's rank on its machine (``LOCAL_RANK``; 0 when unset)."""
    return int(os.environ.get("LOCAL_RANK", "0")) if is_distributed() else 0


def world_size() -> int:
    """Number of processes (1 when not distributed)."""
    return torch_dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """True on the process that validates and writes artifacts (rank 0)."""
    return rank() == 0


def init_from_env(backend: str | None = None, timeout_s: float = 4 * 3600.0) -> bool:
    """Join the process group described by torchrun's environment variables.

    Args:
        backend: ``gloo`` or ``nccl``; default NCCL when CUDA is available, else gloo.
        timeout_s: collective timeout (validation on rank 0 makes the others wait).

    Returns:
        True when this process is now part of a group of more than one process.
    """
    if is_distributed():
        return True
    if env_world_size() <= 1 or not torch_dist.is_available():
        return False
    if not torch_dist.is_initialized():
        if backend is None:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        torch_dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    return is_distributed()


def barrier() -> None:
    """Wait for every process (no-op when not distributed)."""
    if is_distributed():
        torch_dist.barrier()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """``obj`` from rank ``src`` on every rank (returned unchanged when not distributed).

    Objects must be small and built of plain Python values (pickled by torch's
    collective; this is process-to-process traffic, never a file).
    """
    if not is_distributed():
        return obj
    box = [obj]
    torch_dist.broadcast_object_list(box, src=src)
    return box[0]


def all_reduce_sum(values: list[float], device: torch.device | None = None) -> list[float]:
    """Element-wise sum of ``values`` over all ranks (unchanged when not distributed)."""
    if not is_distributed():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch_dist.all_reduce(t)
    return [float(v) for v in t.tolist()]


def global_mean_scale(n_local: torch.Tensor) -> torch.Tensor:
    """Factor that turns this rank's per-example mean loss into its share of the global mean.

    DDP averages gradients over ranks, which weights every rank's mean loss
    equally even when the ranks' batches hold different numbers of examples
    (real positions of variable-length sequences). Multiplying each rank's
    mean by ``n_local * world / n_total`` makes the averaged gradient that of
    the mean over all ranks' examples, as one process with the whole batch
    would compute. ``1`` when not distributed.
    """
    if not is_distributed():
        return torch.ones((), device=n_local.device)
    total = n_local.detach().to(torch.float64).clone()
    torch_dist.all_reduce(total)
    world = torch_dist.get_world_size()
    return (n_local.to(torch.float64) * world / total.clamp_min(1.0)).float()


def shard_size(n: int, world: int) -> int:
    """Per-rank share of ``n`` examples when every rank gets the same count (wrapping)."""
    return -(-n // world) if n else 0


def shard(order: torch.Tensor, rank_: int, world: int) -> torch.Tensor:
    """This rank's share of a (permuted) index vector; every rank gets the same count.

    Like ``DistributedSampler``: the order is padded by wrapping around so its
    length divides by ``world``, then rank ``r`` takes positions ``r, r+world, ...``.
    Equal counts keep DDP's collectives in step.

    Example:
        >>> shard(torch.arange(5), 1, 2).tolist()
        [1, 3, 0]
    """
    if world <= 1:
        return order
    n = order.shape[0]
    size = shard_size(n, world)
    if size * world > n:
        reps = -(-size * world // n)
        order = order.repeat(reps)[: size * world]
    return order[rank_::world]


def destroy() -> None:
    """Leave the process group (for tests that start and stop groups)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()

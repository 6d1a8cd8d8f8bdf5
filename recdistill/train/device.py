"""Device, precision, threads and seeds: the run context of a training loop.

``device="auto"`` picks CUDA when present (the local rank's GPU under
torchrun) and the CPU otherwise.

Precision (``precision: auto | bf16 | fp32`` in the run config): the weights,
the optimizer state and the loss stay float32; ``auto`` runs the forward and
backward matmuls under autocast where the hardware is faster for it:

- CUDA: bfloat16 where the GPU supports it (no loss scaling needed), else
  float16 with a gradient scaler;
- CPU: bfloat16 where the CPU has native bf16 dot products (AVX-512 BF16 or
  AMX, detected at run time: :func:`cpu_bf16`), else float32.

``bf16`` asks for bfloat16 and falls back to float32 (with a log line) where
neither device has it; ``fp32`` turns autocast off.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from recdistill.errors import ConfigError
from recdistill.train import dist

log = logging.getLogger("recdistill.train")

PRECISIONS = ("auto", "bf16", "fp32")


def cpu_bf16() -> bool:
    """Whether this CPU has native bfloat16 dot products (AVX-512 BF16 or AMX-BF16)."""
    try:
        caps = torch.cpu.get_capabilities()
    except (AttributeError, RuntimeError):  # older torch: no capability report
        return False
    return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))


def select_device(spec: str = "auto") -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> a :class:`torch.device`.

    Raises:
        ConfigError: CUDA was asked for but is not available.
    """
    spec = spec.strip().lower()
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device '{spec}': CUDA is not available on this machine")
        if spec == "cuda":
            return torch.device("cuda", dist.local_rank())
        return torch.device(spec)
    if spec != "cpu":
        raise ConfigError(f"device '{spec}': expected auto, cpu, cuda or cuda:N")
    return torch.device("cpu")


@dataclass(frozen=True)
class Precision:
    """Mixed-precision policy: autocast dtype (None: float32) and loss scaling."""

    dtype: torch.dtype | None
    scale_loss: bool

    @staticmethod
    def for_device(device: torch.device, requested: str = "auto") -> Precision:
        """The policy for ``device`` and the config's ``precision`` (see the module docstring).

        Raises:
            ConfigError: ``requested`` is not one of ``auto``, ``bf16``, ``fp32``.
        """
        if requested not in PRECISIONS:
            raise ConfigError(f"precision '{requested}': expected auto, bf16 or fp32")
        if requested == "fp32":
            return Precision(None, False)
        if device.type == "cuda":
            if torch.cuda.is_bf16_supported():
                return Precision(torch.bfloat16, False)
            if requested == "auto":
                return Precision(torch.float16, True)
        elif device.type == "cpu" and cpu_bf16():
            return Precision(torch.bfloat16, False)
        if requested == "bf16":
            log.info("precision bf16: not supported on %s; training in float32", device)
        return Precision(None, False)

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager[object]:
        """The autocast context for forward passes (a no-op in float32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.dtype)

    @property
    def name(self) -> str:
        return "float32" if self.dtype is None else str(self.dtype).removeprefix("torch.")


def _busy_cores(window_s: float = 0.2) -> float:
    """Cores kept busy by other work right now (from ``/proc/stat``; 0 where unavailable)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
        return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)

    try:
        total0, idle0 = sample()
        time.sleep(window_s)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    if total1 <= total0:
        return 0.0
    busy = 1.0 - (idle1 - idle0) / (total1 - total0)
    return busy * (os.cpu_count() or 1)


def default_threads() -> int:
    """CPU threads for one process: its share of the cores, less those busy elsewhere.

    The cores this process may use are divided among the local ranks and
    capped by the cores idle at the start of training (sampled for 0.2 s). On
    a shared machine an OpenMP thread waiting for a core that someone else
    holds stalls every parallel op (measured here: a 2-thread epoch 4x slower
    than a 1-thread one while another job held a core). Pass
    ``FitOptions.threads`` to fix the count (e.g. for bitwise reproducibility).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    local = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
    share = max(1, cores // max(1, local))
    if local > 1:  # the ranks themselves keep the cores busy
        return share
    free = max(1, round(cores - _busy_cores()))
    return min(share, free)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[int]:
    """Set torch's intra-op threads for the block (default :func:`default_threads`)."""
    n = threads if threads is not None and threads > 0 else default_threads()
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)


def derive_seed(*parts: int) -> int:
    """A 63-bit seed derived from integers (seed, epoch, rank, ...), stable across runs.

    Example:
        >>> derive_seed(0, 1) == derive_seed(0, 1) != derive_seed(0, 2)
        True
    """
    digest = hashlib.sha256(",".join(str(int(p)) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def seed_torch(seed: int) -> None:
    """Seed torch's CPU and CUDA generators."""
    torch.manual_seed(seed)

"""Per-epoch checkpoints that resume a run to the same result.

A checkpoint holds only tensors, state dicts and plain Python values (saved
with :func:`torch.save`, read back with ``weights_only=True``: nothing is
unpickled beyond tensors and containers):

- ``fingerprint``: what the run was (model config, data digest, seed, world
  size); a checkpoint of another run is ignored, never resumed;
- ``epoch``: epochs completed;
- ``model`` / ``optimizer`` / ``scaler``: state dicts;
- ``rng``: torch CPU (and CUDA) generator states;
- ``best``: best epoch, its validation value and its weights;
- ``stale``: epochs since the best one (early-stopping counter);
- ``log``: the per-epoch records so far (for ``train_log.json``).

Files are written to a temporary name and renamed, so a crash mid-write
leaves the previous checkpoint intact.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger("recdistill.train")

CHECKPOINT_FORMAT = 1
LAST = "last.pt"


def checkpoint_dir(out_dir: Path) -> Path:
    return out_dir / "checkpoints"


def rng_state() -> dict[str, Any]:
    """Torch generator states (CPU, and every CUDA device when present)."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def cpu_state_dict(module: torch.nn.Module) -> dict[str, Any]:
    """A detached CPU copy of ``module.state_dict()`` (safe to keep across steps).

    Non-tensor entries (a module's ``get_extra_state``) are deep-copied.
    """
    return {
        k: v.detach().to("cpu", copy=True) if isinstance(v, torch.Tensor) else copy.deepcopy(v)
        for k, v in module.state_dict().items()
    }


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        torch.save({"format": CHECKPOINT_FORMAT, **payload}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path, fingerprint: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it belongs to this run, else None.

    A missing file, another run's fingerprint, an old format or an unreadable
    file all mean "start fresh" (logged), never an error.
    """
    if not path.exists():
        return None
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torn or foreign file: start over
        log.warning("checkpoint %s unreadable (%s); starting fresh", path, exc)
        return None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        log.warning("checkpoint %s has another format; starting fresh", path)
        return None
    if ckpt.get("fingerprint") != fingerprint:
        log.info("checkpoint %s belongs to another run; starting fresh", path)
        return None
    return ckpt

"""Which models of a run folder are served, and their versions.

The **student** slot holds the model with role ``student`` in ``metrics.json``;
with several, a distilled one (``kd`` not null) first, then the best
validation NDCG@10. ``--model NAME`` overrides the choice. A run without a
student serves its best non-teacher model (by validation NDCG@10) in the
student slot and says so (``ServedModels.note``, ``/health``, the startup
log). The **teacher** slot holds the role ``teacher`` model when present.

A model's version is the SHA-256 of its artifact files (``config.json`` +
``state.safetensors``), first 12 hex digits: the same bytes, the same version.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from recdistill.errors import UserError
from recdistill.models.base import Histories, Recommender
from recdistill.runfolder import RunFolder
from recdistill.serve.batcher import Batcher, BatcherClosed

log = logging.getLogger("recdistill.serve")

ROLES = ("student", "teacher")
# Scoring faster than this runs on the event loop; slower runs in a worker thread.
INLINE_SCORING_MS = 0.5


@dataclass
class ServedModel:
    """One loaded model in a slot (``student`` or ``teacher``)."""

    slot: str
    name: str
    role: str
    kind: str
    kd: str | None
    model: Recommender
    version: str
    modified: str
    headline: dict[str, Any]
    latency_ms: float = 0.0
    # Models are not promised to be thread-safe (a torch model may switch train/eval
    # modes inside score()), so one model scores one request at a time.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Slow models score on their own thread, in batches of the requests waiting.
    batcher: Batcher | None = field(default=None, repr=False)

    def score(self, batch: Histories) -> np.ndarray:
        """The model's ``B x I`` scores, one call at a time."""
        with self.lock:
            return self.model.score(batch)

    def score_one(self, hist: np.ndarray, user: int) -> np.ndarray:
        """One user's row of scores (blocking; any thread).

        A request that reached this model just after a hot swap closed its batcher
        is scored here, directly, by this (old) model: every request is answered
        wholly by the models it started with, and none waits on a stopped thread.
        """
        if self.batcher is not None:
            try:
                return self.batcher.submit(hist, user).result()
            except BatcherClosed:
                pass
        return self.score(_one(hist, user))[0]

    async def score_one_async(self, hist: np.ndarray, user: int) -> np.ndarray:
        """One user's row: inline for a fast model, else awaited from the batcher
        (from a worker thread once a hot swap has closed it; see :meth:`score_one`)."""
        if self.batcher is None:
            return self.score(_one(hist, user))[0]
        try:
            future = self.batcher.submit(hist, user)
        except BatcherClosed:
            return await asyncio.to_thread(self.score_one, hist, user)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()

    @property
    def inline(self) -> bool:
        """Cheap enough to score on the event loop."""
        return self.latency_ms < INLINE_SCORING_MS

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind,
            "kd": self.kd,
            "version": self.version,
            "artifact_modified": self.modified,
            "scoring_ms": round(self.latency_ms, 4),
            "scored_on": "event loop" if self.inline else "batching thread",
        }


def _one(hist: np.ndarray, user: int) -> Histories:
    return Histories(
        np.asarray([user], dtype=np.int64), np.asarray([0, hist.size], dtype=np.int64), hist
    )


@dataclass
class ServedModels:
    student: ServedModel
    teacher: ServedModel | None
    note: str | None  # why the student slot holds a non-student, when it does

    def get(self, slot: str) -> ServedModel | None:
        return self.student if slot == "student" else self.teacher if slot == "teacher" else None

    def slots(self) -> list[ServedModel]:
        return [m for m in (self.student, self.teacher) if m is not None]

    def close(self) -> None:
        """Stop the scoring threads (after the requests already queued)."""
        for m in self.slots():
            m.close()


def artifact_version(folder: Path) -> tuple[str, str]:
    """``(sha256 prefix, newest modification time as ISO-8601)`` of a model folder."""
    h = hashlib.sha256()
    newest = 0.0
    for name in ("config.json", "state.safetensors"):
        f = folder / name
        if not f.exists():
            continue
        newest = max(newest, f.stat().st_mtime)
        h.update(name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12], datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds")


def _val_ndcg(entry: dict[str, Any]) -> float:
    for key in ("val_metrics", "metrics"):
        value = (entry.get(key) or {}).get("ndcg@10")
        if isinstance(value, int | float):
            return float(value)
    return float("-inf")


def choose(models: dict[str, dict[str, Any]], available: list[str], override: str | None
           ) -> tuple[str, str | None, str | None]:
    """``(student name, teacher name or None, note)`` from metrics.json's ``models``."""
    present = {n: e for n, e in models.items() if n in available}
    for n in available:  # saved but missing from metrics.json: still servable by name
        present.setdefault(n, {"role": "baseline", "kd": None})
    teachers = sorted(
        (n for n, e in present.items() if e.get("role") == "teacher"),
        key=lambda n: -_val_ndcg(present[n]),
    )
    teacher = teachers[0] if teachers else None
    if override is not None:
        if override not in available:
            known = ", ".join(available) or "none"
            raise UserError(f"--model: no saved model '{override}' (models: {known})")
        return override, teacher, None
    students = [n for n, e in present.items() if e.get("role") == "student"]
    if students:
        best = max(students, key=lambda n: (present[n].get("kd") is not None,
                                            _val_ndcg(present[n]), n))
        return best, teacher, None
    others = [n for n, e in present.items() if e.get("role") != "teacher"]
    if not others:
        if teacher is None:
            raise UserError("run folder has no saved models to serve")
        return teacher, teacher, (
            f"run has no student and no baseline; serving the teacher '{teacher}' in the "
            "student slot"
        )
    best = max(others, key=lambda n: (_val_ndcg(present[n]), n))
    return best, teacher, (
        f"run has no student; serving the best non-teacher model '{best}' "
        f"({present[best].get('role', 'baseline')}, validation ndcg@10 "
        f"{_val_ndcg(present[best]):.4f}) in the student slot"
    )


def load_models(run: RunFolder, override: str | None = None) -> ServedModels:
    """Load the student (and teacher) artifacts of ``run``; measure their scoring cost."""
    models: dict[str, dict[str, Any]] = run.metrics.get("models", {})
    student, teacher, note = choose(models, run.model_names(), override)
    by_name: dict[str, ServedModel] = {}
    by_slot: dict[str, ServedModel] = {}
    try:
        for slot, name in (("student", student), ("teacher", teacher)):
            if name is None:
                continue
            if name in by_name:  # the same artifact in both slots: share its model and thread
                by_slot[slot] = dataclasses.replace(by_name[name], slot=slot)
                continue
            by_slot[slot] = by_name[name] = _load(run, slot, name, models.get(name, {}))
    except BaseException:
        for m in by_name.values():
            m.close()
        raise
    return ServedModels(by_slot["student"], by_slot.get("teacher"), note)


def _load(run: RunFolder, slot: str, name: str, entry: dict[str, Any]) -> ServedModel:
    version, modified = artifact_version(run.model_dir(name))
    model = run.model(name)
    served = ServedModel(
        slot=slot,
        name=name,
        role=str(entry.get("role", "baseline")),
        kind=str(entry.get("kind", model.kind)),
        kd=entry.get("kd"),
        model=model,
        version=version,
        modified=modified,
        headline=headline(entry),
    )
    served.latency_ms = _measure(model)
    if not served.inline:
        served.batcher = Batcher(served.score, name)
    return served


def headline(entry: dict[str, Any]) -> dict[str, Any]:
    """The numbers the page shows for one model (test split)."""
    metrics = entry.get("metrics") or {}
    return {
        "ndcg@10": metrics.get("ndcg@10"),
        "recall@10": metrics.get("recall@10"),
        "serving_bytes": entry.get("serving_bytes"),
        "params": entry.get("params"),
        "latency_ms_per_user": entry.get("latency_ms_per_user"),
    }


def _measure(model: Recommender, repeats: int = 20) -> float:
    """Median milliseconds of one single-user ``recommend`` (after a warm-up)."""
    n = max(1, model.n_items)
    hist = Histories.from_lists([list(range(min(n, 8)))])
    model.recommend(hist, 10)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.recommend(hist, 10)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))

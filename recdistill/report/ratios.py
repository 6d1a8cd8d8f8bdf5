"""Students against their teacher: the ``distillation`` rows of ``metrics.json``.

For each distilled or scratch student, the ratios of DESIGN.md: % of the
teacher's NDCG@k, % of the teacher-scratch gap closed, serving-bytes ratio,
latency ratios, and recall by popularity group.
"""

from __future__ import annotations

from typing import Any

MIN_GAP = 0.01  # a teacher-scratch gap below 1% of the teacher's score is not reported


def distillation_rows(models: dict[str, dict[str, Any]], k: int = 10) -> list[dict[str, Any]]:
    """One row per distilled student: quality and size against its teacher and scratch twin.

    ``pct_of_teacher`` = student / teacher NDCG@k; ``gap_closed`` = (student -
    scratch) / (teacher - scratch) (None when the teacher does not beat
    scratch by more than ``MIN_GAP`` of its own score); ``bytes_ratio`` =
    student / teacher serving bytes;
    ``speedup`` = teacher / student latency per user (single requests).
    """
    key = f"ndcg@{k}"
    rows = []
    for name, m in models.items():
        if m.get("role") != "student" or m.get("teacher") not in models:
            continue
        t = models[m["teacher"]]
        scratch_name = f"{m.get('student')}-scratch"
        s = models.get(scratch_name)
        q, qt = m["metrics"][key], t["metrics"][key]
        qs = s["metrics"][key] if s is not None else None
        gap = qt - qs if qs is not None else None
        rows.append(
            {
                "model": name,
                "kd": m.get("kd"),
                "teacher": m["teacher"],
                "scratch": scratch_name if s is not None else None,
                key: q,
                "pct_of_teacher": q / qt if qt else None,
                # only where the teacher beats scratch by more than 1% of its score: a
                # smaller gap is within seed noise and its ratio means nothing
                "gap_closed": (q - qs) / gap
                if gap is not None and qs is not None and gap > MIN_GAP * qt
                else None,
                "bytes_ratio": m["serving_bytes"] / t["serving_bytes"],
                "speedup": t["latency_ms_per_user"] / max(m["latency_ms_per_user"], 1e-9),
                "speedup_batched": t["latency_ms_per_user_batched"]
                / max(m["latency_ms_per_user_batched"], 1e-9),
                **{
                    f"recall_{g}@{k}": m["metrics"].get(f"recall_{g}@{k}")
                    for g in ("head", "mid", "tail")
                },
            }
        )
    return rows

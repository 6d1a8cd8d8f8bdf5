"""The tables a run prints when it ends: every model's results, and the students' ratios."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from recdistill.report.format import fmt_bytes, pct


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=160)


def print_table(metrics: dict[str, Any]) -> None:
    """One summary table: quality, catalogue metrics, size and latency per model."""
    k = metrics["k"][0]
    table = Table(title=f"{metrics['dataset']['name']} - test split, full ranking")
    for col in (
        "model",
        "role",
        "kd",
        f"NDCG@{k}",
        f"Recall@{k}",
        f"HR@{k}",
        f"Cov@{k}",
        f"Nov@{k}",
        "params",
        "serving",
        "ms/user",
    ):
        table.add_column(col, justify="left" if col in ("model", "role", "kd") else "right")
    rows = sorted(
        metrics["models"].items(), key=lambda kv: -(kv[1]["metrics"].get(f"ndcg@{k}") or 0.0)
    )
    for name, m in rows:
        q = m["metrics"]
        table.add_row(
            name,
            m["role"],
            m["kd"] or "-",
            f"{q[f'ndcg@{k}']:.4f}",
            f"{q[f'recall@{k}']:.4f}",
            f"{q[f'hr@{k}']:.4f}",
            f"{q[f'coverage@{k}']:.3f}",
            f"{q[f'novelty@{k}']:.2f}",
            f"{m['params']:,}",
            fmt_bytes(m["serving_bytes"]),
            f"{m['latency_ms_per_user']:.3f}",
        )
    _console().print(table)


def print_ratios(rows: list[dict[str, Any]], k: int = 10) -> None:
    """The distillation table: % of teacher, gap closed, size and speed ratios."""
    if not rows:
        return
    table = Table(title="Students against their teacher (test, full ranking)")
    cols = ["student", "kd", f"NDCG@{k}", "% of teacher", "% of gap closed", "bytes ratio"]
    cols += ["speed-up", "recall head/mid/tail"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("student", "kd") else "right")
    for r in rows:
        groups = "/".join(
            "-" if r[f"recall_{g}@{k}"] is None else f"{r[f'recall_{g}@{k}']:.3f}"
            for g in ("head", "mid", "tail")
        )
        table.add_row(
            r["model"],
            r["kd"] or "- (scratch)",
            f"{r[f'ndcg@{k}']:.4f}",
            pct(r["pct_of_teacher"]),
            pct(r["gap_closed"]) if r["kd"] else "-",
            pct(r["bytes_ratio"]),
            f"{r['speedup']:.1f}x",
            groups,
        )
    _console().print(table)

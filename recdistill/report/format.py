"""How numbers read in the report and the printed tables (one definition each)."""

from __future__ import annotations

from typing import Any

from recdistill.progress import fmt_seconds

__all__ = ["fmt_bytes", "fmt_seconds", "num", "pct"]


def fmt_bytes(n: float | None) -> str:
    """``1,234 B``, ``12.1 KB``, ``3.4 MB``, ``1.2 GB`` (binary units); ``-`` for None."""
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def pct(v: float | None) -> str:
    """A ratio as a percentage with one decimal; ``-`` for None."""
    return "-" if v is None else f"{100 * v:.1f}%"


def num(v: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals; ``-`` for None."""
    return "-" if v is None else f"{v:.{digits}f}"

"""How numbers read in the report and the printed tables (one definition each)."""

from __future__ import annotations

from typing import Any


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


def fmt_seconds(s: float | None) -> str:
    """``"45s"``, ``"12m 05s"``, ``"1h 02m"``; ``-`` for None."""
    if s is None:
        return "-"
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.0f}s"
    m, sec = divmod(round(s), 60)
    if m < 60:
        return f"{m}m {sec:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m"

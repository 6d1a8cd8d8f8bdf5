"""The report's figures: matplotlib, rendered to inline SVG (no files, no network).

Each function takes the parsed ``metrics.json`` (and training logs) and
returns an SVG string, or ``None`` when the run has nothing to show for it
(no students, no neural models).

Text is drawn as paths with the default sans-serif font, falling back to the first
installed font of :data:`CJK_FONTS` for glyphs it lacks (model names in Chinese,
Japanese or Korean); without one such text shows boxes, and nothing is logged about
the fonts that are absent.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

ROLE_STYLE = {
    "teacher": {"color": "#c0392b", "marker": "*", "s": 220},
    "student": {"color": "#2471a3", "marker": "o", "s": 70},
    "baseline": {"color": "#7f8c8d", "marker": "s", "s": 50},
}
GROUPS = ("head", "mid", "tail")
CJK_FONTS = (
    "Noto Sans CJK SC",  # Debian/Ubuntu fonts-noto-cjk (scripts/setup --dev installs it)
    "Noto Sans SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
)
"""Fallback fonts for CJK glyphs, in order of preference (the first installed is used)."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


@functools.cache
def font_family() -> list[str]:
    """``font.family`` for the figures: sans-serif, then the first installed CJK font.

    Only an installed font is named, as matplotlib logs a warning for each absent one.
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["sans-serif", *[f for f in CJK_FONTS if f in installed][:1]]


def _fonts(plot: Callable[_P, _R]) -> Callable[_P, _R]:
    """Draw ``plot``'s figure with :func:`font_family` (fonts are resolved as it renders)."""

    @functools.wraps(plot)
    def draw(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with plt.rc_context({"font.family": font_family()}):
            return plot(*args, **kwargs)

    return draw


def to_svg(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element: no XML header, DOCTYPE or metadata."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


def _label(ax: Any, x: float, y: float, text: str) -> None:
    ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)


def _scatter(ax: Any, models: dict[str, Any], x_of: Any, k: int) -> dict[str, tuple[float, float]]:
    pos: dict[str, tuple[float, float]] = {}
    for name, m in models.items():
        x, y = x_of(m), m["metrics"].get(f"ndcg@{k}")
        if x is None or y is None or x <= 0:
            continue
        style = ROLE_STYLE.get(m["role"], ROLE_STYLE["baseline"])
        ax.scatter([x], [y], zorder=3, **style)
        _label(ax, x, y, name)
        pos[name] = (x, y)
    return pos


def _arrows(ax: Any, models: dict[str, Any], pos: dict[str, tuple[float, float]]) -> None:
    """Teacher -> each distilled student."""
    for name, m in models.items():
        t = m.get("teacher")
        if m["role"] != "student" or m.get("kd") is None or t not in pos or name not in pos:
            continue
        ax.annotate(
            "",
            xy=pos[name],
            xytext=pos[t],
            arrowprops={"arrowstyle": "->", "color": "#2471a3", "alpha": 0.5, "lw": 1.2},
            zorder=2,
        )


def _quality_against(metrics: dict[str, Any], k: int, field: str, xlabel: str, title: str) -> str:
    """Test NDCG@k against ``field`` (log x axis), teacher -> distilled-student arrows."""
    models = metrics["models"]
    fig, ax = plt.subplots(figsize=(8, 5))
    pos = _scatter(ax, models, lambda m: m.get(field), k)
    _arrows(ax, models, pos)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"test NDCG@{k}")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    return to_svg(fig)


@_fonts
def quality_vs_size(metrics: dict[str, Any], k: int) -> str:
    return _quality_against(
        metrics,
        k,
        "serving_bytes",
        "serving bytes (log scale): everything needed to answer a request",
        "Quality against size (arrows: teacher -> distilled students)",
    )


@_fonts
def quality_vs_latency(metrics: dict[str, Any], k: int) -> str:
    return _quality_against(
        metrics,
        k,
        "latency_ms_per_user",
        "latency per single request, ms (one thread, log scale)",
        "Quality against latency",
    )


@_fonts
def metrics_across_k(metrics: dict[str, Any]) -> str | None:
    ks = sorted(metrics.get("k", []))
    if len(ks) < 2:
        return None
    models = metrics["models"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("ndcg", "recall"), strict=True):
        for name, m in models.items():
            ys = [m["metrics"].get(f"{metric}@{k}") for k in ks]
            if any(y is None for y in ys):
                continue
            style = ROLE_STYLE.get(m["role"], ROLE_STYLE["baseline"])
            ls = "-" if m["role"] != "baseline" else ":"
            ax.plot(ks, ys, ls, marker="o", color=style["color"], alpha=0.8, label=name)
        ax.set_xticks(ks)
        ax.set_xlabel("K")
        ax.set_title(f"{metric.upper()}@K (test)")
        ax.grid(True, alpha=0.3)
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return to_svg(fig)


@_fonts
def training_curves(logs: dict[str, dict[str, Any]], metric: str) -> str | None:
    """Validation metric and training loss per epoch, for every neural model with a log."""
    if not logs:
        return None
    fig, (ax_v, ax_l) = plt.subplots(1, 2, figsize=(10, 4))
    for name, log in logs.items():
        epochs = log.get("epochs", [])
        xs = [e["epoch"] for e in epochs]
        val = [e.get("val", {}).get(metric) for e in epochs]
        if xs and all(v is not None for v in val):
            ax_v.plot(xs, val, marker=".", label=name)
        if xs:
            ax_l.plot(xs, [e["loss"] for e in epochs], label=name)
    ax_v.set_title(f"validation {metric} per epoch")
    ax_l.set_title("training loss per epoch (distilled: the mixed loss)")
    for ax in (ax_v, ax_l):
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    ax_l.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return to_svg(fig)


@_fonts
def recall_by_popularity(metrics: dict[str, Any], k: int) -> str | None:
    models = {
        n: m
        for n, m in metrics["models"].items()
        if all(f"recall_{g}@{k}" in m["metrics"] for g in GROUPS)
    }
    if not models:
        return None
    names = list(models)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(names) + 2), 4))
    width = 0.8 / len(GROUPS)
    colors = {"head": "#884ea0", "mid": "#17a589", "tail": "#d4ac0d"}
    for j, g in enumerate(GROUPS):
        xs = [i + (j - 1) * width for i in range(len(names))]
        ax.bar(
            xs,
            [models[n]["metrics"][f"recall_{g}@{k}"] for n in names],
            width,
            label=g,
            color=colors[g],
        )
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"test Recall@{k}")
    ax.set_title("Recall by the target item's popularity group (head / mid / tail)")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    return to_svg(fig)

"""The baselines stage: tune, refit, test and save every classic model on the same split.

Before anything fits, each baseline estimates its peak memory and its time
(:meth:`~recdistill.models.base.Recommender.estimate`) on this data; one that
would not fit the memory bound or the stage's share of the budget has its grid
shrunk or is skipped, with a one-line note in the log and ``metrics.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from recdistill.errors import ConfigError
from recdistill.models.base import ModelConfig
from recdistill.models.cost import Cost, DataSize
from recdistill.progress import make_progress
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.context import Stage
from recdistill.stages.evaluation import fit_select_test


def default_baselines() -> list[SpecBase]:
    """The standard baseline set, with small validation grids."""
    return [
        model_spec("popularity"),
        model_spec(
            "itemknn",
            params={"similarity": "cosine"},
            grid={"neighbors": [50, 200], "shrink": [0.0, 10.0]},
        ),
        model_spec("userknn", params={"similarity": "cosine"}, grid={"neighbors": [50, 200]}),
        model_spec("tfidf"),
        model_spec("ease", grid={"l2": [50.0, 100.0, 200.0, 500.0]}),
        model_spec(
            "bpr",
            params={"iterations": 100},
            grid={"factors": [64], "learning_rate": [0.01, 0.05], "regularization": [0.01]},
        ),
        model_spec(
            "ials",
            params={"iterations": 15},
            grid={"factors": [64, 128], "regularization": [0.1, 1.0], "alpha": [1.0, 5.0]},
        ),
        model_spec(
            "hybrid",
            params={
                "cf": {"kind": "ease", "params": {"l2": 200.0}},
                "content": {"kind": "tfidf", "params": {}},
            },
            grid={"weight": [0.7, 0.85, 0.95]},
        ),
    ]


def check_names(specs: list[SpecBase], taken: set[str]) -> None:
    """``ConfigError`` when two entries of ``metrics.json`` would share a name."""
    names = [s.label for s in specs]
    dupes = {n for n in names if names.count(n) > 1 or n in taken}
    if dupes:
        raise ConfigError(f"duplicate model names {sorted(dupes)}; set 'name' on each")


def run(stage: Stage, taken: set[str]) -> dict[str, dict[str, Any]]:
    """Tune, refit, test and save every configured baseline (rank 0), within the stage's
    share of the budget and the memory bound (:func:`fit_plan`)."""
    cfg = stage.cfg
    specs = cfg.baselines if cfg.baselines is not None else default_baselines()
    check_names(specs, taken)
    results: dict[str, dict[str, Any]] = {}
    with stage.plan.stage("baselines") as allowed:
        planned = fit_plan(stage, specs, allowed)
        total = sum(len(points) for _, points in planned)
        t0 = time.perf_counter()
        with make_progress() as progress:
            bar = progress.add_task("baselines", total=total, rate="")
            for spec, points in planned:
                spent = time.perf_counter() - t0
                if allowed is not None and spent > allowed:  # the estimates were short
                    stage.plan.note(
                        spec.label, "skipped",
                        f"the baselines' {allowed:.0f}s are spent ({spent:.0f}s so far; "
                        "the estimates fell short on this data)",
                    )  # fmt: skip
                    continue
                progress.update(bar, description=f"baselines: {spec.label}")
                _, entry = fit_select_test(
                    stage, spec, role="baseline", refit_default=cfg.evaluation.refit,
                    points=points,
                )  # fmt: skip
                progress.advance(bar, len(points))
                results[spec.label] = entry
    return results


def data_size(stage: Stage) -> DataSize:
    """The sizes the baselines' estimates read (training data, users evaluated)."""
    return DataSize(
        users=stage.ds.n_users,
        items=stage.ds.n_items,
        interactions=len(stage.split.train),
        eval_users=len(stage.valid_task.users),
    )


def memory_bound(cfg_gb: float | None) -> float:
    """Bytes a baseline may use at its peak: ``memory_gb``, else 70% of what is free now."""
    if cfg_gb is not None:
        return cfg_gb * 2**30
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = dict(line.split(":", 1) for line in fh)
        return 0.7 * int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):  # not Linux: assume a small machine
        return 4.0 * 2**30


def _spec_seconds(costs: list[Cost], refit: bool) -> float:
    """Seconds of a search: every point fitted and validated, then the refit and the test."""
    best = max(costs, key=lambda c: c.fit_seconds)
    return (
        sum(c.fit_seconds + c.eval_seconds for c in costs)
        + (best.fit_seconds if refit else 0.0)
        + best.eval_seconds
    )


def fit_plan(
    stage: Stage, specs: list[SpecBase], allowed: float | None
) -> list[tuple[SpecBase, list[ModelConfig]]]:
    """Each baseline with the grid points it will try, after the guards.

    Memory: grid points whose estimated peak exceeds :func:`memory_bound` are
    dropped; a baseline left with none is skipped. Time (under a budget): while
    the estimated total exceeds ``allowed``, the most expensive baseline's grid is
    halved (every other point kept), and a baseline whose single point still does
    not fit is skipped. Every change is noted in the plan (log and metrics.json).
    """
    size, bound, plan = data_size(stage), memory_bound(stage.cfg.memory_gb), stage.plan
    refit = stage.cfg.evaluation.refit
    kept: list[tuple[SpecBase, list[ModelConfig], list[Cost]]] = []
    for spec in specs:
        points = spec.grid_points()
        costs = [spec.build(p).estimate(size) for p in points]
        fits = [(p, c) for p, c in zip(points, costs, strict=True) if c.memory_bytes <= bound]
        if not fits:
            need = min(c.memory_bytes for c in costs)
            plan.note(
                spec.label,
                "skipped",
                f"needs ~{need / 2**30:.1f} GiB, bound "
                f"{bound / 2**30:.1f} GiB ({size.items:,} items, {size.users:,} users)",
            )
            continue
        if len(fits) < len(points):
            plan.note(
                spec.label,
                "grid shrunk",
                f"{len(points) - len(fits)} of {len(points)} "
                f"points would exceed the {bound / 2**30:.1f} GiB memory bound",
            )
        kept.append((spec, [p for p, _ in fits], [c for _, c in fits]))
    if allowed is not None:
        kept = _fit_time(kept, allowed, refit, plan.note)
    return [(spec, points) for spec, points, _ in kept]


def _fit_time(
    kept: list[tuple[SpecBase, list[ModelConfig], list[Cost]]],
    allowed: float,
    refit: bool,
    note: Callable[[str, str, str], None],
) -> list[tuple[SpecBase, list[ModelConfig], list[Cost]]]:
    """Halve the most expensive grids, then skip what still does not fit ``allowed``."""
    kept = list(kept)
    original = {spec.label: len(points) for spec, points, _ in kept}
    while kept and sum(_spec_seconds(c, refit) for _, _, c in kept) > allowed:
        i = max(range(len(kept)), key=lambda j: _spec_seconds(kept[j][2], refit))
        spec, points, costs = kept[i]
        if len(points) > 1:
            kept[i] = (spec, points[::2], costs[::2])
            continue
        need = _spec_seconds(costs, refit)
        note(
            spec.label,
            "skipped",
            f"estimated {need:.0f}s does not fit the baselines' {allowed:.0f}s of the budget",
        )
        del kept[i]
    for spec, points, _ in kept:
        if len(points) < original[spec.label]:
            note(
                spec.label,
                "grid shrunk",
                f"{original[spec.label]} -> {len(points)} points "
                f"to fit the baselines' {allowed:.0f}s of the budget",
            )
    return kept

"""The baselines stage: tune, refit, test and save every classic model on the same split."""

from __future__ import annotations

from typing import Any

from recdistill.errors import ConfigError
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
    """Tune, refit, test and save every configured baseline (rank 0)."""
    cfg = stage.cfg
    specs = cfg.baselines if cfg.baselines is not None else default_baselines()
    check_names(specs, taken)
    total = sum(len(s.grid_points()) for s in specs)
    results: dict[str, dict[str, Any]] = {}
    with make_progress() as progress:
        bar = progress.add_task("baselines", total=total, rate="")
        for spec in specs:
            progress.update(bar, description=f"baselines: {spec.label}")
            _, entry = fit_select_test(
                stage, spec, role="baseline", refit_default=cfg.evaluation.refit
            )
            progress.advance(bar, len(spec.grid_points()))
            results[spec.label] = entry
    return results

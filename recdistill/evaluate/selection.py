"""Model selection on the validation split only.

A :data:`~recdistill.specs.ModelSpec` gives typed ``params`` and a ``grid``
(``{param: [values]}``; dotted keys reach nested params such as
``cf.params.l2`` of a hybrid). Every combination is fitted on train and scored
on validation; the best by ``select_metric`` wins. The test split is never
looked at here. With a deadline (a time budget), the fits share the time left
equally.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from recdistill.config import EvalConfig
from recdistill.errors import ConfigError
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models.base import FitOptions, ModelConfig, Recommender, TrainData
from recdistill.specs import SpecBase

log = logging.getLogger("recdistill.select")


@dataclass
class Selection:
    """The outcome of a grid search: chosen params and what every trial scored."""

    params: dict[str, Any]
    config: ModelConfig
    val_metrics: dict[str, float]
    model: Recommender
    fit_seconds: float
    trials: list[dict[str, Any]] = field(default_factory=list)


def select(
    spec: SpecBase,
    train: TrainData,
    valid: EvalTask,
    eval_cfg: EvalConfig,
    options: FitOptions,
    *,
    points: list[ModelConfig] | None = None,
) -> Selection:
    """Fit every grid point (or ``points``) on train, keep the best on validation."""
    candidates = points if points is not None else spec.grid_points()
    best: Selection | None = None
    trials = []
    metric = eval_cfg.select_metric
    for i, config in enumerate(candidates, 1):
        params = config.model_dump(mode="json")
        model = spec.build(config)
        t0 = time.perf_counter()
        model.fit(train, _share(options, len(candidates) - i + 1))
        seconds = time.perf_counter() - t0
        res = evaluate(
            model, valid, eval_cfg.k, mask_seen=eval_cfg.mask_seen, batch_size=eval_cfg.batch_size
        )
        if metric not in res:
            raise ConfigError(
                f"evaluation.select_metric: '{metric}' is not a metric "
                f"(e.g. ndcg@10, recall@20; K must be in evaluation.k)"
            )
        trials.append({"params": params, metric: res[metric], "fit_seconds": seconds})
        log.info(
            "%s [%d/%d] %s -> valid %s %.4f (%.1fs)",
            spec.label,
            i,
            len(candidates),
            _short(params, spec.grid),
            metric,
            res[metric],
            seconds,
        )
        if best is None or res[metric] > best.val_metrics[metric]:
            best = Selection(params, config, res, model, seconds)
    assert best is not None
    best.trials = trials
    return best


def _share(options: FitOptions, fits_left: int) -> FitOptions:
    """The options of the next fit: an equal share of the time left until the deadline."""
    left = options.seconds_left()
    if left is None:
        return options
    return replace(options, deadline=time.monotonic() + max(left, 0.0) / fits_left)


def _short(params: dict[str, Any], grid: dict[str, list[Any]]) -> str:
    if not grid:
        return "(fixed)"
    parts = []
    for key in grid:
        node: Any = params
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        parts.append(f"{key}={node}")
    return " ".join(parts)

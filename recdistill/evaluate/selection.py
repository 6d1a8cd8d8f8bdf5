"""Model selection on the validation split only.

A :class:`~recdistill.config.ModelSpec` gives fixed ``params`` and a ``grid``
(``{param: [values]}``; dotted keys reach nested params such as
``cf.params.l2`` of a hybrid). Every combination is fitted on train and scored
on validation; the best by ``select_metric`` wins. The test split is never
looked at here.
"""

from __future__ import annotations

import copy
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from recdistill.config import EvalConfig, ModelSpec
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models.base import FitOptions, Recommender, TrainData, build_model

log = logging.getLogger("recdistill.select")


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *head, last = dotted.split(".")
    for part in head:
        node = node.setdefault(part, {})
    node[last] = value


def expand_grid(params: dict[str, Any], grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """All combinations of ``grid`` applied over a copy of ``params`` (in grid order)."""
    if not grid:
        return [copy.deepcopy(params)]
    keys = list(grid)
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        p = copy.deepcopy(params)
        for k, v in zip(keys, values, strict=True):
            _set(p, k, v)
        out.append(p)
    return out


@dataclass
class Selection:
    """The outcome of a grid search: chosen params and what every trial scored."""

    params: dict[str, Any]
    val_metrics: dict[str, float]
    model: Recommender
    fit_seconds: float
    trials: list[dict[str, Any]] = field(default_factory=list)


def select(
    spec: ModelSpec,
    train: TrainData,
    valid: EvalTask,
    eval_cfg: EvalConfig,
    options: FitOptions,
) -> Selection:
    """Fit every grid point on train, keep the best on validation."""
    candidates = expand_grid(spec.params, spec.grid)
    name = spec.name or spec.kind
    best: Selection | None = None
    trials = []
    metric = eval_cfg.select_metric
    for i, params in enumerate(candidates, 1):
        model = build_model(spec.kind, params)
        t0 = time.perf_counter()
        model.fit(train, options)
        seconds = time.perf_counter() - t0
        res = evaluate(
            model,
            valid,
            eval_cfg.k,
            mask_seen=eval_cfg.mask_seen,
            batch_size=eval_cfg.batch_size,
        )
        if metric not in res:
            from recdistill.errors import ConfigError

            raise ConfigError(
                f"evaluation.select_metric: '{metric}' is not a metric "
                f"(e.g. ndcg@10, recall@20; K must be in evaluation.k)"
            )
        trials.append({"params": params, metric: res[metric], "fit_seconds": seconds})
        log.info(
            "%s [%d/%d] %s -> valid %s %.4f (%.1fs)",
            name,
            i,
            len(candidates),
            _short(params, spec.grid),
            metric,
            res[metric],
            seconds,
        )
        if best is None or res[metric] > best.val_metrics[metric]:
            best = Selection(params, res, model, seconds)
    assert best is not None
    best.trials = trials
    return best


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

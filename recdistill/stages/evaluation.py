"""The evaluation stage: select on validation, test once, measure, save; and metrics.json.

Every model goes through :func:`fit_select_test`: fit each grid point on
train and keep the best on validation, optionally refit on train +
validation, then :func:`test_and_save` (full ranking on the test split, size
and latency, the artifact). :func:`metrics_document` assembles ``metrics.json``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from recdistill.evaluate.efficiency import measure
from recdistill.evaluate.selection import select
from recdistill.models.base import ModelConfig, Recommender
from recdistill.report.ratios import distillation_rows
from recdistill.specs import SpecBase
from recdistill.stages import data
from recdistill.stages.context import Stage
from recdistill.train import dist

log = logging.getLogger("recdistill")

#: the metrics kept per K in metrics.json
KEEP = ("ndcg", "recall", "precision", "hr", "mrr", "map", "coverage", "novelty")
GROUPS = ("recall_head", "recall_mid", "recall_tail")


def metric_block(res: dict[str, float], ks: list[int]) -> dict[str, float]:
    """The ``metrics`` / ``val_metrics`` of an entry: every kept metric at every K."""
    return {f"{m}@{k}": res[f"{m}@{k}"] for k in ks for m in (*KEEP, *GROUPS)}


def fit_select_test(
    stage: Stage,
    spec: SpecBase,
    *,
    role: str,
    refit_default: bool,
    deadline: float | None = None,
    points: list[ModelConfig] | None = None,
) -> tuple[Recommender, dict[str, Any]]:
    """Select on validation, optionally refit on train + validation, test once, save.

    ``deadline`` (``time.monotonic()``): when every fit of the search must be
    done; neural models plan their steps to end by then. ``points``: the grid
    points to try (default: the spec's whole grid). Returns the final model and
    its ``metrics.json`` entry (empty on ranks > 0).
    """
    ev = stage.cfg.evaluation
    name = spec.label
    options = replace(
        stage.options,
        validate=stage.validator(),
        select_metric=ev.select_metric,
        out_dir=stage.run.model_dir(name),
        deadline=deadline,
    )
    sel = select(spec, stage.train, stage.valid_task, ev, options, points=points)
    refit = spec.refit if spec.refit is not None else refit_default
    if refit:
        t0 = time.perf_counter()
        final = spec.build(sel.config).fit(stage.train_valid, replace(options, validate=None))
        train_seconds = time.perf_counter() - t0
    else:
        final, train_seconds = sel.model, sel.fit_seconds
    if not dist.is_main():
        return final, {}
    entry: dict[str, Any] = {
        "role": role,
        "kind": spec.kind,
        "kd": None,
        **test_and_save(stage, final, name, role),
        "train_seconds": train_seconds,
        "val_metrics": metric_block(sel.val_metrics, ev.k),
        "selected_params": sel.params,
        "trials": sel.trials,
        "refit_on_train_valid": refit,
    }
    return final, entry


def test_and_save(stage: Stage, model: Recommender, name: str, role: str) -> dict[str, Any]:
    """Test once (full ranking), measure size and latency, save to ``OUT/models/NAME``.

    Returns the ``metrics``, efficiency, ``encoder_bytes`` and ``encoders`` fields of
    an entry.
    """
    ev = stage.cfg.evaluation
    test = stage.test(model)
    eff = measure(model, stage.split.train_valid, n_users=ev.latency_users)
    stage.run.save_model(name, model)
    out: dict[str, Any] = {**eff.as_dict(), "metrics": metric_block(test, ev.k)}
    extra = model.meta()
    if "encoder_bytes" in extra:
        out["encoder_bytes"] = extra["encoder_bytes"]
    if extra.get("encoders"):
        out["encoders"] = extra["encoders"]  # each text/image model apart, and auto's choice
    log.info("%s (%s): test %s %.4f", name, role, ev.select_metric, test.get(ev.select_metric, 0.0))
    return out


def metrics_document(
    stage: Stage, models: dict[str, dict[str, Any]], seconds: float
) -> dict[str, Any]:
    """``metrics.json``: the dataset, the protocol, every model, the ratios, the budget."""
    cfg = stage.cfg
    ks = sorted(set(cfg.evaluation.k))
    return {
        "dataset": data.summary(stage.ds, stage.split),
        "k": ks,
        "protocol": {
            "ranking": "full",
            "mask_seen": cfg.evaluation.mask_seen,
            "select_metric": cfg.evaluation.select_metric,
            "ties": "pessimistic",
            "evaluated_users": len(stage.test_task.users),
            "users_sampled": stage.eval_users is not None,
        },
        "models": models,
        "distillation": distillation_rows(models, k=ks[0]),
        "seconds": seconds,
        "budget": stage.plan.as_dict(),
        "world_size": dist.world_size(),
    }

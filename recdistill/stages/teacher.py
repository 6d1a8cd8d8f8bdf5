"""The teacher stage: the large model, trained on train with early stopping on validation."""

from __future__ import annotations

from typing import Any

from recdistill.config import RunConfig
from recdistill.models.base import Recommender
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.context import Stage, deadline
from recdistill.stages.evaluation import fit_select_test


def default_teacher() -> SpecBase:
    """The default teacher: a wide, text-aware SASRec trained with full softmax."""
    return model_spec(
        "sasrec",
        name="teacher",
        params={"d_model": 256, "n_layers": 2, "n_heads": 4, "text": {"encoder": "minilm"}},
    )


def teacher_spec(cfg: RunConfig) -> SpecBase | None:
    """The configured teacher (``default``: :func:`default_teacher`; None: no teacher)."""
    if cfg.teacher == "default":
        return default_teacher()
    return cfg.teacher


def run(stage: Stage) -> tuple[Recommender | None, dict[str, dict[str, Any]]]:
    """Train and test the teacher (never refit: it early-stops on validation).

    Returns the fitted teacher (None without one) and its ``metrics.json`` entry.
    """
    spec = teacher_spec(stage.cfg)
    if spec is None:
        return None, {}
    with stage.plan.stage("teacher") as allowed:
        model, entry = fit_select_test(
            stage, spec, role="teacher", refit_default=False, deadline=deadline(allowed)
        )
    return model, ({spec.name or "teacher": entry} if entry else {})

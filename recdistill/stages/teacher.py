"""The teacher stage: the large model, trained on train with early stopping on validation."""

from __future__ import annotations

from typing import Any

from recdistill.models.base import Recommender
from recdistill.specs import SpecBase
from recdistill.stages.context import Stage, deadline
from recdistill.stages.defaults import default_teacher
from recdistill.stages.evaluation import fit_select_test


def teacher_spec(stage: Stage, allowed: float | None = None) -> SpecBase | None:
    """The configured teacher (``default``: chosen from the data and its ``allowed``
    seconds by :func:`~recdistill.stages.defaults.default_teacher`; None: no teacher)."""
    cfg = stage.cfg
    if cfg.teacher == "default":
        return default_teacher(stage, allowed)
    return cfg.teacher


def run(
    stage: Stage, spec: SpecBase | None
) -> tuple[Recommender | None, dict[str, dict[str, Any]]]:
    """Train and test the teacher ``spec`` (never refit: it early-stops on validation).

    ``spec`` is chosen before the item-content stage (:func:`teacher_spec`); None:
    no teacher. Returns the fitted teacher (None without one) and its
    ``metrics.json`` entry.
    """
    if spec is None:
        return None, {}
    with stage.plan.stage("teacher") as allowed:
        model, entry = fit_select_test(
            stage, spec, role="teacher", refit_default=False, deadline=deadline(allowed)
        )
    return model, ({spec.name or "teacher": entry} if entry else {})

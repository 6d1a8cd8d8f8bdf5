"""The pipelines: the stages of ``recdistill run`` / ``demo``, and of ``recdistill distill``.

``run``: data -> teacher -> teacher outputs -> students -> baselines ->
metrics.json -> report. Every model is selected on validation, tested once,
measured and saved by :mod:`recdistill.stages.evaluation`.

Under ``torchrun`` every process loads the same data and trains the neural
stages together (DistributedDataParallel); rank 0 alone then trains the
students and the baselines, evaluates, and writes artifacts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recdistill.budget import Plan
from recdistill.config import DistillConfig, RunConfig, apply_overrides, parse_config
from recdistill.errors import UserError
from recdistill.report.console import print_ratios, print_table
from recdistill.report.ratios import distillation_rows
from recdistill.runfolder import RunFolder
from recdistill.stages import baselines, content, data, evaluation, students, teacher
from recdistill.stages.context import Stage, run_options
from recdistill.train import dist

log = logging.getLogger("recdistill")


@dataclass
class RunResult:
    out_dir: Path
    metrics: dict[str, Any]


def run_pipeline(cfg: RunConfig, out: Path) -> RunResult:
    """Run every configured stage within the budget; write ``metrics.json`` and the report."""
    dist.init_from_env()
    plan = Plan.start(cfg.budget)
    stage = data.prepare(cfg, RunFolder.create(out), plan)
    plan.lay_out(planned_stages(cfg))
    planned_kd = cfg.distill
    if planned_kd is not None and cfg.teacher is not None:
        planned_kd = students.plan_cache(stage, planned_kd)
    spec = teacher.teacher_spec(stage, plan.allowance("teacher"))
    content.run(stage, spec)
    model, models = teacher.run(stage, spec)
    kd = planned_kd if model is not None else None
    if cfg.distill is not None and model is None:
        log.info("no teacher (teacher: null): skipping the students")
    cache = students.teacher_outputs(stage, kd, model) if kd is not None and model else None
    if not dist.is_main():
        dist.barrier()
        return RunResult(out, {})
    # The baselines first (their cost is estimated and bounded), so the students, last,
    # also get whatever time the earlier stages left.
    models.update(baselines.run(stage, set(models) | _student_names(stage, kd)))
    if kd is not None and model is not None:
        teacher_name = next(iter(models), "teacher")
        with dist.local():  # rank 0 trains the small students alone
            models.update(students.run(stage, kd, model, teacher_name, cache, set(models)))
    metrics = finish(stage, evaluation.metrics_document(stage, models, plan.elapsed()))
    dist.barrier()
    return RunResult(out, metrics)


def planned_stages(cfg: RunConfig) -> list[str]:
    """The stages a run will go through, in order (what the budget is split across)."""
    names = []
    with_students = cfg.teacher is not None and cfg.distill is not None
    if cfg.teacher is not None:
        names += ["item_content", "teacher"]
        if with_students:
            names.append("teacher_cache")
    if cfg.baselines is None or cfg.baselines:
        names.append("baselines")
    if with_students:
        names.append("students")
    return [*names, "report"]


def _student_names(stage: Stage, kd: DistillConfig | None) -> set[str]:
    """The entry names the students will take (so a baseline cannot take one first)."""
    if kd is None:
        return set()
    specs, recipes = students.resolve(kd, stage)
    return {name for _, name, _, _ in students.plan_runs(kd, specs, recipes)}


def finish(stage: Stage, doc: dict[str, Any]) -> dict[str, Any]:
    """Write ``metrics.json``, print the tables, render the report; the document written.

    ``metrics.json`` is written again after the report, with the final times.
    """
    run, plan = stage.run, stage.plan
    with plan.stage("report"):
        metrics = run.write_metrics(doc)
        print_table(metrics)
        print_ratios(metrics["distillation"], k=metrics["k"][0])
        log.info("report: %s", run.write_report())
    metrics = run.write_metrics({**metrics, "seconds": plan.elapsed(), "budget": plan.as_dict()})
    log.info("%s", plan.summary())
    return metrics


def distill_run(
    run_dir: Path,
    overrides: list[str] | None = None,
    *,
    seed: int | None = None,
    out: Path | None = None,
    update_metrics: bool = True,
) -> dict[str, dict[str, Any]]:
    """``recdistill distill``: train students from the teacher saved in a run folder.

    The run's own config (``config.json``) with ``overrides`` (``distill.*``
    keys) says which students and recipes; data and split are the run's saved
    ones, so the students see exactly what the teacher saw. Artifacts go to
    ``out/models`` (default: the run folder); with ``update_metrics`` the new
    entries (and the distillation ratios) are merged into ``metrics.json``.
    The teacher cache is shared in ``RUN_DIR/cache``. Returns the new entries.
    """
    dist.init_from_env()
    run = RunFolder.open(run_dir)
    tree = apply_overrides(run.config_tree(), overrides or [])
    if seed is not None:
        tree["seed"] = seed
    cfg = parse_config(tree, str(run_dir / "config.json"))
    kd = cfg.distill if cfg.distill is not None else DistillConfig()
    models = run.metrics.get("models", {})
    teachers = [n for n, m in models.items() if m.get("role") == "teacher"]
    if not teachers:
        raise UserError(f"{run_dir}: the run has no teacher to distil from")
    teacher_name = teachers[0]
    model = run.model(teacher_name)
    ds, split = run.dataset_and_split()
    target = RunFolder.create(out) if out is not None else run
    options = run_options(cfg, target.path)
    stage = Stage(cfg, ds, split, options, target)
    cache = students.teacher_outputs(stage, kd, model, run.cache_dir("teacher_outputs"))
    if not dist.is_main():
        dist.barrier()
        return {}
    taken = {n for n, m in models.items() if m.get("role") != "student"}
    with dist.local():
        entries = students.run(stage, kd, model, teacher_name, cache, taken)
    if update_metrics:
        doc = dict(run.metrics)
        doc["models"] = {**models, **entries}
        doc["distillation"] = distillation_rows(doc["models"], k=sorted(doc.get("k", [10]))[0])
        finish(replace(stage, run=run), doc)
    dist.barrier()
    return entries

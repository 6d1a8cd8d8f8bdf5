"""The student stage of the pipeline: scratch and distilled students, and their ratios.

For each student architecture (``distill.students``) the stage trains

- ``NAME-scratch``: the student on the ground truth alone (``kd: null``);
- ``NAME-RECIPE``: the same student distilled with each recipe
  (``distill.recipes``; ``kd`` is the ``+``-joined method names),

all with early stopping on validation NDCG@10 and the test scored once, like
every model. The teacher's outputs come from an on-disk cache built once
(``teacher_outputs: cache``, all ranks under torchrun) or from the teacher run
on every student batch (``online``).

:func:`distillation_rows` turns ``metrics.json`` entries into the ratios of
DESIGN.md: % of the teacher's NDCG@10, % of the teacher-scratch gap closed,
serving-bytes ratio, latency ratio, and recall by popularity group.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from recdistill.config import DistillConfig, ModelSpec, apply_overrides, parse_config
from recdistill.distill import Distillation, TeacherCache, build_teacher_cache
from recdistill.distill.mixer import KDMixer
from recdistill.errors import ConfigError, UserError
from recdistill.models._seqmodel import SequentialModel
from recdistill.models.base import FitOptions, Recommender
from recdistill.models.twotower import TwoTower
from recdistill.train import dist

log = logging.getLogger("recdistill")

MIN_GAP = 0.01  # a teacher-scratch gap below 1% of the teacher's score is not reported


def default_students() -> list[ModelSpec]:
    """A history-pooled two-tower student, d=32: no language model and no transformer at
    serving time, a few % of the default teacher's bytes, tens of microseconds per request.

    The benchmarks (docs/BENCHMARKS.md, "Distillation") found it as good as or
    better than the small ID-only SASRec at the same size, and much faster to serve.
    """
    return [
        ModelSpec(
            kind="twotower",
            name="student",
            params={"d_model": 32, "epochs": 100, "patience": 10},
        )
    ]


def default_recipes() -> dict[str, dict[str, Any]]:
    """The default distillation: listwise KL on the teacher's cached top-M, alpha 0.5 (the
    method that helped most across students and datasets in docs/BENCHMARKS.md)."""
    return {"listwise": {"methods": {"listwise": {}}, "alpha": 0.5}}


def probe(recipe: dict[str, Any]) -> KDMixer:
    """A recipe's mixer, built only to check it and read ``kd_name`` and
    ``teacher_top_needed`` (placeholder widths; the distiller builds the real one)."""
    return KDMixer.from_config(recipe, student_dim=8, teacher_dim=8, n_items=2)


def resolve(cfg: DistillConfig) -> tuple[list[ModelSpec], dict[str, dict[str, Any]]]:
    """The configured (or default) students and recipes, checked before anything trains."""
    students = cfg.students if cfg.students is not None else default_students()
    recipes = cfg.recipes if cfg.recipes is not None else default_recipes()
    for name, recipe in recipes.items():
        try:
            probe(recipe)
        except ConfigError as exc:
            raise ConfigError(f"distill.recipes.{name}: {exc}") from None
    if not students:
        raise ConfigError("distill.students: empty list (use distill: null for no students)")
    return students, recipes


def teacher_outputs(
    cfg: DistillConfig, teacher: Recommender, stage: Any, folder: Path | None = None
) -> TeacherCache | None:
    """The teacher's cached outputs (every rank takes part), or None for ``online``.

    ``folder``: where the store lives (default ``OUT/cache/teacher_outputs``).
    """
    if cfg.teacher_outputs == "online":
        return None
    if not isinstance(teacher, SequentialModel):
        raise ConfigError(
            f"distill: the teacher '{teacher.kind}' is not a sequential model; "
            "distillation needs a sasrec teacher"
        )
    _, recipes = resolve(cfg)
    if not recipes:  # scratch students only: nothing to cache
        return None
    need = max(probe(r).teacher_top_needed for r in recipes.values())
    m = max(cfg.top_m, need)
    return build_teacher_cache(
        teacher,
        stage.train,
        folder if folder is not None else stage.out / "cache" / "teacher_outputs",
        m=m,
        memory_mb=cfg.cache_memory_mb,
        progress=stage.options.progress,
    )


def run_students(
    stage: Any,
    cfg: DistillConfig,
    teacher: Recommender,
    teacher_name: str,
    cache: TeacherCache | None,
    taken: set[str],
) -> dict[str, dict[str, Any]]:
    """Train, test and save every scratch and distilled student (rank 0 alone)."""
    from recdistill.pipeline import fit_select_test  # the shared select/test/save step

    if not isinstance(teacher, SequentialModel):
        raise ConfigError("distill: distillation needs a sasrec teacher")
    students, recipes = resolve(cfg)
    results: dict[str, dict[str, Any]] = {}
    for spec in students:
        base = spec.name or spec.kind
        runs: list[tuple[str, str | None, dict[str, Any] | None]] = []
        if cfg.scratch:
            runs.append((f"{base}-scratch", None, None))
        runs += [(f"{base}-{r}", r, recipes[r]) for r in recipes]
        for name, recipe_name, recipe in runs:
            if name in taken or name in results:
                raise ConfigError(f"duplicate model name '{name}'; rename the student or recipe")
            one = spec.model_copy(update={"name": name})
            st = stage
            kd: str | None = None
            if recipe is not None:
                handle = Distillation(recipe, teacher, cache, top_m=cfg.top_m)
                st = replace(stage, options=replace(stage.options, distill=handle))
                kd = probe(recipe).kd_name
            model, entry = fit_select_test(st, one, role="student", refit_default=False)
            if not entry:
                continue
            entry["kd"] = kd
            entry["student"] = base
            entry["teacher"] = teacher_name
            if recipe is not None:
                entry["recipe"] = {"name": recipe_name, **recipe}
                entry["teacher_outputs"] = cfg.teacher_outputs
                entry["scratch"] = f"{base}-scratch" if cfg.scratch else None
            results[name] = entry
            results.update(quantized_entries(stage, cfg, model, name, entry))
    return results


def quantized_entries(
    stage: Any, cfg: DistillConfig, model: Recommender, name: str, entry: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``NAME-int8`` / ``NAME-float16``: the fitted student served from fewer bits, tested."""
    from recdistill.pipeline import test_and_save

    if not cfg.quantize:
        return {}
    if not isinstance(model, TwoTower):
        log.info("%s: quantize applies to twotower students; %s kept as is", name, model.kind)
        return {}
    out: dict[str, dict[str, Any]] = {}
    for precision in cfg.quantize:
        qname = f"{name}-{precision}"
        q = model.quantized(precision)
        keep = ("role", "kind", "kd", "student", "teacher", "recipe", "teacher_outputs", "scratch")
        shared: dict[str, Any] = {k: entry[k] for k in keep if k in entry}
        out[qname] = {
            **shared,
            **test_and_save(stage, q, qname, "student"),
            "precision": precision,
            "quantized_from": name,
            "train_seconds": entry["train_seconds"],
            "val_metrics": entry["val_metrics"],
        }
    return out


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
    from recdistill.pipeline import Stage  # the pipeline's stage context
    from recdistill.runfolder import RunFolder

    dist.init_from_env()
    run = RunFolder.open(run_dir)
    config_file = run_dir / "config.json"
    if not config_file.exists():
        raise UserError(f"{config_file}: not found (the run folder lacks its config)")
    tree = apply_overrides(json.loads(config_file.read_text("utf-8")), overrides or [])
    if seed is not None:
        tree["seed"] = seed
    cfg = parse_config(tree, str(config_file))
    kd = cfg.distill if cfg.distill is not None else DistillConfig()
    models = run.metrics.get("models", {})
    teachers = [n for n, m in models.items() if m.get("role") == "teacher"]
    if not teachers:
        raise UserError(f"{run_dir}: the run has no teacher to distil from")
    teacher_name = teachers[0]
    teacher = run.model(teacher_name)
    ds, split = run.dataset_and_split()
    target = out if out is not None else run_dir
    options = FitOptions(seed=cfg.seed, device=cfg.device, threads=cfg.threads, out_dir=target)
    stage = Stage(cfg, ds, split, options, target)
    cache = teacher_outputs(kd, teacher, stage, run_dir / "cache" / "teacher_outputs")
    if not dist.is_main():
        dist.barrier()
        return {}
    taken = {n for n, m in models.items() if m.get("role") != "student"}
    with dist.local():
        entries = run_students(stage, kd, teacher, teacher_name, cache, taken)
    if update_metrics:
        doc = dict(run.metrics)
        doc["models"] = {**models, **entries}
        k = sorted(doc.get("k", [10]))[0]
        doc["distillation"] = distillation_rows(doc["models"], k=k)
        (run_dir / "metrics.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        print_ratios(doc["distillation"], k=k)
        from recdistill.report import write_report

        write_report(run_dir)
    dist.barrier()
    return entries


def distillation_rows(models: dict[str, dict[str, Any]], k: int = 10) -> list[dict[str, Any]]:
    """One row per distilled student: quality and size against its teacher and scratch twin.

    ``pct_of_teacher`` = student / teacher NDCG@k; ``gap_closed`` = (student -
    scratch) / (teacher - scratch) (None when the teacher does not beat
    scratch by more than ``MIN_GAP`` of its own score); ``bytes_ratio`` =
    student / teacher serving bytes;
    ``speedup`` = teacher / student latency per user (single requests).
    """
    key = f"ndcg@{k}"
    rows = []
    for name, m in models.items():
        if m.get("role") != "student" or m.get("teacher") not in models:
            continue
        t = models[m["teacher"]]
        scratch_name = f"{m.get('student')}-scratch"
        s = models.get(scratch_name)
        q, qt = m["metrics"][key], t["metrics"][key]
        qs = s["metrics"][key] if s is not None else None
        gap = qt - qs if qs is not None else None
        rows.append(
            {
                "model": name,
                "kd": m.get("kd"),
                "teacher": m["teacher"],
                "scratch": scratch_name if s is not None else None,
                key: q,
                "pct_of_teacher": q / qt if qt else None,
                # only where the teacher beats scratch by more than 1% of its score: a
                # smaller gap is within seed noise and its ratio means nothing
                "gap_closed": (q - qs) / gap
                if gap is not None and qs is not None and gap > MIN_GAP * qt
                else None,
                "bytes_ratio": m["serving_bytes"] / t["serving_bytes"],
                "speedup": t["latency_ms_per_user"] / max(m["latency_ms_per_user"], 1e-9),
                "speedup_batched": t["latency_ms_per_user_batched"]
                / max(m["latency_ms_per_user_batched"], 1e-9),
                **{
                    f"recall_{g}@{k}": m["metrics"].get(f"recall_{g}@{k}")
                    for g in ("head", "mid", "tail")
                },
            }
        )
    return rows


def print_ratios(rows: list[dict[str, Any]], k: int = 10) -> None:
    """The distillation table: % of teacher, gap closed, size and speed ratios."""
    if not rows:
        return
    from rich.console import Console
    from rich.table import Table

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    table = Table(title="Students against their teacher (test, full ranking)")
    cols = ["student", "kd", f"NDCG@{k}", "% of teacher", "% of gap closed", "bytes ratio"]
    cols += ["speed-up", "recall head/mid/tail"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("student", "kd") else "right")
    for r in rows:
        groups = "/".join(
            "-" if r[f"recall_{g}@{k}"] is None else f"{r[f'recall_{g}@{k}']:.3f}"
            for g in ("head", "mid", "tail")
        )
        table.add_row(
            r["model"],
            r["kd"] or "- (scratch)",
            f"{r[f'ndcg@{k}']:.4f}",
            pct(r["pct_of_teacher"]),
            pct(r["gap_closed"]) if r["kd"] else "-",
            pct(r["bytes_ratio"]),
            f"{r['speedup']:.1f}x",
            groups,
        )
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    out.print(table)

"""The student stage: scratch and distilled students, each tested like every model.

For each student architecture (``distill.students``) the stage trains

- ``NAME-scratch``: the student on the ground truth alone (``kd: null``);
- ``NAME-RECIPE``: the same student distilled with each recipe
  (``distill.recipes``; ``kd`` is the ``+``-joined method names),
- ``...-int8`` / ``...-float16``: each of those served from fewer bits
  (``distill.quantize``, for students whose kind supports it),

all with early stopping on validation NDCG@10 and the test scored once. The
teacher's outputs come from an on-disk cache built once (``teacher_outputs:
cache``, all ranks under torchrun) or from the teacher run on every student
batch (``online``). A student must be a distillable kind (its trainer offers
its positions and per-position loss); any other is refused before training.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from recdistill.config import DistillConfig
from recdistill.distill import Distillation, TeacherCache, build_teacher_cache
from recdistill.distill.mixer import KDMixerConfig, parse_recipe
from recdistill.distill.teacher_cache import scoring_seconds
from recdistill.errors import ConfigError
from recdistill.models import MODELS
from recdistill.models._seqmodel import SequentialModel
from recdistill.models.base import Recommender
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.context import Stage, deadline
from recdistill.stages.defaults import TEACHER_D_MODEL, default_students, history_max_len
from recdistill.stages.evaluation import fit_select_test, test_and_save
from recdistill.train.device import select_device

log = logging.getLogger("recdistill")

#: a distilled student's share of the students' time against a scratch one's: its steps
#: cost about three times as much (the teacher's outputs, the mixed loss over chunks)
KD_WEIGHT = 2.5

#: a cache estimated above this multiple of the time it can have is replaced by online
#: scoring (on the 5M-interaction benchmark the estimate was within 1%)
ONLINE_ABOVE = 1.25


def default_recipes() -> dict[str, KDMixerConfig]:
    """The default distillation: listwise KL on the teacher's cached top-M, alpha 0.5 (the
    method that helped most across students and datasets in docs/BENCHMARKS.md)."""
    return {"listwise": parse_recipe({"methods": {"listwise": {}}, "alpha": 0.5})}


def distillable_kinds() -> list[str]:
    return sorted(k for k, cls in MODELS.items() if cls.distillable)


def resolve(
    cfg: DistillConfig, stage: Stage | None = None, teacher: Recommender | None = None
) -> tuple[list[SpecBase], dict[str, KDMixerConfig]]:
    """The configured (or default) students and recipes, checked before anything trains.

    The default student (:func:`~recdistill.stages.defaults.default_students`) is
    sized from ``stage``'s data and ``teacher``'s serving bytes.
    """
    if cfg.students is not None:
        students = cfg.students
    elif stage is not None:
        students = default_students(stage, teacher)
    else:
        students = [model_spec("twotower", name="student", params={"d_model": 32})]
    recipes = cfg.recipes if cfg.recipes is not None else default_recipes()
    if not students:
        raise ConfigError("distill.students: empty list (use distill: null for no students)")
    for i, spec in enumerate(students):
        if recipes and not MODELS[spec.kind].distillable:
            raise ConfigError(
                f"distill.students.{i}: kind '{spec.kind}' cannot be distilled (it does not "
                f"train in the epoch loop; distillable kinds: {', '.join(distillable_kinds())})"
            )
    return students, recipes


def _sequential(teacher: Recommender) -> SequentialModel:
    if not isinstance(teacher, SequentialModel):
        raise ConfigError(
            f"distill: the teacher '{teacher.kind}' is not a sequential model; "
            "distillation needs a sasrec teacher"
        )
    return teacher


def teacher_outputs(
    stage: Stage, cfg: DistillConfig, teacher: Recommender, folder: Path | None = None
) -> TeacherCache | None:
    """The teacher's cached outputs (every rank takes part), or None for ``online``.

    ``folder``: where the store lives (default ``OUT/cache/teacher_outputs``).
    """
    if cfg.teacher_outputs == "online":
        return None
    seq = _sequential(teacher)
    _, recipes = resolve(cfg)
    if not recipes:  # scratch students only: nothing to cache
        return None
    need = max(r.teacher_top_needed() for r in recipes.values())
    with stage.plan.stage("teacher_cache"):
        return build_teacher_cache(
            seq,
            stage.train,
            folder if folder is not None else stage.run.cache_dir("teacher_outputs"),
            m=max(cfg.top_m, need),
            memory_mb=cfg.cache_memory_mb,
            progress=stage.options.progress,
            precision=stage.options.precision,
        )


def plan_cache(stage: Stage, cfg: DistillConfig) -> DistillConfig:
    """Under a budget, plan the teacher cache from its measured cost; the distillation
    config to run with.

    Its cost grows with training positions x catalogue items, which a fixed share
    does not follow: the cache's share is raised to the estimate
    (:func:`~recdistill.distill.teacher_cache.scoring_seconds`, taken from the
    teacher's share, which keeps at least 30% of the budget). Where even that does
    not cover it, the teacher scores the students' batches as they train instead
    (``teacher_outputs: online``, noted): the students then pay only for the
    positions they reach in their time, not for every position up front.
    """
    if stage.plan.total_s is None or cfg.teacher_outputs == "online" or not resolve(cfg)[1]:
        return cfg
    d_model = _teacher_param(stage, "d_model", TEACHER_D_MODEL) or TEACHER_D_MODEL
    seconds = scoring_seconds(
        len(stage.split.train), stage.ds.n_items, d_model=int(d_model), m=cfg.top_m,
        memory_mb=cfg.cache_memory_mb, device=select_device(stage.options.device),
        precision=stage.options.precision,
    )  # fmt: skip
    stage.plan.expect("teacher_cache", seconds)
    planned = stage.plan.stages["teacher_cache"].planned_s or 0.0
    if seconds <= ONLINE_ABOVE * planned:
        return cfg
    if not _online_fits(stage, cfg):
        stage.plan.note(
            "teacher_cache", "kept over its share",
            f"estimated at ~{seconds:.0f}s against {planned:.0f}s, but a student reads longer "
            "histories than the teacher, which online scoring cannot serve",
        )  # fmt: skip
        return cfg
    stage.plan.note(
        "teacher_cache", "replaced by online scoring",
        f"scoring {len(stage.split.train):,} positions x {stage.ds.n_items:,} items is "
        f"estimated at ~{seconds:.0f}s, more than the {planned:.0f}s it can have; the "
        "teacher scores the students' batches as they train",
    )  # fmt: skip
    stage.plan.transfer("teacher_cache", "students")
    return cfg.model_copy(update={"teacher_outputs": "online"})


def _teacher_param(stage: Stage, name: str, default: Any) -> Any:
    """Parameter ``name`` of the teacher the run will train: the configured one's, or
    ``default`` (the default teacher's) when none is pinned."""
    spec = stage.cfg.teacher
    if spec == "default":
        return default
    return getattr(getattr(spec, "params", None), name, None)


def _online_fits(stage: Stage, cfg: DistillConfig) -> bool:
    """Whether the teacher can score every student's batches online: no student reads
    more history (``max_len``) than the teacher (the default teacher's, from the data)."""
    teacher_len = _teacher_param(stage, "max_len", history_max_len(stage))
    if teacher_len is None:
        return False
    specs, _ = resolve(cfg, stage)
    lens = [getattr(getattr(s, "params", None), "max_len", None) for s in specs]
    return all(n is None or n <= teacher_len for n in lens)


def run(
    stage: Stage,
    cfg: DistillConfig,
    teacher: Recommender,
    teacher_name: str,
    cache: TeacherCache | None,
    taken: set[str],
) -> dict[str, dict[str, Any]]:
    """Train, test and save every scratch and distilled student (rank 0 alone).

    Under a budget the students share the stage's allowance in turn, a distilled
    fit weighing :data:`KD_WEIGHT` times a scratch one (its steps cost about that
    much more); a student that ends early leaves its time to the next ones.
    """
    seq = _sequential(teacher)
    students, recipes = resolve(cfg, stage, teacher)
    _check_online_lengths(students, recipes, seq, cache)
    runs = plan_runs(cfg, students, recipes)
    results: dict[str, dict[str, Any]] = {}
    with stage.plan.stage("students") as allowed:
        end = None if allowed is None else time.monotonic() + allowed
        for i, (spec, name, recipe_name, recipe) in enumerate(runs):
            if name in taken or name in results:
                raise ConfigError(f"duplicate model name '{name}'; rename the student or recipe")
            st = stage
            if recipe is not None:
                handle = Distillation(recipe, seq, cache, top_m=cfg.top_m)
                st = replace(stage, options=replace(stage.options, distill=handle))
            weights = [KD_WEIGHT if r[3] is not None else 1.0 for r in runs[i:]]
            share = None if end is None else (end - time.monotonic()) * weights[0] / sum(weights)
            model, entry = fit_select_test(
                st,
                spec.model_copy(update={"name": name}),
                role="student",
                refit_default=False,
                deadline=deadline(share),
            )
            if not entry:
                continue
            entry.update(_student_fields(cfg, spec.label, teacher_name, recipe_name, recipe))
            results[name] = entry
            results.update(quantized_entries(stage, cfg, model, name, entry))
    return results


def _check_online_lengths(
    students: list[SpecBase],
    recipes: dict[str, KDMixerConfig],
    teacher: SequentialModel,
    cache: TeacherCache | None,
) -> None:
    """Refuse, before anything trains, a student that reads more history than the
    teacher where the teacher scores its batches online (no cache, or a recipe that
    reads representations): the teacher cannot see those positions."""
    online = [n for n, r in recipes.items() if cache is None or r.uses_repr()]
    if not online:
        return
    longest = teacher.config.max_len
    for i, spec in enumerate(students):
        n = getattr(spec.params, "max_len", None)
        if n is not None and n > longest:
            raise ConfigError(
                f"distill.students.{i}: '{spec.label}' reads max_len {n}, more than the "
                f"teacher's {longest}, and recipe '{online[0]}' has the teacher score its "
                f"batches online (set the student's max_len <= {longest})"
            )


def plan_runs(
    cfg: DistillConfig, students: list[SpecBase], recipes: dict[str, KDMixerConfig]
) -> list[tuple[SpecBase, str, str | None, KDMixerConfig | None]]:
    """Every student fit, in order: ``(spec, entry name, recipe name, recipe)``."""
    out: list[tuple[SpecBase, str, str | None, KDMixerConfig | None]] = []
    for spec in students:
        base = spec.label
        if cfg.scratch:
            out.append((spec, f"{base}-scratch", None, None))
        out += [(spec, f"{base}-{r}", r, recipes[r]) for r in recipes]
    return out


def _student_fields(
    cfg: DistillConfig,
    base: str,
    teacher_name: str,
    recipe_name: str | None,
    recipe: KDMixerConfig | None,
) -> dict[str, Any]:
    """What a student's entry adds to a model's: its teacher, recipe and scratch twin."""
    out: dict[str, Any] = {
        "kd": recipe.kd_name if recipe is not None else None,
        "student": base,
        "teacher": teacher_name,
    }
    if recipe is not None:
        out["recipe"] = {"name": recipe_name, **recipe.model_dump(mode="json")}
        out["teacher_outputs"] = cfg.teacher_outputs
        out["scratch"] = f"{base}-scratch" if cfg.scratch else None
    return out


def quantized_entries(
    stage: Stage, cfg: DistillConfig, model: Recommender, name: str, entry: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``NAME-int8`` / ``NAME-float16``: the fitted student served from fewer bits, tested."""
    if not cfg.quantize:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for precision in cfg.quantize:
        if precision not in model.quantizations:
            log.info(
                "%s: a %s student is not served in %s; kept as is", name, model.kind, precision
            )
            continue
        qname = f"{name}-{precision}"
        keep = ("role", "kind", "kd", "student", "teacher", "recipe", "teacher_outputs", "scratch")
        shared: dict[str, Any] = {k: entry[k] for k in keep if k in entry}
        out[qname] = {
            **shared,
            **test_and_save(stage, model.quantized(precision), qname, "student"),
            "precision": precision,
            "quantized_from": name,
            "train_seconds": entry["train_seconds"],
            "val_metrics": entry["val_metrics"],
        }
    return out

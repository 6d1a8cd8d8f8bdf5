"""Wires the stages for ``recdistill run`` and ``recdistill demo``.

data -> split -> (for each model) select on validation -> refit on
train + validation -> test once -> efficiency -> artifact -> metrics.json.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from recdistill import students
from recdistill.config import ModelSpec, RunConfig, dump_config
from recdistill.data.load import load_dataset
from recdistill.data.types import Dataset
from recdistill.errors import ConfigError
from recdistill.evaluate.efficiency import measure
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.evaluate.selection import expand_grid, select
from recdistill.models.base import FitOptions, Recommender, Scorer, TrainData, build_model
from recdistill.progress import make_progress
from recdistill.split import Split, make_split
from recdistill.train import dist

log = logging.getLogger("recdistill")


def default_baselines() -> list[ModelSpec]:
    """The standard baseline set, with small validation grids."""
    return [
        ModelSpec(kind="popularity"),
        ModelSpec(
            kind="itemknn",
            params={"similarity": "cosine"},
            grid={"neighbors": [50, 200], "shrink": [0.0, 10.0]},
        ),
        ModelSpec(kind="userknn", params={"similarity": "cosine"}, grid={"neighbors": [50, 200]}),
        ModelSpec(kind="tfidf"),
        ModelSpec(kind="ease", grid={"l2": [50.0, 100.0, 200.0, 500.0]}),
        ModelSpec(
            kind="bpr",
            params={"iterations": 100},
            grid={"factors": [64], "learning_rate": [0.01, 0.05], "regularization": [0.01]},
        ),
        ModelSpec(
            kind="ials",
            params={"iterations": 15},
            grid={"factors": [64, 128], "regularization": [0.1, 1.0], "alpha": [1.0, 5.0]},
        ),
        ModelSpec(
            kind="hybrid",
            params={
                "cf": {"kind": "ease", "params": {"l2": 200.0}},
                "content": {"kind": "tfidf", "params": {}},
            },
            grid={"weight": [0.7, 0.85, 0.95]},
        ),
    ]


def default_teacher() -> ModelSpec:
    """The default teacher: a wide, text-aware SASRec trained with full softmax."""
    return ModelSpec(
        kind="sasrec",
        name="teacher",
        params={"d_model": 256, "n_layers": 2, "n_heads": 4, "text": {"encoder": "minilm"}},
    )


@dataclass
class RunResult:
    out_dir: Path
    metrics: dict[str, Any]


def _clean_floats(tree: Any) -> Any:
    """NaN/inf -> None so metrics.json is strict JSON."""
    if isinstance(tree, dict):
        return {k: _clean_floats(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_clean_floats(v) for v in tree]
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    if isinstance(tree, np.floating | np.integer):
        return _clean_floats(tree.item())
    return tree


def _metric_block(res: dict[str, float], ks: list[int]) -> dict[str, float]:
    keep = ("ndcg", "recall", "precision", "hr", "mrr", "map", "coverage", "novelty")
    groups = ("recall_head", "recall_mid", "recall_tail")
    return {f"{m}@{k}": res[f"{m}@{k}"] for k in ks for m in (*keep, *groups)}


def save_run_data(ds: Dataset, split: Split, out: Path) -> None:
    """What later stages (serving, distillation) need: id maps, titles, histories."""
    folder = out / "data"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "name": ds.name,
        "users": ds.users.to_list(),
        "items": ds.items.to_list(),
        "titles": ds.item_title,
        "categories": ds.item_category,
        "texts": ds.item_text,
    }
    (folder / "dataset.json").write_text(json.dumps(doc), encoding="utf-8")
    for name, table in (("train", split.train), ("valid", split.valid), ("test", split.test)):
        np.savez_compressed(
            folder / f"{name}.npz", user=table.user, item=table.item, time=table.time
        )


def dataset_summary(ds: Dataset, split: Split, n_sample: int = 5) -> dict[str, Any]:
    evaluated = split.test.users_present()
    sample = ds.users.originals(evaluated[:n_sample])
    return {
        "name": ds.name,
        "users": ds.n_users,
        "items": ds.n_items,
        "interactions": len(ds.interactions),
        "split": split.method,
        "train": len(split.train),
        "valid": len(split.valid),
        "test": len(split.test),
        "sample_users": sample,
        "log": ds.log + split.log,
    }


@dataclass
class Stage:
    """Everything a model stage needs: the data views, the tasks, the run context."""

    cfg: RunConfig
    ds: Dataset
    split: Split
    options: FitOptions
    out: Path

    @property
    def train(self) -> TrainData:
        return TrainData(self.split.train, self.ds.item_text, self.ds.item_category)

    @property
    def train_valid(self) -> TrainData:
        return TrainData(self.split.train_valid, self.ds.item_text, self.ds.item_category)

    @property
    def valid_task(self) -> EvalTask:
        return EvalTask(self.split.train, self.split.valid, "valid")

    @property
    def test_task(self) -> EvalTask:
        return EvalTask(self.split.train_valid, self.split.test, "test")

    def validator(self) -> Callable[[Scorer], dict[str, float]]:
        """The validation callback iterative models use for early stopping."""
        ev = self.cfg.evaluation
        task = self.valid_task

        def validate(model: Scorer) -> dict[str, float]:
            return evaluate(model, task, ev.k, mask_seen=ev.mask_seen, batch_size=ev.batch_size)

        return validate


def fit_select_test(
    stage: Stage,
    spec: ModelSpec,
    *,
    role: str,
    refit_default: bool,
    on_trial: Callable[[int], None] | None = None,
) -> tuple[Recommender, dict[str, Any]]:
    """Select on validation, optionally refit on train + validation, test once, save.

    Returns the final model and its ``metrics.json`` entry.
    """
    ev = stage.cfg.evaluation
    name = spec.name or spec.kind
    model_dir = stage.out / "models" / name
    options = replace(
        stage.options,
        validate=stage.validator(),
        select_metric=ev.select_metric,
        out_dir=model_dir,
    )
    sel = select(spec, stage.train, stage.valid_task, ev, options)
    if on_trial is not None:
        on_trial(len(sel.trials))
    refit = spec.refit if spec.refit is not None else refit_default
    if refit:
        t0 = time.perf_counter()
        final = build_model(spec.kind, sel.params).fit(
            stage.train_valid, replace(options, validate=None)
        )
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
        "val_metrics": _metric_block(sel.val_metrics, ev.k),
        "selected_params": sel.params,
        "trials": sel.trials,
        "refit_on_train_valid": refit,
    }
    return final, entry


def test_and_save(stage: Stage, model: Recommender, name: str, role: str) -> dict[str, Any]:
    """Test once (full ranking), measure size and latency, save to ``OUT/models/NAME``.

    Returns the ``metrics``, efficiency and ``encoder_bytes`` fields of an entry.
    """
    ev = stage.cfg.evaluation
    test = evaluate(model, stage.test_task, ev.k, mask_seen=ev.mask_seen, batch_size=ev.batch_size)
    eff = measure(model, stage.split.train_valid, n_users=ev.latency_users)
    model.save(stage.out / "models" / name)
    out: dict[str, Any] = {**eff.as_dict(), "metrics": _metric_block(test, ev.k)}
    extra = model.meta()
    if "encoder_bytes" in extra:
        out["encoder_bytes"] = extra["encoder_bytes"]
    log.info(
        "%s (%s): test %s %.4f", name, role, ev.select_metric, test.get(ev.select_metric, 0.0)
    )
    return out


def _check_names(specs: list[ModelSpec], taken: set[str]) -> None:
    names = [s.name or s.kind for s in specs]
    dupes = {n for n in names if names.count(n) > 1 or n in taken}
    if dupes:
        raise ConfigError(f"duplicate model names {sorted(dupes)}; set 'name' on each")


def run_baselines(stage: Stage, taken: set[str]) -> dict[str, dict[str, Any]]:
    """Tune, refit, test and save every configured baseline."""
    cfg = stage.cfg
    specs = cfg.baselines if cfg.baselines is not None else default_baselines()
    _check_names(specs, taken)
    total = sum(len(expand_grid(s.params, s.grid)) for s in specs)
    results: dict[str, dict[str, Any]] = {}
    with make_progress() as progress:
        bar = progress.add_task("baselines", total=total, rate="")
        for spec in specs:
            name = spec.name or spec.kind
            progress.update(bar, description=f"baselines: {name}")
            _, entry = fit_select_test(
                stage,
                spec,
                role="baseline",
                refit_default=cfg.evaluation.refit,
                on_trial=lambda n: progress.advance(bar, n),
            )
            results[name] = entry
    return results


def teacher_spec(cfg: RunConfig) -> ModelSpec | None:
    if cfg.teacher == "default":
        return default_teacher()
    return cfg.teacher


def run_teacher(stage: Stage) -> tuple[Recommender | None, dict[str, dict[str, Any]]]:
    """Train the teacher on train with early stopping on validation; test with train + valid."""
    spec = teacher_spec(stage.cfg)
    if spec is None:
        return None, {}
    model, entry = fit_select_test(stage, spec, role="teacher", refit_default=False)
    return model, ({spec.name or "teacher": entry} if entry else {})


def run_pipeline(cfg: RunConfig, out: Path) -> RunResult:
    """Run every configured stage and write ``out/metrics.json``.

    Under ``torchrun`` every process loads the same data and trains the neural
    stages together (DistributedDataParallel); rank 0 alone then runs the
    baselines, evaluates, and writes artifacts.
    """
    dist.init_from_env()
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    options = FitOptions(seed=cfg.seed, device=cfg.device, threads=cfg.threads, out_dir=out)
    ds = load_dataset(cfg.data)
    split = make_split(ds.interactions, cfg.split)
    log.info("%s", split.describe())
    if len(split.valid) == 0 or len(split.test) == 0:
        raise ConfigError(
            "split: validation or test is empty; the data needs users with at least 3 events "
            "(leave_last_out) or events on both sides of the cuts (temporal)"
        )
    stage = Stage(cfg, ds, split, options, out)
    if dist.is_main():
        (out / "config.json").write_text(json.dumps(dump_config(cfg), indent=2), "utf-8")
        save_run_data(ds, split, out)
    teacher, models = run_teacher(stage)
    teacher_name = next(iter(models), "teacher")
    kd = cfg.distill if teacher is not None else None
    if cfg.distill is not None and teacher is None:
        log.info("no teacher (teacher: null): skipping the students")
    cache = students.teacher_outputs(kd, teacher, stage) if kd is not None and teacher else None
    if not dist.is_main():
        dist.barrier()
        return RunResult(out, {})
    if kd is not None and teacher is not None:
        with dist.local():  # rank 0 trains the small students alone
            models.update(
                students.run_students(stage, kd, teacher, teacher_name, cache, set(models))
            )
    models.update(run_baselines(stage, set(models)))
    metrics = {
        "dataset": dataset_summary(ds, split),
        "k": sorted(set(cfg.evaluation.k)),
        "protocol": {
            "ranking": "full",
            "mask_seen": cfg.evaluation.mask_seen,
            "select_metric": cfg.evaluation.select_metric,
            "ties": "pessimistic",
        },
        "models": models,
        "distillation": students.distillation_rows(models, k=sorted(cfg.evaluation.k)[0]),
        "seconds": time.perf_counter() - t_start,
        "world_size": dist.world_size(),
    }
    metrics = _clean_floats(metrics)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    print_table(metrics)
    students.print_ratios(metrics["distillation"], k=metrics["k"][0])
    from recdistill.report import write_report

    log.info("report: %s", write_report(out))
    dist.barrier()
    return RunResult(out, metrics)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def print_table(metrics: dict[str, Any]) -> None:
    """One summary table: quality, catalogue metrics, size and latency per model."""
    from rich.table import Table

    k = metrics["k"][0]
    table = Table(title=f"{metrics['dataset']['name']} - test split, full ranking")
    for col in (
        "model",
        "role",
        "kd",
        f"NDCG@{k}",
        f"Recall@{k}",
        f"HR@{k}",
        f"Cov@{k}",
        f"Nov@{k}",
        "params",
        "serving",
        "ms/user",
    ):
        table.add_column(col, justify="left" if col in ("model", "role", "kd") else "right")
    rows = sorted(
        metrics["models"].items(), key=lambda kv: -(kv[1]["metrics"].get(f"ndcg@{k}") or 0.0)
    )
    for name, m in rows:
        q = m["metrics"]
        table.add_row(
            name,
            m["role"],
            m["kd"] or "-",
            f"{q[f'ndcg@{k}']:.4f}",
            f"{q[f'recall@{k}']:.4f}",
            f"{q[f'hr@{k}']:.4f}",
            f"{q[f'coverage@{k}']:.3f}",
            f"{q[f'novelty@{k}']:.2f}",
            f"{m['params']:,}",
            _fmt_bytes(m["serving_bytes"]),
            f"{m['latency_ms_per_user']:.3f}",
        )
    from rich.console import Console

    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    out.print(table)

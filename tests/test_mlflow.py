"""MLflow tracking (`--mlflow`, `--mlflow-uri`): what a finished run logs, where, and the
one-line errors. One tiny pipeline run (module fixture) is logged to the default store in
a scratch directory; the other tests reuse its run folder."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# demo.py binds `run_pipeline` when first imported: import it before a test patches
# recdistill.pipeline.run_pipeline, or the stand-in would stay bound there for later tests.
import recdistill.demo  # noqa: F401
from recdistill.cli import main
from recdistill.data.demo import write_demo
from recdistill.pipeline import RunResult
from recdistill.runfolder import RunFolder
from recdistill.tracking import (
    INSTALL_HINT,
    final_metrics,
    flatten_params,
    metric_key,
    open_tracker,
)

mlflow = pytest.importorskip("mlflow")
MlflowClient = mlflow.MlflowClient

CliRunner = Callable[..., tuple[int, str, str]]
TEACHER_EPOCHS, STUDENT_EPOCHS = 3, 2
TOKEN = "s3cret-token-value"


def tiny_config(folder: Path) -> Path:
    """A run of a few seconds: a 3-epoch teacher, a scratch and a listwise-distilled
    student (2 epochs) with int8 twins, popularity; a serving token to keep secret."""
    inter, items = write_demo(folder / "src", seed=3, n_users=300, n_items=300)
    tree = {
        "data": {
            "name": "tiny-shop",
            "interactions": {"path": str(inter), "format": "csv", "time": "timestamp"},
            "items": {"path": str(items), "format": "csv", "text": ["title", "category"]},
        },
        "evaluation": {"k": [5, 10], "latency_users": 20},
        "teacher": {
            "kind": "sasrec",
            "name": "teacher",
            "params": {
                "d_model": 16,
                "n_heads": 1,
                "n_layers": 1,
                "max_len": 20,
                "epochs": TEACHER_EPOCHS,
                "patience": 0,
            },
        },
        "distill": {
            "students": [
                {
                    "kind": "twotower",
                    "name": "student",
                    "params": {"d_model": 8, "max_len": 20, "epochs": STUDENT_EPOCHS},
                }
            ],
            "recipes": {"soft": {"methods": {"listwise": {}}}},
            "top_m": 20,
            "quantize": ["int8"],
        },
        "baselines": [{"kind": "popularity"}],
        "serve": {"token": TOKEN},
    }
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(tree), encoding="utf-8")
    return path


@dataclass
class Tracked:
    folder: Path  # the directory `recdistill run --mlflow` ran in
    config: Path
    run_dir: Path
    stdout: str
    client: Any  # MlflowClient of the default store, folder/mlflow.db
    run: Any  # the one MLflow run
    metrics: dict[str, Any]  # the run folder's metrics.json


def _unset_mlflow_env(mp: pytest.MonkeyPatch) -> None:
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "RANK"):
        mp.delenv(var, raising=False)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Tracked:
    """`recdistill run tiny.yaml --mlflow` in a scratch directory (the default store)."""
    folder = tmp_path_factory.mktemp("tracked")
    config = tiny_config(folder)
    run_dir = folder / "run"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.chdir(folder)
        _unset_mlflow_env(mp)
        try:
            main(["run", str(config), "--out", str(run_dir), "--mlflow"])
        except SystemExit as exc:  # only an error exits
            pytest.fail(f"recdistill run --mlflow exited with {exc.code}")
    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("tiny-shop")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    metrics = json.loads((run_dir / "metrics.json").read_text("utf-8"))
    return Tracked(folder, config, run_dir, out.getvalue(), client, runs[0], metrics)


def test_default_store_is_sqlite_in_the_current_directory(tracked: Tracked) -> None:
    run = tracked.run
    assert (tracked.folder / "mlflow.db").is_file()
    assert f"mlflow: run {run.info.run_id} at sqlite:///mlflow.db" in tracked.stdout
    artifacts = tracked.folder / "mlruns" / "tiny-shop" / run.info.run_id / "artifacts"
    assert (artifacts / "report.html").is_file()
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.tags["recdistill.run_dir"] == str(tracked.run_dir.resolve())
    assert run.data.tags["recdistill.dataset"] == "tiny-shop"


def test_params_are_the_flattened_config_without_secrets(tracked: Tracked) -> None:
    params = tracked.run.data.params
    config = RunFolder(tracked.run_dir).config_tree()
    assert params == flatten_params(config)
    assert params["data.name"] == "tiny-shop"
    assert params["teacher.params.d_model"] == "16"
    assert params["teacher.params.epochs"] == str(TEACHER_EPOCHS)
    assert params["evaluation.k"] == "[5, 10]"
    assert params["baselines.0.kind"] == "popularity"
    assert params["distill.students.0.params.d_model"] == "8"
    assert params["distill.recipes.soft.methods.listwise.kind"] == "listwise"
    assert config["serve"]["token"] == TOKEN  # in config.json, but not in MLflow
    assert params["serve.token"] == "***"
    assert not any(TOKEN in v for v in params.values())


def _history(tracked: Tracked, key: str) -> list[tuple[int, float]]:
    points = tracked.client.get_metric_history(tracked.run.info.run_id, key)
    return sorted((m.step, m.value) for m in points)


def test_per_epoch_curves_follow_the_training_logs(tracked: Tracked) -> None:
    logs = RunFolder(tracked.run_dir).train_logs(["teacher", "student-soft"])
    teacher = logs["teacher"]["epochs"]
    assert len(teacher) == TEACHER_EPOCHS
    assert _history(tracked, "teacher/valid_ndcg10") == [
        (e["epoch"], pytest.approx(e["val"]["ndcg@10"], rel=1e-12)) for e in teacher
    ]
    assert _history(tracked, "teacher/loss") == [
        (e["epoch"], pytest.approx(e["loss"], rel=1e-12)) for e in teacher
    ]
    assert [s for s, _ in _history(tracked, "teacher/valid_recall5")] == list(
        range(1, TEACHER_EPOCHS + 1)
    )
    # A distilled student: its loss parts, one point per epoch.
    student = logs["student-soft"]["epochs"]
    assert _history(tracked, "student-soft/kd_listwise") == [
        (e["epoch"], pytest.approx(e["kd_listwise"], rel=1e-12)) for e in student
    ]
    assert len(student) == STUDENT_EPOCHS
    # Models trained outside the loop (popularity, int8 twins) have no curves.
    assert _history(tracked, "popularity/loss") == []
    assert _history(tracked, "student-soft-int8/loss") == []


def test_test_metrics_and_sizes_equal_metrics_json(tracked: Tracked) -> None:
    logged = tracked.run.data.metrics  # the latest value of each key
    models = tracked.metrics["models"]
    assert {"teacher", "popularity", "student-scratch", "student-soft-int8"} <= set(models)
    checked = 0
    for name, entry in models.items():
        for metric, value in entry["metrics"].items():
            key = f"{name}/test_{metric.replace('@', '')}"
            if value is None:
                assert key not in logged
            else:
                assert logged[key] == pytest.approx(value, rel=1e-12), key
                checked += 1
        assert logged[f"{name}/serving_bytes"] == entry["serving_bytes"]
        assert logged[f"{name}/latency_ms_per_user"] == pytest.approx(
            entry["latency_ms_per_user"], rel=1e-12
        )
    assert checked > 20 * len(models)  # every metric at both cut-offs
    assert logged["teacher/test_ndcg10"] == pytest.approx(
        models["teacher"]["metrics"]["ndcg@10"], rel=1e-12
    )
    assert logged["run_seconds"] == pytest.approx(tracked.metrics["seconds"], rel=1e-12)


def test_distillation_ratios_are_logged_per_student(tracked: Tracked) -> None:
    logged = tracked.run.data.metrics
    rows = {r["model"]: r for r in tracked.metrics["distillation"]}
    assert set(rows) == {
        "student-scratch", "student-scratch-int8", "student-soft", "student-soft-int8"
    }  # fmt: skip
    for name, row in rows.items():
        for field in ("pct_of_teacher", "bytes_ratio", "speedup", "speedup_batched"):
            assert logged[f"{name}/{field}"] == pytest.approx(row[field], rel=1e-12)
        if row["gap_closed"] is None:
            assert f"{name}/gap_closed" not in logged
        else:
            assert logged[f"{name}/gap_closed"] == pytest.approx(row["gap_closed"], rel=1e-12)
    assert logged["student-soft-int8/bytes_ratio"] < logged["student-soft/bytes_ratio"] < 1


def test_artifacts_are_the_report_metrics_and_model_folders(
    tracked: Tracked, tmp_path: Path
) -> None:
    client, run_id = tracked.client, tracked.run.info.run_id
    top = {f.path for f in client.list_artifacts(run_id)}
    assert top == {"report.html", "metrics.json", "models"}
    saved = RunFolder(tracked.run_dir).model_names()
    assert {f.path for f in client.list_artifacts(run_id, "models")} == {
        f"models/{n}" for n in saved
    }
    teacher = {f.path for f in client.list_artifacts(run_id, "models/teacher")}
    assert teacher == {
        "models/teacher/config.json",
        "models/teacher/state.safetensors",
        "models/teacher/train_log.json",
    }
    assert (tracked.run_dir / "models" / "teacher" / "checkpoints").is_dir()  # left out
    report = Path(client.download_artifacts(run_id, "report.html", str(tmp_path)))
    assert report.read_bytes() == (tracked.run_dir / "report.html").read_bytes()
    weights = Path(client.download_artifacts(run_id, "models/student-soft", str(tmp_path)))
    local = tracked.run_dir / "models" / "student-soft" / "state.safetensors"
    assert (weights / "state.safetensors").read_bytes() == local.read_bytes()


def test_mlflow_uri_and_experiment_name_on_run_and_demo(
    tracked: Tracked,
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--mlflow-uri` logs there (artifacts beside the database), on `run` and `demo`;
    the pipelines are replaced by the fixture's finished run folder to keep this fast."""
    _unset_mlflow_env(monkeypatch)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "my-experiment")
    finished = RunResult(tracked.run_dir, tracked.metrics)
    monkeypatch.setattr("recdistill.pipeline.run_pipeline", lambda cfg, out: finished)
    monkeypatch.setattr("recdistill.demo.run_demo", lambda out, **kw: finished)
    uri = f"sqlite:///{tmp_path / 'store' / 'other.db'}"
    code, stdout, stderr = cli("run", tracked.config, "--mlflow-uri", uri)
    assert code == 0, stderr
    assert f"at {uri}" in stdout
    code, stdout, stderr = cli("demo", "--mlflow-uri", uri)
    assert code == 0, stderr
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("my-experiment")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    for run in runs:
        assert run.data.metrics == tracked.run.data.metrics
        where = tmp_path / "store" / "mlruns" / "my-experiment" / run.info.run_id / "artifacts"
        assert (where / "report.html").is_file()
    assert client.get_experiment_by_name("tiny-shop") is None


def test_a_plain_mlruns_file_store_when_mlflow_allows_it(
    tracked: Tracked, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file store (a ``mlruns/`` folder, no database) gets the same run, given
    MLflow 3's opt-in; the pipeline is replaced by the fixture's finished run folder."""
    _unset_mlflow_env(monkeypatch)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    finished = RunResult(tracked.run_dir, tracked.metrics)
    monkeypatch.setattr("recdistill.pipeline.run_pipeline", lambda cfg, out: finished)
    store = tmp_path / "mlruns"
    code, stdout, stderr = cli("run", tracked.config, "--mlflow-uri", store)
    assert code == 0, stderr
    assert f"at {store}" in stdout
    assert not list(tmp_path.glob("*.db"))  # a folder store, not SQLite
    client = MlflowClient(tracking_uri=str(store))
    experiment = client.get_experiment_by_name("tiny-shop")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.metrics == tracked.run.data.metrics
    assert run.data.params == tracked.run.data.params
    listed = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert listed == {"report.html", "metrics.json", "models"}
    assert (store / experiment.experiment_id / run.info.run_id / "meta.yaml").is_file()


def test_missing_mlflow_is_one_line_before_the_run(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` fails as if absent
    out = tmp_path / "run"
    code, _, err = cli("run", tmp_path / "never-read.yaml", "--out", out, "--mlflow")
    assert code == 2
    assert err == f"error: {INSTALL_HINT}\n"
    assert INSTALL_HINT == "--mlflow needs mlflow: pip install 'recdistill[mlflow]'"
    assert not out.exists()  # refused before anything ran


def test_a_store_that_cannot_open_is_one_line_before_the_run(
    cli: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    code, _, err = cli("demo", "--out", out, "--mlflow-uri", "bogus://nowhere")
    assert code == 2
    assert err.startswith("error: MLflow store bogus://nowhere: ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_off_by_default_env_uri_for_a_bare_flag_and_only_on_rank_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_uri = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_uri)
    monkeypatch.delenv("RANK", raising=False)
    assert open_tracker(False, None) is None  # the environment alone does not turn it on
    tracker = open_tracker(True, None)
    assert tracker is not None and tracker.uri == env_uri and (tmp_path / "env.db").is_file()
    monkeypatch.setenv("RANK", "1")
    assert open_tracker(True, "bogus://never-opened") is None  # other torchrun ranks


def test_flatten_params_indexes_lists_hides_secrets_and_keeps_limits() -> None:
    tree = {
        "data": {"interactions": {"path": "postgresql://ann:pw@db/shop", "sep": None}},
        "baselines": [{"kind": "ease", "grid": {"l2": [1.0, 2.0]}, "params": {}}],
        "serve": {"token": "abc", "token_file": "/etc/token"},
        "evaluation": {"k": [10, 20], "refit": True},
        "note": "x" * 7000,
        "recipes": {"a@b": {"alpha": 0.5}},
    }
    assert flatten_params(tree) == {
        "data.interactions.path": "postgresql://ann:***@db/shop",
        "data.interactions.sep": "null",
        "baselines.0.kind": "ease",
        "baselines.0.grid.l2": "[1.0, 2.0]",
        "baselines.0.params": "{}",
        "serve.token": "***",
        "serve.token_file": "/etc/token",
        "evaluation.k": "[10, 20]",
        "evaluation.refit": "true",
        "note": "x" * 6000,
        "recipes.ab.alpha": "0.5",
    }


def test_metric_names_are_mlflow_safe() -> None:
    assert metric_key("teacher", "valid_ndcg@10") == "teacher/valid_ndcg10"
    assert metric_key("a/b:c", "recall_head@20") == "a_b_c/recall_head20"
    assert metric_key("..", "x") == "_/x"
    doc = {
        "models": {
            "s": {
                "role": "student", "params": 10, "serving_bytes": 40, "kd": None,
                "metrics": {"ndcg@10": 0.5, "recall_tail@10": None}, "refit_on_train_valid": True,
            }
        },
        "distillation": [
            {"model": "s", "pct_of_teacher": 0.9, "gap_closed": None, "ndcg@10": 0.5}
        ],
        "seconds": 12.5,
    }  # fmt: skip
    assert final_metrics(doc) == {
        "s/test_ndcg10": 0.5,
        "s/params": 10.0,
        "s/serving_bytes": 40.0,
        "s/pct_of_teacher": 0.9,
        "run_seconds": 12.5,
    }

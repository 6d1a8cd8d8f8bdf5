"""End to end: `recdistill run` writes metrics.json per DESIGN.md; artifacts reload."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from recdistill.config import RunConfig, dump_config, parse_config
from recdistill.data.demo import write_demo
from recdistill.runfolder import RunFolder

CliRunner = Callable[..., tuple[int, str, str]]

METRIC_KEYS = ("ndcg", "recall", "precision", "hr", "mrr", "map", "coverage", "novelty")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("demo-src")
    return write_demo(folder, seed=3, n_users=400, n_items=400)


def small_config(tmp_path: Path, files: tuple[Path, Path]) -> Path:
    inter, items = files
    tree = {
        "data": {
            "name": "tiny-shop",
            "interactions": {"path": str(inter), "format": "csv", "time": "timestamp"},
            "items": {
                "path": str(items),
                "format": "csv",
                "text": ["title", "category"],
                "category": "category",
            },
        },
        "evaluation": {"k": [5, 10], "latency_users": 20},
        "teacher": {
            "kind": "sasrec",
            "name": "teacher",
            "params": {"d_model": 16, "n_heads": 1, "n_layers": 1, "max_len": 20, "epochs": 3},
        },
        "distill": {
            "students": [
                {
                    "kind": "twotower",
                    "name": "student",
                    "params": {"d_model": 8, "max_len": 20, "epochs": 2},
                }
            ],
            "recipes": {"rd": {"methods": {"rd": {"k": 5}}, "alpha": 0.5}},
            "top_m": 20,
            "quantize": ["int8"],
        },
        "baselines": [
            {"kind": "popularity"},
            {"kind": "ease", "grid": {"l2": [10.0, 100.0]}},
            {"kind": "ials", "params": {"iterations": 3, "factors": 8}},
        ],
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(tree), encoding="utf-8")
    return path


def test_run_writes_metrics_per_contract(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    cfg = small_config(tmp_path, demo_files)
    out = tmp_path / "run"
    code, stdout, stderr = cli("run", cfg, "--out", out)
    assert code == 0, stderr
    assert "metrics.json" in stdout
    m = json.loads((out / "metrics.json").read_text())
    ds = m["dataset"]
    assert ds["name"] == "tiny-shop" and ds["split"] == "leave_last_out"
    assert ds["users"] == 400 and ds["interactions"] > 0 and ds["items"] > 0
    source_users = set(np.loadtxt(demo_files[0], delimiter=",", skiprows=1, dtype=str)[:, 0])
    assert ds["sample_users"] and set(ds["sample_users"]) <= source_users
    assert m["k"] == [5, 10]
    students = {"student-scratch", "student-rd", "student-scratch-int8", "student-rd-int8"}
    assert set(m["models"]) == {"teacher", "popularity", "ease", "ials", *students}
    assert m["models"]["teacher"]["role"] == "teacher"
    assert m["models"]["teacher"]["refit_on_train_valid"] is False
    for name, entry in m["models"].items():
        role = "student" if name in students else "baseline"
        assert entry["role"] == ("teacher" if name == "teacher" else role)
        assert entry["kd"] == ("rd" if name.startswith("student-rd") else None)
        assert entry["params"] > 0 and entry["serving_bytes"] > 0
        assert entry["latency_ms_per_user"] > 0 and entry["train_seconds"] >= 0
        for k in (5, 10):
            for key in METRIC_KEYS:
                assert entry["metrics"][f"{key}@{k}"] >= 0.0
                assert f"{key}@{k}" in entry["val_metrics"]
    assert m["models"]["student-rd"]["teacher"] == "teacher"
    assert m["models"]["student-rd"]["recipe"]["methods"]["rd"]["k"] == 5
    rows = {r["model"]: r for r in m["distillation"]}
    assert set(rows) == students and rows["student-scratch"]["kd"] is None
    int8 = m["models"]["student-rd-int8"]
    assert int8["precision"] == "int8" and int8["quantized_from"] == "student-rd"
    assert int8["serving_bytes"] < 0.4 * m["models"]["student-rd"]["serving_bytes"]
    row = rows["student-rd"]
    assert row["kd"] == "rd" and row["scratch"] == "student-scratch"
    t, st = m["models"]["teacher"], m["models"]["student-rd"]
    assert row["pct_of_teacher"] == pytest.approx(
        st["metrics"]["ndcg@5"] / t["metrics"]["ndcg@5"]
    )
    assert row["bytes_ratio"] == pytest.approx(st["serving_bytes"] / t["serving_bytes"])
    assert (out / "cache" / "teacher_outputs" / "meta.json").exists()
    # The report: self-contained, with the plots.
    page = (out / "report.html").read_text()
    assert "report.html" in stdout
    assert page.count("<svg") >= 3 and "student-rd" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "http://" not in page and "https://" not in page
    assert m["models"]["ease"]["selected_params"]["l2"] in (10.0, 100.0)
    assert len(m["models"]["ease"]["trials"]) == 2
    # Learned models beat popularity on this structured data.
    assert (
        m["models"]["ease"]["metrics"]["ndcg@10"] > m["models"]["popularity"]["metrics"]["ndcg@10"]
    )


def small_run(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path], *extra: str
) -> Path:
    """``recdistill run`` of :func:`small_config` into ``tmp_path/run`` (must succeed)."""
    out = tmp_path / "run"
    code, _, stderr = cli("run", small_config(tmp_path, demo_files), "--out", out, *extra)
    assert code == 0, stderr
    return out


def test_saved_artifacts_reproduce_test_metrics(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    out = small_run(cli, tmp_path, demo_files)
    m = json.loads((out / "metrics.json").read_text())
    run = RunFolder.open(out)
    assert run.model_names() == [
        "ease",
        "ials",
        "popularity",
        "student-rd",
        "student-rd-int8",
        "student-scratch",
        "student-scratch-int8",
        "teacher",
    ]
    code, stdout, _ = cli("evaluate", out, "--k", "10")
    assert code == 0
    for name in run.model_names():
        line = next(x for x in stdout.splitlines() if x.startswith(f"{name}:"))
        reported = float(line.split("ndcg@10=")[1].split()[0])
        assert reported == pytest.approx(m["models"][name]["metrics"]["ndcg@10"], abs=1e-4)
    # No pickle anywhere in the run folder.
    assert not list(out.rglob("*.pkl")) and not list(out.rglob("*.pickle"))


def test_set_overrides_and_errors(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    cfg = small_config(tmp_path, demo_files)
    code, _, err = cli("run", cfg, "--out", tmp_path / "r", "--set", "split.method=nope")
    assert code == 2 and "split.method" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("run", cfg, "--out", tmp_path / "r", "--set", "evaluation.select_metric=x@1")
    assert code == 2 and "select_metric" in err
    code, _, err = cli("run", cfg, "--out", tmp_path / "r", "--set", "novalue")
    assert code == 2 and "key=value" in err


def test_run_config_round_trip(tmp_path: Path, demo_files: tuple[Path, Path]) -> None:
    cfg = parse_config(yaml.safe_load(small_config(tmp_path, demo_files).read_text()), "x")
    again = parse_config(yaml.safe_load(yaml.safe_dump(dump_config(cfg))), "y")
    assert again == cfg
    assert isinstance(again, RunConfig)


@pytest.mark.slow
def test_demo_quick_end_to_end(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, stdout, stderr = cli("demo", "--quick", "--out", out)
    assert code == 0, stderr
    assert f"serve {out}" in stdout  # the one command that serves the result
    m = json.loads((out / "metrics.json").read_text())
    assert m["dataset"]["name"] == "demo-shop"
    models = m["models"]
    assert {"teacher", "popularity", "ease"} <= set(models)
    assert models["teacher"]["role"] == "teacher"
    assert models["teacher"]["encoder_bytes"] > 0
    # The text-aware teacher beats every tuned baseline on the demo data.
    best_baseline = max(v["metrics"]["ndcg@10"] for v in models.values() if v["role"] == "baseline")
    assert models["teacher"]["metrics"]["ndcg@10"] > 1.2 * best_baseline
    assert best_baseline > 2 * models["popularity"]["metrics"]["ndcg@10"]
    # A scratch and a distilled student of the same size, and their ratios.
    kinds = {n: v["kd"] for n, v in models.items() if v["role"] == "student"}
    assert None in kinds.values() and any(kinds.values())
    assert m["distillation"] and all(r["bytes_ratio"] < 1 for r in m["distillation"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("demo", "--bogus"), "No such option"),
        (("run",), "Missing argument"),
        (("evaluate", "/nonexistent/run"), "run folder not found"),
    ],
)
def test_cli_usage_errors_are_one_line(cli: CliRunner, argv: tuple[str, ...], needle: str) -> None:
    code, _, err = cli(*argv)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_train_then_distill_stage_commands(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    """`train` leaves the students out; `distill RUN` adds them from the saved teacher."""
    cfg = small_config(tmp_path, demo_files)
    out = tmp_path / "run"
    code, stdout, stderr = cli("train", cfg, "--out", out)
    assert code == 0, stderr
    assert f"recdistill distill {out}" in stdout
    before = json.loads((out / "metrics.json").read_text())
    assert {m["role"] for m in before["models"].values()} == {"teacher", "baseline"}
    # An online teacher cannot serve a student reading more history than it does:
    # refused before anything trains (the scratch twin included).
    too_long = "[{kind: twotower, name: long, params: {d_model: 8, max_len: 40, epochs: 1}}]"
    code, _, err = cli(
        "distill", out, "--set", "distill.teacher_outputs=online", "--set",
        f"distill.students={too_long}",
    )  # fmt: skip
    assert code == 2 and "max_len 40, more than the teacher's 20" in err
    assert "Traceback" not in err and not (out / "models" / "long-scratch").exists()
    overrides = ["--set", "distill.recipes={hard: {methods: {hard: {k: 3}}}}", "--seed", "1"]
    code, stdout, stderr = cli("distill", out, *overrides)
    assert code == 0, stderr
    after = json.loads((out / "metrics.json").read_text())
    students = {n: m for n, m in after["models"].items() if m["role"] == "student"}
    assert set(students) == {  # and their int8 twins (distill.quantize's default)
        "student-scratch", "student-hard", "student-scratch-int8", "student-hard-int8"}
    assert students["student-hard"]["kd"] == "hard"
    assert {r["model"] for r in after["distillation"]} == set(students)
    # The teacher and baselines are untouched; the students' artifacts load.
    assert after["models"]["teacher"] == before["models"]["teacher"]
    assert RunFolder.open(out).model("student-hard").n_items == before["dataset"]["items"]
    code, _, err = cli("distill", tmp_path / "nowhere")
    assert code == 2 and "run folder not found" in err


def test_report_command_rerenders_and_rejects_bad_folders(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    out = small_run(cli, tmp_path, demo_files)
    (out / "report.html").unlink()
    code, stdout, _ = cli("report", out)
    assert code == 0 and (out / "report.html").exists() and "report.html" in stdout
    code, _, err = cli("report", tmp_path / "missing")
    assert code == 2 and "metrics.json" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "metrics.json").write_text("{not json")
    code, _, err = cli("report", tmp_path / "bad")
    assert code == 2 and "not valid JSON" in err


def test_scratch_students_only_need_no_teacher_cache(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    out = small_run(cli, tmp_path, demo_files, "--set", "distill.recipes={}")
    m = json.loads((out / "metrics.json").read_text())
    students = {n for n, v in m["models"].items() if v["role"] == "student"}
    assert students == {"student-scratch", "student-scratch-int8"}
    assert not (out / "cache").exists()


@pytest.mark.slow
def test_a_budgeted_run_plans_its_stages_and_stays_inside_the_budget(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    """With 5,000 epochs and no early stopping the models would run for many minutes; the
    40-second budget is split, planned, followed and recorded."""
    patience = ["--set", "teacher.params.epochs=5000", "--set", "teacher.params.patience=0"]
    patience += ["--set", "distill.students=[{kind: twotower, name: student, "
                 "params: {d_model: 8, max_len: 20, epochs: 5000, patience: 0}}]"]
    out = small_run(cli, tmp_path, demo_files, "--budget", "40s", *patience)
    m = json.loads((out / "metrics.json").read_text())
    budget = m["budget"]
    assert budget["budget_s"] == 40.0 and budget["seconds"] <= 40.0 * 1.15
    assert {"data", "teacher", "teacher_cache", "students", "baselines", "report"} <= set(
        budget["stages"]
    )
    for name in ("teacher", "students", "baselines"):
        stage = budget["stages"][name]
        assert stage["planned_s"] > 0 and stage["allowed_s"] > 0 and stage["seconds"] >= 0
    log = json.loads((out / "models" / "teacher" / "train_log.json").read_text())
    assert log["planned_steps"] is not None and log["steps"] <= log["planned_steps"]
    assert log["epochs_run"] < 5000  # stopped by the plan, not the epoch cap
    assert "Time budget" in (out / "report.html").read_text(encoding="utf-8")


def test_max_users_evaluates_a_fixed_sample_and_says_so(
    cli: CliRunner, tmp_path: Path, demo_files: tuple[Path, Path]
) -> None:
    """``evaluation.max_users`` below the users with targets: that many are evaluated (the
    same sample for every model), recorded in metrics.json and logged as a sample."""
    out = tmp_path / "run"
    code, _, stderr = cli(
        "run", small_config(tmp_path, demo_files), "--out", out,
        "--set", "evaluation.max_users=100", "--set", "teacher=null", "--set", "distill=null",
        "--set", "baselines=[{kind: popularity}, {kind: itemknn}]",
    )  # fmt: skip
    assert code == 0, stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["protocol"]["evaluated_users"] == 100 and m["protocol"]["users_sampled"] is True
    assert "users with targets: valid 400, test 400" in stderr
    assert "a fixed sample of 100 users" in stderr
    assert set(m["models"]) == {"popularity", "itemknn"}

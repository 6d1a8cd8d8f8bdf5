"""ONNX export: the graphs answer as the native models do (onnxruntime), and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

import onnxruntime as ort

from recdistill.data.views import Histories
from recdistill.export.bundle import export_run
from recdistill.export.onnx import SCORES, TOPK, padded
from recdistill.models.base import mask_scores, top_k
from recdistill.runfolder import RunFolder

USERS = 1000
pytestmark = pytest.mark.slow  # a real pipeline run, then six exports (about a minute)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real run: a SASRec teacher, two-tower and SASRec students, int8 copies."""
    from recdistill.config import load_config
    from recdistill.data.demo import write_demo
    from recdistill.pipeline import run_pipeline

    base = tmp_path_factory.mktemp("export")
    inter, items = write_demo(base / "src", seed=3, n_users=USERS + 100, n_items=300)
    small = {"d_model": 16, "max_len": 20, "epochs": 2}
    tree = {
        "data": {
            "name": "export-shop",
            "interactions": {"path": str(inter), "format": "csv", "time": "timestamp"},
            "items": {"path": str(items), "format": "csv", "text": ["title"]},
        },
        "evaluation": {"k": [10], "latency_users": 10},
        "teacher": {"kind": "sasrec", "name": "teacher",
                    "params": {**small, "n_heads": 1, "n_layers": 1, "text": {"encoder": "none"}}},
        "baselines": [{"kind": "popularity"}],
        "distill": {
            "students": [
                {"kind": "twotower", "name": "tt", "params": small},
                {"kind": "sasrec", "name": "sas",
                 "params": {**small, "n_heads": 1, "n_layers": 1, "text": {"encoder": "none"}}},
            ],
            "scratch": False,
            "quantize": ["int8"],
        },
    }  # fmt: skip
    cfg = base / "run.yaml"
    cfg.write_text(yaml.safe_dump(tree), encoding="utf-8")
    out = base / "run"
    run_pipeline(load_config(cfg, []), out)
    return out


def _students(run: RunFolder, kind: str) -> list[str]:
    models = run.metrics["models"]
    return sorted(n for n, e in models.items() if e["role"] == "student" and e["kind"] == kind)


def test_the_run_has_float32_and_int8_students_of_both_kinds(run_dir: Path) -> None:
    run = RunFolder.open(run_dir)
    for kind in ("twotower", "sasrec"):
        names = _students(run, kind)
        precisions = sorted(str(run.model(n).precision) for n in names)  # type: ignore[attr-defined]
        assert precisions == ["float32", "int8"], (kind, names)


@pytest.mark.parametrize("kind", ["twotower", "sasrec"])
@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_onnx_top10_equals_the_native_top10_for_1000_users(
    run_dir: Path, tmp_path: Path, kind: str, precision: str
) -> None:
    run = RunFolder.open(run_dir)
    (name,) = [n for n in _students(run, kind) if run.model(n).precision == precision]  # type: ignore[attr-defined]
    done = export_run(run_dir, tmp_path, name)
    assert done.verified is not None and done.verified.ok
    model = run.model(name)
    _, split = run.dataset_and_split()
    table = split.train_valid
    users = np.unique(table.user)[:USERS]
    assert len(users) == USERS
    batch = Histories.of_users(table, users)
    items, length = padded(batch)
    # padding values past `length` must not matter
    items[np.arange(items.shape[1])[None, :] >= length[:, None]] = 7
    feed = {"items": items, "length": length}
    scores = ort.InferenceSession(str(tmp_path / SCORES)).run(None, feed)[0]
    top_items, top_scores = ort.InferenceSession(str(tmp_path / TOPK)).run(None, feed)
    native = model.score(batch)
    assert scores.shape == native.shape == (USERS, model.n_items)
    np.testing.assert_allclose(scores, native, atol=1e-4, rtol=1e-4)
    masked = np.array(native, copy=True)
    mask_scores(masked, batch, exclude_seen=True)
    want_items, want_scores = top_k(masked, 10)
    assert top_items.shape == (USERS, 10) and top_items.dtype == np.int64
    differ = [b for b in range(USERS) if not np.array_equal(top_items[b], want_items[b])]
    # ties aside: where a list differs, the scores rank for rank are equal (within float error)
    for b in differ:
        np.testing.assert_allclose(top_scores[b], want_scores[b], atol=1e-4)
    assert len(differ) <= USERS // 100
    # the history's own items are never recommended
    for b in range(0, USERS, 37):
        assert not set(top_items[b]) & set(batch.row(b).tolist())


def test_int8_export_keeps_the_item_table_int8(run_dir: Path, tmp_path: Path) -> None:
    import onnx

    run = RunFolder.open(run_dir)
    (name,) = [n for n in _students(run, "twotower") if run.model(n).precision == "int8"]  # type: ignore[attr-defined]
    export_run(run_dir, tmp_path, name)
    graph = onnx.load(str(tmp_path / SCORES)).graph
    int8 = [list(t.dims) for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert [300, 16] in int8


def test_a_user_with_no_history_gets_the_native_cold_start_list(
    run_dir: Path, tmp_path: Path
) -> None:
    run = RunFolder.open(run_dir)
    name = _students(run, "twotower")[0]
    export_run(run_dir, tmp_path, name)
    feed = {"items": np.zeros((1, 1), np.int64), "length": np.zeros(1, np.int64)}
    scores = ort.InferenceSession(str(tmp_path / SCORES)).run(None, feed)[0]
    native = run.model(name).score(Histories.from_lists([[]]))
    np.testing.assert_allclose(scores, native, atol=1e-5)


def test_cli_export_writes_graphs_catalogue_and_a_readme_whose_example_runs(
    run_dir: Path, tmp_path: Path, cli: object
) -> None:
    out = tmp_path / "onnx"
    code, stdout, _ = cli("export", run_dir, "--format", "onnx", "--out", out, "--k", "5")  # type: ignore[operator]
    assert code == 0, stdout
    for f in (SCORES, TOPK, "items.json", "README.md"):
        assert (out / f).is_file() and f in stdout
    doc = json.loads((out / "items.json").read_text(encoding="utf-8"))
    run = RunFolder.open(run_dir)
    assert [r["item_id"] for r in doc["items"]] == run.items.to_list()
    assert doc["k"] == 5 and doc["model"] in run.model_names()
    example = re.search(r"```python\n(.*?)```", (out / "README.md").read_text(), re.S)
    assert example is not None and len(example.group(1).strip().splitlines()) <= 12
    (out / "example.py").write_text(example.group(1), encoding="utf-8")
    got = subprocess.run([sys.executable, "example.py"], cwd=out, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    lines = got.stdout.strip().splitlines()
    assert len(lines) == 5 and all(ln.split()[0] in set(run.items.to_list()) for ln in lines)


def test_cli_export_refuses_other_kinds_and_formats(
    run_dir: Path, tmp_path: Path, cli: object
) -> None:
    code, _, err = cli("export", run_dir, "--out", tmp_path, "--model", "popularity")  # type: ignore[operator]
    assert code != 0 and "popularity" in err and "twotower, sasrec" in err
    code, _, err = cli("export", run_dir, "--out", tmp_path, "--format", "tflite")  # type: ignore[operator]
    assert code != 0 and "--format" in err
    code, _, err = cli("export", run_dir, "--out", tmp_path, "--k", "0")  # type: ignore[operator]
    assert code != 0 and "k must be" in err

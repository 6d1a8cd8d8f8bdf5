"""Using recdistill from Python, without the command line.

Run from the repository root:  .venv/bin/python examples/python_api.py
It generates the small demo dataset, trains a text-aware teacher, distils a
two-tower student from it, evaluates both with full ranking and recommends
for an ad-hoc history.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from recdistill.config import DataConfig
from recdistill.data.demo import write_demo
from recdistill.data.load import load_dataset
from recdistill.distill import Distillation, build_teacher_cache
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models import FitOptions, Histories, TrainData, build_model
from recdistill.split import leave_last_out

with tempfile.TemporaryDirectory() as tmp:
    inter, items = write_demo(Path(tmp), seed=0, n_users=800, n_items=600)
    ds = load_dataset(
        DataConfig.model_validate(
            {
                "name": "demo",
                "interactions": {"path": str(inter), "format": "csv"},
                "items": {"path": str(items), "format": "csv", "text": ["title", "category"]},
            }
        )
    )
    split = leave_last_out(ds.interactions)
    train = TrainData(split.train, ds.item_text, ds.item_category)
    valid = EvalTask(split.train, split.valid, "valid")
    test = EvalTask(split.train_valid, split.test, "test")
    options = FitOptions(seed=0, threads=1, validate=lambda m: evaluate(m, valid, [10]))

    teacher = build_model(
        "sasrec", {"d_model": 64, "n_heads": 2, "epochs": 15, "text": {"encoder": "minilm"}}
    ).fit(train, options)
    cache = build_teacher_cache(teacher, train, Path(tmp) / "cache", m=50)  # type: ignore[arg-type]
    handle = Distillation({"methods": {"listwise": {}}, "alpha": 0.8}, teacher, cache)  # type: ignore[arg-type]
    student = build_model("twotower", {"d_model": 16, "epochs": 15}).fit(
        train, replace(options, distill=handle)
    )
    for name, model in (("teacher", teacher), ("student", student)):
        res = evaluate(model, test, [10])
        print(f"{name}: test NDCG@10 {res['ndcg@10']:.4f}, {model.serving_bytes():,} bytes")
    # A history given at request time, by the items' original ids.
    seen = ds.items.originals(split.train.item[:3])
    history = [ds.items.index(i) for i in seen]
    ids, _ = student.recommend(Histories.from_lists([history]), k=5)
    print("after", [ds.item_title[i] for i in history])
    print("recommended:", [ds.item_title[i] for i in ids[0]])

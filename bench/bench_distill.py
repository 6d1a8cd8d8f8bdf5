"""Benchmark: students distilled from the teacher, every method, several seeds.

Usage (from the repository root):
    .venv/bin/python bench/bench_distill.py teacher --data ml-100k --run runs/bench-ml100k
        [--params '{"d_model": 256}']     train the teacher once (a normal run folder)
    .venv/bin/python bench/bench_distill.py students --run runs/bench-ml100k
        --students sasrec-d32 --recipes scratch,listwise,rd --seeds 0,1,2 [--json out.json]
    .venv/bin/python bench/bench_distill.py table --json out.json [--json more.json]
        (merge result files and print the table)

``--data``: ``ml-100k`` (../shared/data/ml-100k), ``demo`` (the full generated
demo dataset, 6,000 users) or ``demo-quick`` (its 1,500-user version). The
protocol is the pipeline's: leave-last-out;
teacher and students early-stop on validation NDCG@10; the test is scored
once with train + validation histories. The students train through
``recdistill.pipeline.distill_run`` on the run's saved split with the teacher
cache in ``RUN/cache``; one teacher serves every seed (student seeds vary).

The table shows, per student and recipe, the mean and spread (sample std) over
seeds of test NDCG@10, % of the teacher, % of the teacher-scratch gap closed
(against the scratch student of the same seed), the serving-bytes ratio, the
single-request speed-up, and recall@10 by popularity group.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

# The teacher as tuned in bench_teacher.py (docs/BENCHMARKS.md, "Teacher").
TEACHER: dict[str, Any] = {
    "d_model": 256,
    "n_heads": 4,
    "n_layers": 2,
    "dropout": 0.5,
    "patience": 30,
    "text": {"encoder": "minilm", "fusion": "gate"},
}

STUDENTS: dict[str, dict[str, Any]] = {
    "sasrec-d32": {
        "kind": "sasrec",
        "params": {
            "d_model": 32,
            "n_heads": 2,
            "n_layers": 2,
            "dropout": 0.2,
            "patience": 10,
            "epochs": 100,
        },
    },
    "sasrec-d24": {
        "kind": "sasrec",
        "params": {
            "d_model": 24,
            "n_heads": 2,
            "n_layers": 2,
            "dropout": 0.2,
            "patience": 10,
            "epochs": 100,
        },
    },
    "sasrec-d16": {
        "kind": "sasrec",
        "params": {
            "d_model": 16,
            "n_heads": 1,
            "n_layers": 2,
            "dropout": 0.2,
            "patience": 10,
            "epochs": 100,
        },
    },
    "twotower-d16": {"kind": "twotower", "params": {"d_model": 16, "patience": 10, "epochs": 100}},
    "twotower-d24": {"kind": "twotower", "params": {"d_model": 24, "patience": 10, "epochs": 100}},
    "twotower-d32": {"kind": "twotower", "params": {"d_model": 32, "patience": 10, "epochs": 100}},
    "twotower-d32h1": {
        "kind": "twotower",
        "params": {"d_model": 32, "hidden_mult": 1.0, "patience": 10, "epochs": 100},
    },
    "twotower-d64": {"kind": "twotower", "params": {"d_model": 64, "patience": 10, "epochs": 100}},
}

GROUPS = ("head", "mid", "tail")
RECIPES: dict[str, dict[str, Any]] = {
    "soft": {"methods": {"soft": {}}, "alpha": 0.5},
    "hard": {"methods": {"hard": {"k": 10}}, "alpha": 0.5},
    "listwise": {"methods": {"listwise": {}}, "alpha": 0.5},
    "listwise-a8": {"methods": {"listwise": {}}, "alpha": 0.8},
    "listwise-adaptive": {
        "methods": {"listwise": {}},
        "alpha": 0.8,
        "adaptive": "target_prob",
        "adaptive_strength": 0.5,
    },
    "rd": {"methods": {"rd": {"k": 10}}, "alpha": 0.5},
    "cd": {"methods": {"cd": {}}, "alpha": 0.5},
    "derrd": {"methods": {"derrd": {}}, "alpha": 0.5},
    "hint": {"methods": {"hint": {}}, "alpha": 0.5},
    "listwise+rd": {"methods": {"listwise": {}, "rd": {"k": 10}}, "alpha": 0.8},
}


def data_config(name: str, folder: Path) -> dict[str, Any]:
    if name == "ml-100k":
        from bench_teacher import DEFAULT_DATA

        src = DEFAULT_DATA
        return {
            "name": "ml-100k",
            "interactions": {
                "path": str(src / "ml-100k.inter"),
                "format": "atomic",
                "user": "user_id",
                "item": "item_id",
                "time": "timestamp",
            },
            "items": {
                "path": str(src / "ml-100k.item"),
                "format": "atomic",
                "id": "item_id",
                "text": ["movie_title", "class"],
                "category": "class",
            },
        }
    if name in ("demo", "demo-quick"):
        from recdistill.data.demo import DEMO_SIZES, write_demo
        from recdistill.demo import demo_config

        source = folder / "source"
        write_demo(source, seed=0, **DEMO_SIZES["quick" if name == "demo-quick" else "full"])
        data: dict[str, Any] = demo_config(source)["data"]
        return data
    sys.exit(f"unknown --data {name!r} (ml-100k | demo | demo-quick)")


def train_teacher(args: argparse.Namespace) -> None:
    from recdistill.config import parse_config
    from recdistill.pipeline import run_pipeline

    params = {**TEACHER, **(json.loads(args.params) if args.params else {})}
    tree = {
        "data": data_config(args.data, args.run),
        "split": {"method": "leave_last_out"},
        "teacher": {"kind": "sasrec", "name": "teacher", "params": params},
        "baselines": [],
        "distill": None,
        "seed": args.seed,
        "threads": args.threads,
    }
    run_pipeline(parse_config(tree, "bench teacher"), args.run)


def train_students(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One ``distill_run`` per seed and recipe; rows are appended to ``--json`` as they come."""
    from recdistill.pipeline import distill_run

    students = [{"name": s, **STUDENTS[s]} for s in args.students.split(",")]
    if args.epochs:
        for s in students:
            s["params"] = {**s["params"], "epochs": args.epochs}
    metrics = json.loads((args.run / "metrics.json").read_text())
    teacher = next(m for m in metrics["models"].values() if m["role"] == "teacher")
    rows: list[dict[str, Any]] = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for recipe in args.recipes.split(","):
            recipes = {} if recipe == "scratch" else {recipe: RECIPES[recipe]}
            overrides = [
                f"distill.students={json.dumps(students)}",
                f"distill.recipes={json.dumps(recipes)}",
                f"distill.scratch={'true' if recipe == 'scratch' else 'false'}",
            ]
            if args.threads:
                overrides.append(f"threads={args.threads}")
            if args.quantize:
                overrides.append(f"distill.quantize=[{args.quantize}]")
            with tempfile.TemporaryDirectory() as tmp:
                entries = distill_run(
                    args.run, overrides, seed=seed, out=Path(tmp), update_metrics=False
                )
            for name, e in entries.items():
                rows.append(row_of(metrics, teacher, name, e, seed))
                print(json.dumps(rows[-1]), flush=True)
            if args.json:
                args.json[0].write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return rows


def row_of(
    metrics: dict[str, Any], teacher: dict[str, Any], name: str, e: dict[str, Any], seed: int
) -> dict[str, Any]:
    return {
        "dataset": metrics["dataset"]["name"],
        "model": name,
        # a quantized student is its own size class (its scratch twin: the
        # quantized scratch student)
        "student": e["student"] + (f"-{e['precision']}" if "precision" in e else ""),
        "kd": e["kd"],
        "recipe": (e.get("recipe") or {}).get("name", "scratch"),
        "seed": seed,
        "epochs_cap": e.get("selected_params", {}).get("epochs"),
        "ndcg@10": e["metrics"]["ndcg@10"],
        "val_ndcg@10": e["val_metrics"]["ndcg@10"],
        "recall_head@10": e["metrics"]["recall_head@10"],
        "recall_mid@10": e["metrics"]["recall_mid@10"],
        "recall_tail@10": e["metrics"]["recall_tail@10"],
        "serving_bytes": e["serving_bytes"],
        "latency_ms_per_user": e["latency_ms_per_user"],
        "train_seconds": e["train_seconds"],
        "teacher_ndcg@10": teacher["metrics"]["ndcg@10"],
        "teacher_serving_bytes": teacher["serving_bytes"],
        "teacher_latency_ms_per_user": teacher["latency_ms_per_user"],
        "teacher_recall@10": {
            g: teacher["metrics"][f"recall_{g}@10"] for g in ("head", "mid", "tail")
        },
    }


def table(rows: list[dict[str, Any]], markdown: bool = False) -> None:
    """Mean and spread over seeds per (dataset, student, recipe)."""
    from rich.console import Console
    from rich.table import Table

    scratch = {
        (r["dataset"], r["student"], r["seed"]): r["ndcg@10"] for r in rows if r["kd"] is None
    }
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["student"], r["recipe"]), []).append(r)
    out = Table(title="Students vs teacher (test NDCG@10, mean ± std over seeds)")
    cols = ["dataset", "student", "recipe", "seeds", "NDCG@10", "% of teacher"]
    cols += ["% gap closed", "bytes ratio", "speed-up", "recall head/mid/tail"]
    for c in cols:
        out.add_column(c, justify="left" if c in ("dataset", "student", "recipe") else "right")

    def ms(values: list[float], scale: float = 1.0, fmt: str = ".4f") -> str:
        v = np.asarray(values, dtype=float) * scale
        spread = f" ± {v.std(ddof=1):{fmt}}" if len(v) > 1 else ""
        return f"{v.mean():{fmt}}{spread}"

    md = [
        "| student | recipe | seeds | test NDCG@10 | % of teacher | % gap closed | bytes ratio "
        "| speed-up | recall head / mid / tail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (ds, student, recipe), rs in sorted(groups.items()):
        t = rs[0]["teacher_ndcg@10"]
        pct = [r["ndcg@10"] / t for r in rs]
        # gap closed from the means over seeds, shown only when the teacher beats the
        # mean scratch student (otherwise there is no gap to close)
        gap = None
        scr = [scratch[(ds, student, r["seed"])] for r in rs if (ds, student, r["seed"]) in scratch]
        if rs[0]["kd"] is not None and scr:
            s_mean = float(np.mean(scr))
            if t > s_mean:
                gap = (float(np.mean([r["ndcg@10"] for r in rs])) - s_mean) / (t - s_mean)
        speed = [r["teacher_latency_ms_per_user"] / r["latency_ms_per_user"] for r in rs]
        cells = [
            student,
            recipe,
            str(len(rs)),
            ms([r["ndcg@10"] for r in rs]),
            ms(pct, 100, ".1f") + "%",
            f"{100 * gap:.0f}%" if gap is not None else "-",
            f"{100 * rs[0]['serving_bytes'] / rs[0]['teacher_serving_bytes']:.1f}%",
            f"{np.mean(speed):.1f}x",
            " / ".join(f"{np.mean([r[f'recall_{g}@10'] for r in rs]):.3f}" for g in GROUPS),
        ]
        md.append("| " + " | ".join(cells) + " |")
        out.add_row(ds, *cells)
    first = rows[0]
    tr = first["teacher_recall@10"]
    Console(width=200).print(out)
    if markdown:
        print("\n".join(md))
    print(
        f"teacher: NDCG@10 {first['teacher_ndcg@10']:.4f}, serving "
        f"{first['teacher_serving_bytes'] / 1e6:.2f} MB, recall head/mid/tail "
        f"{tr['head']:.3f}/{tr['mid']:.3f}/{tr['tail']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["teacher", "students", "table"])
    parser.add_argument("--data", default="ml-100k")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "bench-ml100k")
    parser.add_argument("--params", default="")
    parser.add_argument("--students", default="sasrec-d32")
    parser.add_argument("--recipes", default="scratch,listwise")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="students: epoch cap")
    parser.add_argument("--quantize", default="", help="students: also int8 / float16 twins")
    parser.add_argument("--json", type=Path, action="append", default=[])
    parser.add_argument("--markdown", action="store_true", help="table: also as Markdown")
    args = parser.parse_args()
    if args.mode == "teacher":
        train_teacher(args)
        return
    if args.mode == "students":
        rows = train_students(args)
    else:
        rows = [r for f in args.json for r in json.loads(f.read_text())]
    table(rows, markdown=args.markdown)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()

"""Benchmark: what item content buys the teacher on the demo shop (text encoders, images),
and the TF-IDF baseline on Chinese text.

Usage (from the repository root):
    .venv/bin/python bench/bench_item_content.py teacher --lang zh \
        [--variants none,minilm,e5] [--seeds 0,1,2] [--size quick] [--json out.json]
    .venv/bin/python bench/bench_item_content.py teacher --lang zh --images \
        --variants e5,e5+image,image
    .venv/bin/python bench/bench_item_content.py teacher --lang zh --fusion sum
    .venv/bin/python bench/bench_item_content.py teacher --lang zh --cold 0.2
    .venv/bin/python bench/bench_item_content.py tfidf

``teacher``: the demo data (``write_demo``: the same shop and shoppers in either
language; ``--images`` also renders the product pictures) is loaded through the
configured CSV path, split leave-last-out, and one teacher recipe (the quick
demo's: SASRec d=128, 2 blocks, 4 heads, dropout 0.3, up to ``--epochs`` epochs,
patience 8, early stopping on validation NDCG@10) is trained per variant and
seed; the test is scored once, full ranking, with train + validation as the
history. Variants name the item content the teacher reads: ``none`` (IDs only),
``minilm``, ``e5``, ``auto`` (text encoders), ``image`` (EfficientNet-Lite0 on
the pictures, no text) and ``TEXT+image``. Text and image vectors come from the
on-disk caches, so only the first run of an encoder pays for it (the time is
printed). Prints one JSON line per run and a table of mean and standard
deviation per variant.

``--cold SHARE``: a cold-start test instead: a fixed random SHARE of the items
lose every event before the test (training, validation and the histories), and
only the users whose test target is one of them are scored, full ranking over
all items: what content is for (an ID-only teacher has nothing to rank them by).

``tfidf``: the TF-IDF baseline on the English and the Chinese demo (the same
shop, so the same behaviour), and on the Chinese one with its words left
unsegmented (each run of characters one term, what the tokenizer did before
jieba), also with the spaces between the words of the titles removed (as many
Chinese catalogues write them): test NDCG@10 and vocabulary size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from recdistill.config import DataConfig
from recdistill.data.demo import DEMO_SIZES, demo_config, write_demo
from recdistill.data.load import load_dataset
from recdistill.data.types import Dataset
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.models import FitOptions, SASRec, TrainData, build_model
from recdistill.split import Split, leave_last_out

TEACHER: dict[str, Any] = {
    "d_model": 128,
    "n_heads": 4,
    "n_layers": 2,
    "dropout": 0.3,
    "epochs": 60,
    "patience": 8,
}


def load_demo(folder: Path, lang: str, size: str, images: bool) -> tuple[Dataset, Split]:
    sizes = DEMO_SIZES[size]
    write_demo(folder, 0, sizes["n_users"], sizes["n_items"], lang=lang, images=images)
    cfg = DataConfig.model_validate(demo_config(folder, name=f"demo-{lang}", images=images))
    if images:
        assert cfg.items is not None and cfg.items.image == "image"
    ds = load_dataset(cfg)
    return ds, leave_last_out(ds.interactions)


def variant_params(variant: str, epochs: int, fusion: str = "gate") -> dict[str, Any]:
    text, _, image = variant.partition("+")
    if variant == "image":
        text, image = "none", "image"
    params = {**TEACHER, "epochs": epochs, "text": {"encoder": text, "fusion": fusion}}
    if image:
        params["image"] = {"encoder": "efficientnet-lite0"}
    return params


def cold_items(ds: Dataset, share: float) -> np.ndarray:
    """A fixed random ``share`` of the items (seed 12345), as a bool mask over items."""
    rng = np.random.default_rng(12345)
    return rng.random(ds.n_items) < share


def run_teacher(
    ds: Dataset,
    split: Split,
    variant: str,
    seed: int,
    epochs: int,
    threads: int | None,
    fusion: str = "gate",
    cold: np.ndarray | None = None,
) -> dict[str, Any]:
    train_part, history = split.train, split.train_valid
    test_targets = split.test
    if cold is not None:  # new items: no interactions anywhere before the test
        train_part = train_part.select(~cold[train_part.item])
        history = history.select(~cold[history.item])
        test_targets = test_targets.select(cold[test_targets.item])
    train = TrainData(train_part, ds.item_text, ds.item_category, ds.item_image)
    valid = EvalTask(train_part, split.valid.select(~cold[split.valid.item])
                     if cold is not None else split.valid, "valid")  # fmt: skip
    test = EvalTask(history, test_targets, "test")
    model = build_model("sasrec", variant_params(variant, epochs, fusion))
    opts = FitOptions(
        seed=seed,
        threads=threads,
        progress=False,
        validate=lambda m: evaluate(m, valid, [10]),
    )
    t0 = time.perf_counter()
    model.fit(train, opts)
    fit_s = time.perf_counter() - t0
    assert isinstance(model, SASRec) and model.report is not None
    res = evaluate(model, test, [10, 20])
    extra: dict[str, Any] = {}
    if cold is not None:  # where the cold items land in the full ranking (200 test users)
        users = test_targets.users_present()[:200]
        ranks = (-model.score(TrainData(history).histories(users))).argsort(1).argsort(1)
        extra = {
            "cold_mean_rank": float(ranks[:, cold].mean()),
            "warm_mean_rank": float(ranks[:, ~cold].mean()),
            "best_cold_rank_median": float(np.median(ranks[:, cold].min(1))),
        }
    rep = model.report
    epoch_s = [e["seconds"] for e in rep.epochs]
    return {
        "variant": variant,
        "seed": seed,
        "text_encoder": model.encoder,
        "encoders": model.meta()["encoders"],
        "best_epoch": rep.best_epoch,
        "epochs_run": rep.epochs_run,
        "test_ndcg@10": res["ndcg@10"],
        "test_hr@10": res["hr@10"],
        "test_recall@20": res["recall@20"],
        "fit_seconds": fit_s,
        "seconds_per_epoch": sum(epoch_s) / max(1, len(epoch_s)),
        "serving_bytes": model.serving_bytes(),
        "encoder_bytes": model.encoder_bytes(),
        **extra,
    }


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| variant | seeds | test NDCG@10 mean | std | per seed | epochs (best) | s/epoch |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for variant in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == variant]
        nd = [r["test_ndcg@10"] for r in rs]
        sd = statistics.stdev(nd) if len(nd) > 1 else 0.0
        per = ", ".join(f"{v:.4f}" for v in nd)
        ep = ", ".join(f"{r['epochs_run']} ({r['best_epoch']})" for r in rs)
        spe = statistics.mean(r["seconds_per_epoch"] for r in rs)
        out.append(
            f"| {variant} | {len(rs)} | {statistics.mean(nd):.4f} | {sd:.4f} | {per} | {ep} "
            f"| {spe:.1f} |"
        )
    return "\n".join(out)


def teacher(args: argparse.Namespace) -> None:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        ds, split = load_demo(Path(tmp) / "demo", args.lang, args.size, args.images)
        print(
            f"# demo lang={args.lang} size={args.size} images={args.images}: "
            f"{ds.n_users:,} users, {ds.n_items:,} items, {len(ds.interactions):,} events",
            flush=True,
        )
        cold = cold_items(ds, args.cold) if args.cold else None
        if cold is not None:
            n_test = int(cold[split.test.item].sum())
            print(
                f"# cold items: {int(cold.sum()):,} of {ds.n_items:,} have no training "
                f"events; the test scores the {n_test:,} users whose target is one",
                flush=True,
            )
        for variant in args.variants.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                row = run_teacher(
                    ds, split, variant, seed, args.epochs, args.threads, args.fusion, cold
                )
                print(json.dumps(row), flush=True)
                rows.append(row)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


def tfidf(args: argparse.Namespace) -> None:
    from recdistill.models import tfidf as tfidf_module

    def fit_tfidf(ds: Dataset, split: Split, texts: list[str] | None = None) -> tuple[float, int]:
        model = build_model("tfidf", {})
        text = ds.item_text if texts is None else texts
        model.fit(TrainData(split.train_valid, text, ds.item_category), FitOptions())
        test = EvalTask(split.train_valid, split.test, "test")
        vocab = len(getattr(model, "vocabulary", []))
        return evaluate(model, test, [10])["ndcg@10"], vocab

    def unsegmented(ds: Dataset, split: Split, texts: list[str] | None) -> tuple[float, int]:
        segment = tfidf_module._segment
        tfidf_module._segment = lambda run: [run]
        try:
            return fit_tfidf(ds, split, texts)
        finally:
            tfidf_module._segment = segment

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("en", "zh"):
            ds, split = load_demo(Path(tmp) / lang, lang, args.size, False)
            rows.append((lang, *fit_tfidf(ds, split)))
            if lang == "zh":
                rows.append(("zh, unsegmented (runs of characters as terms)",
                             *unsegmented(ds, split, None)))  # fmt: skip
                # Titles written without spaces, as many Chinese catalogues are.
                joined = [t.replace(" ", "") for t in ds.item_text]
                rows.append(("zh without spaces", *fit_tfidf(ds, split, joined)))
                rows.append(("zh without spaces, unsegmented", *unsegmented(ds, split, joined)))
    print("| catalogue | test NDCG@10 | vocabulary |\n|---|---|---|")
    for name, nd, vocab in rows:
        print(f"| {name} | {nd:.4f} | {vocab:,} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["teacher", "tfidf"])
    parser.add_argument("--lang", default="zh", choices=["en", "zh"])
    parser.add_argument("--size", default="quick", choices=sorted(DEMO_SIZES))
    parser.add_argument("--images", action="store_true")
    parser.add_argument("--variants", default="none,minilm,e5")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--fusion", default="gate", choices=["gate", "sum"])
    parser.add_argument("--cold", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    {"teacher": teacher, "tfidf": tfidf}[args.mode](args)


if __name__ == "__main__":
    main()

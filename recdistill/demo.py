"""``recdistill demo``: the whole pipeline on the bundled generated dataset.

The dataset is generated from a seed into ``OUT/source/`` (CSV files, the same
path a user's own data takes), then the pipeline runs on it: the text-aware
teacher, a small student trained from scratch and distilled from it, and the
baselines. ``quick`` uses the smaller dataset, a narrower teacher, fewer
student epochs and smaller validation grids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recdistill.config import parse_config
from recdistill.data.demo import DEMO_SIZES, LANGUAGES, write_demo
from recdistill.data.demo import demo_config as data_config
from recdistill.errors import UserError
from recdistill.pipeline import RunResult, run_pipeline
from recdistill.specs import SpecBase, model_spec
from recdistill.stages.baselines import default_baselines

#: the demo's time budgets (the whole run after the data is written): `--quick` within 3
#: minutes, the full demo within 8, on 2 CPU cores
DEMO_BUDGET = {"quick": "150s", "full": "7m"}


def quick_baselines() -> list[SpecBase]:
    """Baselines with one or two grid points each, for ``--quick``."""
    return [
        model_spec("popularity"),
        model_spec("itemknn", params={"similarity": "cosine", "neighbors": 100}),
        model_spec("tfidf"),
        model_spec("ease", grid={"l2": [100.0, 500.0]}),
        model_spec("ials", params={"iterations": 10, "factors": 64}),
    ]


def demo_teacher(quick: bool, images: bool = False) -> SpecBase:
    """The demo's teacher: text-aware SASRec, sized so the demo fits its time budget.

    ``--quick`` (a 150-second budget for the whole run): d=128; full (a 7-minute
    budget): d=256. Both plan their steps to their share of the budget (100
    epochs at most) and early-stop on validation.
    """
    params: dict[str, Any] = {
        "d_model": 128 if quick else 256,
        "n_heads": 4,
        "n_layers": 2,
        "dropout": 0.3,
        "epochs": 100,
        "patience": 8,
        "text": {"encoder": "auto"},
    }
    if images:
        params["image"] = {"encoder": "efficientnet-lite0"}
    return model_spec("sasrec", name="teacher", params=params)


def demo_students(quick: bool) -> list[SpecBase]:
    """The demo's student: the two-tower student (d=32), from scratch and distilled.

    A higher learning rate than the default (5e-3) lets it converge within its
    share of the demo's budget.
    """
    params: dict[str, Any] = {
        "d_model": 32,
        "lr": 0.005,
        "epochs": 100,
        "patience": 8,
    }
    return [model_spec("twotower", name="student", params=params)]


def demo_config(source: Path, images: bool = False) -> dict[str, Any]:
    """The run-config tree for the generated files in ``source``."""
    data = data_config(source, name="demo-shop", images=images)
    return {"data": data, "split": {"method": "leave_last_out"}}


def run_demo(
    out: Path,
    *,
    quick: bool = False,
    seed: int = 0,
    budget: str | None = None,
    lang: str = "en",
    images: bool = False,
) -> RunResult:
    """Generate the demo shop into ``out/source`` (in ``lang``: ``en`` or ``zh``; with
    ``images``, a drawn picture per product that the teacher reads beside the text) and
    run the pipeline on it into ``out``."""
    if lang not in LANGUAGES:
        raise UserError(f"--lang: unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    sizes = DEMO_SIZES["quick" if quick else "full"]
    source = out / "source"
    write_demo(source, seed=seed, lang=lang, images=images, progress=True, **sizes)
    tree = demo_config(source, images)
    if lang != "en":
        tree["data"]["name"] = f"demo-shop-{lang}"
    specs = quick_baselines() if quick else default_baselines()
    tree["baselines"] = [s.model_dump(mode="json") for s in specs]
    tree["teacher"] = demo_teacher(quick, images).model_dump(mode="json")
    tree["distill"] = {
        "students": [s.model_dump(mode="json") for s in demo_students(quick)],
        "quantize": ["int8"],
    }
    tree["budget"] = budget if budget is not None else DEMO_BUDGET["quick" if quick else "full"]
    cfg = parse_config(tree, "demo config")
    return run_pipeline(cfg, out)

"""The ``recdistill`` command line.

Every user mistake raises :class:`recdistill.errors.UserError`; :func:`main`
prints it as one line on stderr and exits with code 2 (never a traceback).
"""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from recdistill.errors import UserError
from recdistill.tracking import DEFAULT_URI, Tracker, open_tracker, safe_uri

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Knowledge distillation for recommendation: teacher -> student -> evaluation -> serving.",
)
data_app = typer.Typer(no_args_is_help=True, help="Load, inspect and download datasets.")
app.add_typer(data_app, name="data")

log = logging.getLogger("recdistill")

#: `--mlflow` and `--mlflow-uri URI` of run, train, distill and demo (recdistill/tracking.py)
MlflowFlag = Annotated[
    bool,
    typer.Option(
        "--mlflow",
        help="When the run ends, log it to MLflow (config, per-epoch curves, test metrics, "
        f"ratios, report, models): to $MLFLOW_TRACKING_URI, else {DEFAULT_URI} (./mlflow.db "
        "in the current directory, artifacts in ./mlruns/). Needs the mlflow extra.",
    ),
]
MlflowUri = Annotated[
    str | None,
    typer.Option(
        "--mlflow-uri",
        metavar="URI",
        help="Log to MLflow at this tracking URI instead (sqlite:///PATH.db, "
        "http://HOST:5000, ...); implies --mlflow.",
    ),
]


def setup_logging(verbose: bool = False) -> None:
    from rich.logging import RichHandler

    from recdistill.progress import console

    handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )


@app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="Run config YAML.")],
    out: Annotated[
        Path, typer.Option("--out", help="Run folder for metrics and artifacts.")
    ] = Path("runs/latest"),
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key: key.sub=value")
    ] = None,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget",
            help="Wall-clock budget of the run: 20m (the default), 90s, 1.5h, or none "
            "(train to convergence).",
        ),
    ] = None,
    mlflow: MlflowFlag = False,
    mlflow_uri: MlflowUri = None,
) -> None:
    """Run the whole pipeline as configured and write OUT/metrics.json."""
    extra = [f"budget={budget}"] if budget is not None else []
    _run_config(config, out, [*(set_ or []), *extra], open_tracker(mlflow, mlflow_uri))


def _run_config(
    config: Path, out: Path, overrides: list[str], tracker: Tracker | None = None
) -> Path:
    """Load ``config`` with ``overrides``, run the pipeline, print where results are."""
    from recdistill.config import load_config
    from recdistill.pipeline import run_pipeline

    result = run_pipeline(load_config(config, overrides), out)
    _print_results(result.out_dir)
    _track(tracker, result.out_dir)
    return result.out_dir


def _track(tracker: Tracker | None, run_dir: Path) -> None:
    """Log the finished run folder to MLflow when `--mlflow` asked for it."""
    if tracker is not None:
        run_id = tracker.log_run(run_dir)
        typer.echo(f"mlflow: run {run_id} at {safe_uri(tracker.uri)}")


def _print_results(run_dir: Path) -> None:
    """Where a run's results are, and the one command that serves it."""
    typer.echo(f"metrics: {run_dir / 'metrics.json'}")
    typer.echo(f"report: {run_dir / 'report.html'}")
    invoked = sys.argv[0] if sys.argv else ""
    prog = invoked if Path(invoked).name == "recdistill" else "recdistill"  # as the user ran it
    typer.echo(f"serve it: {prog} serve {shlex.quote(str(run_dir))}")


@app.command("train")
def train_cmd(
    config: Annotated[Path, typer.Argument(help="Run config YAML.")],
    out: Annotated[
        Path, typer.Option("--out", help="Run folder for metrics and artifacts.")
    ] = Path("runs/latest"),
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key: key.sub=value")
    ] = None,
    mlflow: MlflowFlag = False,
    mlflow_uri: MlflowUri = None,
) -> None:
    """Train the teacher and the baselines (no students); `recdistill distill OUT` adds them."""
    tracker = open_tracker(mlflow, mlflow_uri)
    result_dir = _run_config(config, out, [*(set_ or []), "distill=null"], tracker)
    typer.echo(f"next: recdistill distill {result_dir}")


@app.command("report")
def report_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (with metrics.json).")],
) -> None:
    """(Re-)render RUN_DIR/report.html from metrics.json and the training logs."""
    from recdistill.runfolder import RunFolder

    typer.echo(f"report: {RunFolder(run_dir).write_report()}")


@app.command("distill")
def distill_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder with a trained teacher.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a config key, e.g. distill.recipes.rd.alpha=0.7"),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for the students.")] = None,
    mlflow: MlflowFlag = False,
    mlflow_uri: MlflowUri = None,
) -> None:
    """Train scratch and distilled students from the run's teacher; update its metrics.json."""
    from recdistill.pipeline import distill_run

    tracker = open_tracker(mlflow, mlflow_uri)
    entries = distill_run(run_dir, set_ or [], seed=seed)
    if entries:
        typer.echo(f"students: {', '.join(entries)}; metrics: {run_dir / 'metrics.json'}")
        _track(tracker, run_dir)


@app.command("demo")
def demo(
    quick: Annotated[
        bool, typer.Option("--quick", help="Smaller data and models: a few minutes on 2 cores.")
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")] = Path("runs/demo"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated dataset.")] = 0,
    budget: Annotated[
        str | None,
        typer.Option("--budget", help="Time budget (default: 150s with --quick, else 7m)."),
    ] = None,
    lang: Annotated[
        str,
        typer.Option("--lang", help="Catalogue language: en, or zh (Chinese titles, e5 text)."),
    ] = "en",
    images: Annotated[
        bool,
        typer.Option("--images", help="Draw product pictures; the teacher reads them too."),
    ] = False,
    mlflow: MlflowFlag = False,
    mlflow_uri: MlflowUri = None,
) -> None:
    """Generate the bundled e-commerce dataset and run the whole pipeline on it."""
    from recdistill.demo import run_demo

    tracker = open_tracker(mlflow, mlflow_uri)
    result = run_demo(out, quick=quick, seed=seed, budget=budget, lang=lang, images=images)
    _print_results(result.out_dir)
    _track(tracker, result.out_dir)


@app.command("evaluate")
def evaluate_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `recdistill run`.")],
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Model name (repeatable; default: all).")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="test | valid")] = "test",
    k: Annotated[list[int] | None, typer.Option("--k", help="Cut-off (repeatable).")] = None,
) -> None:
    """Re-evaluate saved models of a run folder on its saved split (full ranking)."""
    from recdistill.evaluate.protocol import EvalTask, evaluate
    from recdistill.runfolder import RunFolder

    if split not in ("test", "valid"):
        raise UserError(f"--split: expected 'test' or 'valid', got '{split}'")
    run = RunFolder.open(run_dir)
    train = run.table("train")
    if split == "valid":
        task = EvalTask(train, run.table("valid"), "valid")
    else:
        task = EvalTask(train.concat(run.table("valid")), run.table("test"), "test")
    ks = sorted(set(k or [10, 20]))
    names = model or run.model_names()
    if not names:
        raise UserError(f"{run_dir}: no saved models")
    for name in names:
        res = evaluate(run.model(name), task, ks)
        parts = " ".join(
            f"{m}@{c}={res[f'{m}@{c}']:.4f}" for c in ks for m in ("ndcg", "recall", "hr")
        )
        typer.echo(f"{name}: {split} {parts}")


@app.command("export")
def export_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `recdistill run`.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")],
    fmt: Annotated[str, typer.Option("--format", help="Export format: onnx.")] = "onnx",
    model: Annotated[
        str | None,
        typer.Option("--model", help="Saved model to export (default: the served student)."),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="List length of the top-k graph.")] = 10,
) -> None:
    """Export a student (two-tower or SASRec) as ONNX graphs plus items.json and a README."""
    from recdistill.export.bundle import check_format, export_run

    check_format(fmt)
    done = export_run(run_dir, out, model, k)
    for path in done.files:
        typer.echo(f"wrote {path}")


@app.command("serve")
def serve_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `recdistill run`.")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Event store URL (default: sqlite:///RUN_DIR/events.db; "
            "postgresql+psycopg://user@host/db for PostgreSQL).",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Serve this saved model as the student (default: chosen from metrics.json).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    cache_size: Annotated[
        int,
        typer.Option(
            "--cache-size",
            help="Users whose top-100 lists are cached per model (0: score every request).",
        ),
    ] = 50_000,
    warm: Annotated[
        int,
        typer.Option(
            "--warm",
            help="After start and each reload, precompute the lists of this many most "
            "recently active users in the background (0: none).",
        ),
    ] = 10_000,
    sync: Annotated[
        bool | None,
        typer.Option(
            "--sync/--no-sync",
            help="Follow events other processes commit, in the background (default: on "
            "with several workers or a PostgreSQL store).",
        ),
    ] = None,
) -> None:
    """Serve the run's student (and teacher) over HTTP, with live events and the page.

    Write endpoints need the bearer token in RECDISTILL_API_TOKEN (docs/serving.md).
    """
    from recdistill.serve import ServeOptions, run_server

    if not 0 < port < 65536:
        raise UserError(f"--port: expected 1..65535, got {port}")
    if workers < 1:
        raise UserError(f"--workers: expected at least 1, got {workers}")
    if cache_size < 0:
        raise UserError(f"--cache-size: expected 0 or more, got {cache_size}")
    if warm < 0:
        raise UserError(f"--warm: expected 0 or more, got {warm}")
    from recdistill.runfolder import RunFolder

    RunFolder.open(run_dir)
    options = ServeOptions(
        run_dir=run_dir.resolve(),
        store=store,
        model=model,
        sync=sync,
        workers=workers,
        cache_size=cache_size,
        warm=warm,
    )
    run_server(options, host=host, port=port)


@app.command("doctor")
def doctor_cmd(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Also check this event store: postgresql+psycopg://user@host/db "
            "(connects, 3 s timeout) or sqlite:///PATH.",
        ),
    ] = None,
) -> None:
    """Print what this machine offers: Python, torch, CPU, GPUs, threads, encoders, extras."""
    from recdistill.doctor import collect, print_report

    print_report(collect(store))


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(version("recdistill"))
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options before the command (`recdistill --version`)."""


@data_app.command("inspect")
def data_inspect(
    config: Annotated[Path, typer.Argument(help="Run config YAML (its data: section is used).")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: key=value")] = None,
) -> None:
    """Load and clean the configured data, then print its statistics."""
    from recdistill.config import load_config
    from recdistill.data.load import describe, load_dataset

    cfg = load_config(config, set_ or [])
    ds = load_dataset(cfg.data)
    typer.echo(describe(ds))


@data_app.command("generate")
def data_generate(
    users: Annotated[int, typer.Option("--users", help="Number of users.")] = 6000,
    items: Annotated[int, typer.Option("--items", help="Number of items (300 or more).")] = 3200,
    interactions: Annotated[
        int, typer.Option("--interactions", help="Number of interactions (5 to 500 per user).")
    ] = 150_000,
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path(
        "data/generated"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generator.")] = 0,
    lang: Annotated[
        str, typer.Option("--lang", help="Catalogue language: en, or zh (Chinese titles).")
    ] = "en",
) -> None:
    """Write the generated shop (interactions, items with text) at any size, plus a
    config.yaml that runs on it."""
    from recdistill.data.demo.generate import check_sizes, generate
    from recdistill.progress import make_progress

    check_sizes(users, items, interactions)
    with make_progress() as bars:
        task = bars.add_task("generating interactions", total=interactions, rate="")
        done = generate(
            out, users, items, interactions, seed=seed, lang=lang,
            progress=lambda n: bars.advance(task, n),
        )  # fmt: skip
    typer.echo(
        f"wrote {done.interactions:,} interactions of {done.users:,} users over "
        f"{done.items:,} items to {out}"
    )
    typer.echo(f"run it: recdistill run {done.config}")


@data_app.command("download")
def data_download(
    name: Annotated[str, typer.Argument(help="movielens-100k | movielens-1m")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to unpack into.")] = Path("data"),
    url: Annotated[
        str | None, typer.Option("--url", help="Override the download address (mirrors).")
    ] = None,
) -> None:
    """Download a public dataset, verify its checksum, unpack it, print a config."""
    from recdistill.data.download import download

    result = download(name, dest, url=url)
    typer.echo(result.config_yaml)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning user errors into one line + exit 2."""
    setup_logging()
    try:
        app(args=argv, standalone_mode=False)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors (unknown option, missing argument) come from click, which typer
        # may vendor as typer._click: recognise both.
        if _is_click_exception(exc):
            message = exc.format_message()  # type: ignore[attr-defined]
            if message:  # empty after `recdistill` alone: the help was printed
                print(f"error: {message}", file=sys.stderr)
            sys.exit(2)
        raise


def _is_click_exception(exc: BaseException) -> bool:
    return any(
        cls.__name__ == "ClickException" and "click" in cls.__module__ for cls in type(exc).__mro__
    )


if __name__ == "__main__":
    main()

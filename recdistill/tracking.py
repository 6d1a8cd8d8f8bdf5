"""MLflow tracking of a finished run folder (``--mlflow`` / ``--mlflow-uri URI``).

Off by default. When asked for, :func:`open_tracker` connects to the tracking
store *before* the run starts (so a missing package or a bad URI fails at
once), and :meth:`Tracker.log_run` copies what the run folder holds into one
MLflow run after it ends, so the run folder stays the single source of truth:

- params: the resolved config (``config.json``) flattened to dotted keys
  (``teacher.params.d_model``; lists of sections by index, ``baselines.0.kind``),
  values as JSON, secrets hidden (``serve.token``, passwords in URLs);
- per-epoch curves of every model that trained in the loop (its
  ``train_log.json``), ``step`` = epoch: ``NAME/loss`` (with a distilled
  student's parts ``NAME/loss_true``, ``NAME/loss_kd``, ``NAME/kd_<method>``,
  ``NAME/alpha``), ``NAME/sequences_per_s``, ``NAME/epoch_seconds`` and the
  validation metrics ``NAME/valid_ndcg10``, ...;
- the final numbers of ``metrics.json`` at step 0: test metrics
  ``NAME/test_ndcg10``, ..., size and cost (``NAME/serving_bytes``,
  ``NAME/params``, ``NAME/latency_ms_per_user``, ``NAME/train_seconds``, ...),
  the distillation ratios ``NAME/pct_of_teacher``, ``NAME/gap_closed``,
  ``NAME/bytes_ratio``, ``NAME/speedup``, ``NAME/speedup_batched``, and
  ``run_seconds``;
- artifacts: ``report.html``, ``metrics.json`` and ``models/NAME/`` for every
  saved model (without ``checkpoints/``, the resume state).

Metric names are MLflow-safe: ``@`` is dropped (``ndcg@10`` -> ``ndcg10``) and
any other character MLflow refuses becomes ``_``. The experiment is the
dataset's name (``$MLFLOW_EXPERIMENT_NAME`` when set); the run is named after
the run folder and tagged with its path.

Where it logs: ``--mlflow`` uses ``$MLFLOW_TRACKING_URI`` when set, else
:data:`DEFAULT_URI`, a SQLite store ``./mlflow.db`` in the current directory
(MLflow 3 refuses a plain ``./mlruns`` file store unless told to). For a
SQLite store the artifacts go beside the database, ``mlruns/EXPERIMENT/``.
MLflow (the ``mlflow`` extra: ``pip install 'recdistill[mlflow]'``) is
imported only here and only then; its usage telemetry is turned off unless
``MLFLOW_DISABLE_TELEMETRY`` says otherwise, so a run stays offline.

Example::

    tracker = open_tracker(True, None)  # before the run
    ...                                 # the run writes runs/x
    run_id = tracker.log_run(Path("runs/x"))
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recdistill.errors import UserError

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from recdistill.runfolder import RunFolder

__all__ = [
    "DEFAULT_URI",
    "INSTALL_HINT",
    "Tracker",
    "epoch_metrics",
    "final_metrics",
    "flatten_params",
    "metric_key",
    "open_tracker",
]

#: where ``--mlflow`` logs without a URI (and without ``$MLFLOW_TRACKING_URI``)
DEFAULT_URI = "sqlite:///mlflow.db"
INSTALL_HINT = "--mlflow needs mlflow: pip install 'recdistill[mlflow]'"

#: the distillation-row fields logged per student (``metrics.json`` ``distillation``)
RATIOS = ("pct_of_teacher", "gap_closed", "bytes_ratio", "speedup", "speedup_batched")
#: MLflow's limits: characters of a key and of a param value; entries of one batch
MAX_KEY, MAX_VALUE, MAX_PARAMS_PER_BATCH, MAX_METRICS_PER_BATCH = 250, 6000, 100, 1000
SECRET_KEYS = ("token", "password", "secret")

_BAD_CHARS = re.compile(r"[^\w.\- ]")
_URL_PASSWORD = re.compile(r"(//[^/@:\s]*):[^/@\s]*@")


# -- names and values ---------------------------------------------------------------
def _part(name: str) -> str:
    """One ``/``-free component of an MLflow key (``ndcg@10`` -> ``ndcg10``)."""
    clean = _BAD_CHARS.sub("_", str(name).replace("@", ""))
    return "_" if clean in ("", ".", "..") else clean


def metric_key(*parts: str) -> str:
    """An MLflow metric key from its components: ``metric_key("teacher", "valid_ndcg@10")``
    -> ``"teacher/valid_ndcg10"``."""
    return "/".join(_part(p) for p in parts)[:MAX_KEY]


def safe_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***`` (for messages and params)."""
    return _URL_PASSWORD.sub(r"\1:***@", uri)


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None (bools, None, text and NaN are not metrics)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _leaves(tree: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """``(dotted key, leaf)`` pairs; lists holding sections are indexed, other lists are
    leaves."""
    if isinstance(tree, dict) and tree:
        for k, v in tree.items():
            yield from _leaves(v, f"{prefix}{k}.")
    elif isinstance(tree, list) and any(isinstance(v, dict | list) for v in tree):
        for i, v in enumerate(tree):
            yield from _leaves(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], tree


def flatten_params(tree: dict[str, Any]) -> dict[str, str]:
    """A config tree as MLflow params: dotted keys, JSON values (strings as they are),
    secrets as ``***``, each key and value within MLflow's limits.

    >>> flatten_params({"seed": 0, "evaluation": {"k": [10, 20]}, "serve": {"token": "s"}})
    {'seed': '0', 'evaluation.k': '[10, 20]', 'serve.token': '***'}
    """
    out: dict[str, str] = {}
    for key, leaf in _leaves(tree, ""):
        name = ".".join(_part(p) for p in key.split("."))[:MAX_KEY]
        last = key.rsplit(".", 1)[-1].lower()
        if leaf is not None and any(s in last for s in SECRET_KEYS) and "file" not in last:
            text = "***"
        else:
            text = safe_uri(leaf) if isinstance(leaf, str) else json.dumps(leaf)
        out.setdefault(name, text[:MAX_VALUE])
    return out


# -- what a run folder holds, as metrics ---------------------------------------------
def epoch_metrics(name: str, train_log: dict[str, Any]) -> list[tuple[str, float, int]]:
    """``(key, value, epoch)`` for every number of every epoch of one training log."""
    out = []
    for record in train_log.get("epochs", []):
        step = int(record["epoch"])
        for field, value in record.items():
            if field == "val" and isinstance(value, dict):
                out += [
                    (metric_key(name, f"valid_{m}"), v, step)
                    for m, x in value.items()
                    if m != "users" and (v := _number(x)) is not None
                ]
            elif field != "epoch" and (v := _number(value)) is not None:
                label = "epoch_seconds" if field == "seconds" else field
                out.append((metric_key(name, label), v, step))
    return out


def final_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The final numbers of a ``metrics.json`` document by MLflow key (see the module
    docstring): test metrics, each entry's numeric fields, the distillation ratios."""
    out: dict[str, float] = {}
    for name, entry in metrics.get("models", {}).items():
        for m, x in entry.get("metrics", {}).items():
            if (v := _number(x)) is not None:
                out[metric_key(name, f"test_{m}")] = v
        for field, x in entry.items():
            if (v := _number(x)) is not None:
                out[metric_key(name, field)] = v
    for row in metrics.get("distillation", []):
        for field in RATIOS:
            if (v := _number(row.get(field))) is not None:
                out[metric_key(row["model"], field)] = v
    if (v := _number(metrics.get("seconds"))) is not None:
        out["run_seconds"] = v
    return out


# -- the store -------------------------------------------------------------------------
def _import_mlflow() -> Any:
    """The ``mlflow`` package (telemetry off unless the user chose), or the install hint."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "mlflow":
            raise
        raise UserError(INSTALL_HINT) from None
    return mlflow


def _one_line(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "message", None) or exc).split())


def _sqlite_artifacts(uri: str, experiment: str) -> str | None:
    """For a SQLite store: ``mlruns/EXPERIMENT`` beside the database file (a file URI)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return (Path(path).resolve().parent / "mlruns" / _part(experiment)).as_uri()


def open_tracker(enabled: bool, uri: str | None) -> Tracker | None:
    """The tracker the CLI options ask for: None when off (neither ``--mlflow`` nor a URI)
    and on every process but rank 0 under ``torchrun``; ``UserError`` when mlflow is not
    installed or the store cannot be opened."""
    if not enabled and uri is None:
        return None
    if os.environ.get("RANK", "0") != "0":
        return None
    return Tracker.open(uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI)


@dataclass
class Tracker:
    """An open MLflow tracking store (:meth:`open`) that run folders are logged into."""

    uri: str
    client: MlflowClient

    @classmethod
    def open(cls, uri: str) -> Tracker:
        """Connect to the store at ``uri`` and check that it answers (creates a SQLite
        database when missing)."""
        mlflow = _import_mlflow()
        try:
            client = mlflow.MlflowClient(tracking_uri=uri)
            client.search_experiments(max_results=1)
        except Exception as exc:  # MlflowException, or the database's own errors
            raise UserError(f"MLflow store {safe_uri(uri)}: {_one_line(exc)}") from None
        return cls(uri, client)

    def log_run(self, run_dir: Path) -> str:
        """Log the finished run folder ``run_dir`` as one MLflow run; its run id.

        ``UserError`` (the run folder itself is kept) when the store refuses.
        """
        from recdistill.runfolder import RunFolder

        run = RunFolder.open(run_dir)
        metrics = run.metrics
        dataset = str(metrics.get("dataset", {}).get("name") or run.path.name)
        experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or dataset
        seconds = _number(metrics.get("seconds")) or 0.0
        now = int(time.time() * 1000)
        try:
            experiment_id = self._experiment(experiment)
            tags = {"recdistill.run_dir": str(run.path.resolve()), "recdistill.dataset": dataset}
            created = self.client.create_run(
                experiment_id,
                start_time=now - int(seconds * 1000),
                tags=tags,
                run_name=run.path.resolve().name,
            )
        except Exception as exc:
            raise UserError(f"MLflow store {safe_uri(self.uri)}: {_one_line(exc)}") from None
        run_id: str = created.info.run_id
        try:
            self._log_numbers(run_id, run, metrics, now)
            self._log_artifacts(run_id, run)
        except Exception as exc:
            with contextlib.suppress(Exception):
                self.client.set_terminated(run_id, "FAILED")
            raise UserError(
                f"MLflow store {safe_uri(self.uri)}: logging {run.path} failed "
                f"(the run folder is complete): {_one_line(exc)}"
            ) from None
        self.client.set_terminated(run_id, "FINISHED")
        return run_id

    def _experiment(self, name: str) -> str:
        """The id of experiment ``name``, created when missing."""
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        location = _sqlite_artifacts(self.uri, name)
        return str(self.client.create_experiment(name, artifact_location=location))

    def _log_numbers(self, run_id: str, run: RunFolder, metrics: dict[str, Any], now: int) -> None:
        """Params, per-epoch curves and final metrics, in batches within MLflow's limits."""
        from mlflow.entities import Metric, Param

        params = [Param(k, v) for k, v in flatten_params(run.config_tree()).items()]
        for i in range(0, len(params), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(run_id, params=params[i : i + MAX_PARAMS_PER_BATCH])
        points = [
            Metric(key, value, now, step)
            for name, log in run.train_logs(list(metrics.get("models", {}))).items()
            for key, value, step in epoch_metrics(name, log)
        ]
        points += [Metric(k, v, now, 0) for k, v in final_metrics(metrics).items()]
        for i in range(0, len(points), MAX_METRICS_PER_BATCH):
            self.client.log_batch(run_id, metrics=points[i : i + MAX_METRICS_PER_BATCH])

    def _log_artifacts(self, run_id: str, run: RunFolder) -> None:
        """``report.html``, ``metrics.json`` and each model folder but its checkpoints."""
        for f in (run.report_path, run.metrics_path):
            if f.exists():
                self.client.log_artifact(run_id, str(f))
        for name in run.model_names():
            folder = run.model_dir(name)
            for f in sorted(folder.rglob("*")):
                rel = f.relative_to(folder)
                if f.is_file() and rel.parts[0] != "checkpoints":
                    where = Path("models", name, rel.parent).as_posix()
                    self.client.log_artifact(run_id, str(f), artifact_path=where)

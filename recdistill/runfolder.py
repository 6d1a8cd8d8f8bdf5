"""The run folder (``--out DIR``): the one owner of every file in it, writer and reader.

Layout::

    DIR/config.json           the resolved run configuration
    DIR/data/dataset.json     id maps (original ids), titles, categories, texts
    DIR/data/{train,valid,test}.npz   the split, as index arrays (no pickle)
    DIR/models/NAME/          one model artifact each (config.json + state.safetensors,
                              written by the model; train_log.json and checkpoints/
                              written by the training loop)
    DIR/cache/NAME/           reusable intermediate results (the teacher's outputs)
    DIR/metrics.json          results (schema in docs/outputs.md)
    DIR/report.html           the report, rendered from metrics.json and the train logs
    DIR/events.db             the serving event store (SQLite default of ``recdistill serve``)

The stages write through :class:`RunFolder` (:meth:`save_data`,
:meth:`save_model`, :meth:`write_metrics`, :meth:`write_report`) and the
server, the stage commands and the report read through it, so a file's format
is known in one place. A model's own files are written and read by the model
(:meth:`~recdistill.models.base.Recommender.save`, :func:`load_model`); the
training log by the loop (:func:`~recdistill.train.read_train_log`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from recdistill.data.types import Dataset, IdMap, Interactions
from recdistill.errors import UserError
from recdistill.models.base import Recommender, load_model
from recdistill.split import Split
from recdistill.train.loop import read_train_log

PARTS = ("train", "valid", "test")


def clean_floats(tree: Any) -> Any:
    """NaN/inf -> None and numpy scalars -> Python, so a document is strict JSON."""
    if isinstance(tree, dict):
        return {k: clean_floats(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [clean_floats(v) for v in tree]
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    if isinstance(tree, np.floating | np.integer):
        return clean_floats(tree.item())
    return tree


def _read_json(f: Path, missing: str) -> dict[str, Any]:
    """A JSON document of the run folder (``UserError`` naming the file when absent or bad)."""
    if not f.exists():
        raise UserError(f"{f}: not found ({missing})")
    try:
        doc: dict[str, Any] = json.loads(f.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{f}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return doc


def _write(path: Path, text: str) -> None:
    """Write ``text`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class RunFolder:
    """One run folder; see the module docstring for its layout."""

    path: Path

    # -- opening ---------------------------------------------------------------
    @staticmethod
    def create(path: Path) -> RunFolder:
        """A run folder to write into (created when missing)."""
        path.mkdir(parents=True, exist_ok=True)
        return RunFolder(path)

    @staticmethod
    def open(path: Path) -> RunFolder:
        """An existing run folder (``UserError`` when ``path`` is not one)."""
        if not path.is_dir():
            raise UserError(f"{path}: run folder not found")
        if not (path / "data" / "dataset.json").exists():
            raise UserError(
                f"{path}: not a run folder (no data/dataset.json); run `recdistill run`"
            )
        return RunFolder(path)

    # -- paths -----------------------------------------------------------------
    def model_dir(self, name: str) -> Path:
        """Where model ``name``'s artifact, checkpoints and training log live."""
        return self.path / "models" / name

    def cache_dir(self, name: str) -> Path:
        """A folder for reusable intermediate results (``teacher_outputs``, ...)."""
        return self.path / "cache" / name

    @property
    def report_path(self) -> Path:
        return self.path / "report.html"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def events_db(self) -> Path:
        """The SQLite event store ``recdistill serve`` uses by default."""
        return self.path / "events.db"

    # -- config ----------------------------------------------------------------
    def write_config(self, tree: dict[str, Any]) -> None:
        """The resolved run configuration (a dump of :class:`~recdistill.config.RunConfig`)."""
        _write(self.path / "config.json", json.dumps(tree, indent=2))

    def config_tree(self) -> dict[str, Any]:
        """The run's configuration as written (``UserError`` when missing or unreadable)."""
        return _read_json(self.path / "config.json", "the run folder lacks its config")

    # -- data ------------------------------------------------------------------
    def save_data(self, ds: Dataset, split: Split) -> None:
        """What later stages (serving, distillation) need: id maps, titles, histories."""
        folder = self.path / "data"
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
        for name, table in zip(PARTS, (split.train, split.valid, split.test), strict=True):
            np.savez_compressed(
                folder / f"{name}.npz", user=table.user, item=table.item, time=table.time
            )

    @cached_property
    def dataset(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads((self.path / "data" / "dataset.json").read_text("utf-8"))
        return doc

    @cached_property
    def users(self) -> IdMap:
        return IdMap(self.dataset["users"])

    @cached_property
    def items(self) -> IdMap:
        return IdMap(self.dataset["items"])

    def table(self, part: str) -> Interactions:
        """One part of the split: ``train``, ``valid`` or ``test``."""
        f = self.path / "data" / f"{part}.npz"
        if not f.exists():
            raise UserError(f"{f}: missing split part '{part}'")
        with np.load(f, allow_pickle=False) as z:
            return Interactions(z["user"], z["item"], z["time"], len(self.users), len(self.items))

    def data_key(self) -> str:
        """Identifies the run's data (id maps and split): same key, same user histories."""
        h = hashlib.sha256()
        for part in ("dataset.json", *(f"{p}.npz" for p in PARTS)):
            f = self.path / "data" / part
            if f.exists():
                h.update(part.encode())
                h.update(f.read_bytes())
        return h.hexdigest()[:16]

    def dataset_and_split(self) -> tuple[Dataset, Split]:
        """The run's dataset (id maps, texts) and its split, as the pipeline saw them."""
        doc = self.dataset
        parts = {p: self.table(p) for p in PARTS}
        everything = parts["train"].concat(parts["valid"]).concat(parts["test"])
        ds = Dataset(
            name=str(doc.get("name", self.path.name)),
            users=self.users,
            items=self.items,
            interactions=everything,
            item_text=list(doc.get("texts", [""] * len(self.items))),
            item_title=list(doc.get("titles", [])),
            item_category=list(doc.get("categories", [""] * len(self.items))),
        )
        method = str(self.metrics.get("dataset", {}).get("split", "saved"))
        return ds, Split(method, parts["train"], parts["valid"], parts["test"])

    # -- models ----------------------------------------------------------------
    def save_model(self, name: str, model: Recommender) -> Path:
        return model.save(self.model_dir(name))

    def model_names(self) -> list[str]:
        folder = self.path / "models"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "config.json").exists())

    def model(self, name: str) -> Recommender:
        folder = self.model_dir(name)
        if not (folder / "config.json").exists():
            known = ", ".join(self.model_names()) or "none"
            raise UserError(f"{self.path}: no model '{name}' (models: {known})")
        return load_model(folder)

    def train_logs(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """The training logs of the models among ``names`` that trained in the loop."""
        logs = {name: read_train_log(self.model_dir(name)) for name in names}
        return {name: log for name, log in logs.items() if log is not None}

    # -- results ---------------------------------------------------------------
    def write_metrics(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Write ``metrics.json`` (strict JSON); returns the document as written."""
        clean: dict[str, Any] = clean_floats(doc)
        _write(self.metrics_path, json.dumps(clean, indent=2))
        self.__dict__.pop("metrics", None)
        return clean

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return _read_json(self.metrics_path, f"is {self.path} a run folder?")

    def write_report(self) -> Path:
        """Render ``report.html`` from ``metrics.json`` and the training logs; its path."""
        from recdistill.report import render_report  # matplotlib: only when a report is made

        metrics = self.metrics
        if not metrics.get("models"):
            raise UserError(f"{self.metrics_path}: no models to report")
        logs = self.train_logs(list(metrics["models"]))
        _write(self.report_path, render_report(metrics, logs, fallback_name=self.path.name))
        return self.report_path

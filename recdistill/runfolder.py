"""Reading a run folder written by the pipeline (``--out DIR``).

Layout::

    DIR/metrics.json          results (schema in docs/outputs.md)
    DIR/config.json           the resolved run configuration
    DIR/data/dataset.json     id maps (original ids), titles, categories, texts
    DIR/data/{train,valid,test}.npz   the split, as index arrays (no pickle)
    DIR/models/NAME/          one model artifact each (config.json + state.safetensors)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from recdistill.data.types import Dataset, IdMap, Interactions
from recdistill.errors import UserError
from recdistill.models.base import Recommender, load_model
from recdistill.split import Split


@dataclass
class RunFolder:
    path: Path

    @staticmethod
    def open(path: Path) -> RunFolder:
        if not path.is_dir():
            raise UserError(f"{path}: run folder not found")
        if not (path / "data" / "dataset.json").exists():
            raise UserError(
                f"{path}: not a run folder (no data/dataset.json); run `recdistill run`"
            )
        return RunFolder(path)

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

    def model_names(self) -> list[str]:
        folder = self.path / "models"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "config.json").exists())

    def model(self, name: str) -> Recommender:
        folder = self.path / "models" / name
        if not (folder / "config.json").exists():
            known = ", ".join(self.model_names()) or "none"
            raise UserError(f"{self.path}: no model '{name}' (models: {known})")
        return load_model(folder)

    @cached_property
    def metrics(self) -> dict[str, Any]:
        f = self.path / "metrics.json"
        if not f.exists():
            raise UserError(f"{f}: not found")
        doc: dict[str, Any] = json.loads(f.read_text("utf-8"))
        return doc

    def dataset_and_split(self) -> tuple[Dataset, Split]:
        """The run's dataset (id maps, texts) and its split, as the pipeline saw them."""
        doc = self.dataset
        parts = {p: self.table(p) for p in ("train", "valid", "test")}
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

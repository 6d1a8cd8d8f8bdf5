"""The export folder: the graphs, the catalogue they index and how to call them.

``OUT/model.onnx``, ``OUT/model_topk.onnx`` (:mod:`recdistill.export.onnx`),
``OUT/items.json`` (index -> item id and title, plus what the graphs expect)
and ``OUT/README.md`` (a short onnxruntime example), all from one run folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recdistill.data.views import Histories
from recdistill.errors import UserError
from recdistill.export.onnx import (
    OPSET,
    SCORES,
    TOPK,
    Verified,
    exportable,
    verify,
    write_graphs,
)
from recdistill.models._seqmodel import SequentialModel
from recdistill.runfolder import RunFolder

log = logging.getLogger("recdistill.export")

VERIFY_USERS = 256  # histories checked against the native model at export time


@dataclass(frozen=True)
class Exported:
    """What :func:`export_run` wrote."""

    out: Path
    model: str
    kind: str
    precision: str
    files: list[Path]
    verified: Verified | None  # None: onnxruntime is not installed


def export_run(run_dir: Path, out: Path, model: str | None = None, k: int = 10) -> Exported:
    """Export ``model`` of ``run_dir`` (default: the student ``recdistill serve`` serves)."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs onnx and onnxscript)
        import onnxscript  # noqa: F401
    except ImportError:
        raise UserError(
            "export --format onnx needs onnx and onnxscript: pip install 'recdistill[onnx]'"
        ) from None
    from recdistill.serve.registry import choose

    run = RunFolder.open(run_dir)
    name, _, note = choose(run.metrics.get("models", {}), run.model_names(), model)
    if note:
        log.info("export: %s", note)
    seq = exportable(run.model(name), name)
    out.mkdir(parents=True, exist_ok=True)
    log.info("export: tracing '%s' (%s) to ONNX in %s", name, seq.kind, out)
    files = write_graphs(seq, out, k)
    try:
        verified = _verify(run, seq, out, k)
    except UserError:
        for f in files:  # never leave graphs that answer differently from the model
            f.unlink(missing_ok=True)
        raise
    precision = str(getattr(seq, "precision", "float32"))
    files.append(_write_items(run, out, name, seq.kind, precision, seq.config.max_len, k))
    files.append(_write_readme(out, name, seq.kind, precision, k, verified))
    return Exported(out, name, seq.kind, precision, files, verified)


def _verify(run: RunFolder, model: SequentialModel, out: Path, k: int) -> Verified | None:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        log.warning("export: onnxruntime is not installed; the graphs were not checked")
        return None
    _, split = run.dataset_and_split()
    table = split.train_valid
    users = np.unique(table.user)[:VERIFY_USERS]
    checked = verify(model, out, Histories.of_users(table, users), k)
    log.info(
        "export: onnxruntime vs native on %d users: top-%d identical for %d, ties only for "
        "%d; largest score difference %.2e",
        checked.users, k, checked.top_k_same, checked.top_k_ties, checked.max_abs_diff,
    )  # fmt: skip
    if not checked.ok:
        raise UserError(
            f"export: the ONNX graphs disagree with the native model on "
            f"{checked.users - checked.top_k_same - checked.top_k_ties} of {checked.users} "
            f"users (largest score difference {checked.max_abs_diff:.3g}); not exported"
        )
    return checked


def _write_items(
    run: RunFolder, out: Path, name: str, kind: str, precision: str, max_len: int, k: int
) -> Path:
    ids = run.items.ids
    titles = list(run.dataset.get("titles") or ids)
    doc = {
        "model": name,
        "kind": kind,
        "precision": precision,
        "opset": OPSET,
        "max_len": max_len,
        "k": k,
        "inputs": {
            "items": "int64 [B, L]: item indices (see 'items'), oldest first, right-padded",
            "length": "int64 [B]: valid entries per row (0: no history)",
        },
        "outputs": {
            SCORES: {"scores": "float32 [B, I]"},
            TOPK: {"top_items": f"int64 [B, {k}]", "top_scores": f"float32 [B, {k}]"},
        },
        "items": [
            {"index": i, "item_id": str(item), "title": str(titles[i])}
            for i, item in enumerate(ids)
        ],
    }
    path = out / "items.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _write_readme(
    out: Path, name: str, kind: str, precision: str, k: int, verified: Verified | None
) -> Path:
    check = (
        f"Checked at export against the native model on {verified.users} users' histories: "
        f"the top-{k} lists agree for all of them ({verified.top_k_ties} differ only in the "
        f"order of tied scores); largest score difference {verified.max_abs_diff:.2e}."
        if verified is not None
        else "Not checked at export (onnxruntime was not installed)."
    )
    text = f"""# {name} ({kind}, {precision}) as ONNX

- `{SCORES}`: `items` int64 [B, L] (item indices, oldest first, right-padded) and
  `length` int64 [B] -> `scores` float32 [B, I].
- `{TOPK}`: the same inputs -> `top_items` int64 [B, {k}], `top_scores` float32
  [B, {k}], best first, the history's own items left out.
- `items.json`: index -> `item_id` and `title` (indices must be in [0, I)).

{check}

```python
import json, numpy as np, onnxruntime as ort
catalogue = json.load(open("items.json", encoding="utf-8"))["items"]
index = {{row["item_id"]: row["index"] for row in catalogue}}
history = [catalogue[0]["item_id"], catalogue[1]["item_id"]]  # a user's items, oldest first
items = np.array([[index[i] for i in history]], dtype=np.int64)
length = np.array([items.shape[1]], dtype=np.int64)
session = ort.InferenceSession("{TOPK}", providers=["CPUExecutionProvider"])
top_items, top_scores = session.run(None, {{"items": items, "length": length}})
for i, s in zip(top_items[0], top_scores[0]):
    print(catalogue[i]["item_id"], catalogue[i]["title"], round(float(s), 4))
```
"""
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def check_format(fmt: str) -> None:
    """One clear error for an export format this version does not write."""
    if fmt != "onnx":
        raise UserError(f"export: --format must be 'onnx', got '{fmt}'")

"""Amazon review dumps (McAuley lab): reviews and metadata as JSON lines, plain or ``.gz``.

Reviews, by dump (the first field present wins unless the config names one):

- user: ``reviewerID`` (2014/2018), ``user_id`` (2023);
- item: ``parent_asin`` (2023, matches its metadata), ``asin``;
- time: ``unixReviewTime`` (seconds), ``sortTimestamp`` / ``timestamp``
  (2023, milliseconds: converted to seconds; any value above 1e11 is taken
  as milliseconds);
- rating: ``overall`` (2014/2018), ``rating`` (2023).

Metadata yields columns ``item_id`` (``parent_asin`` or ``asin``), ``title``,
``category`` (``categories``/``category`` lists joined with ``" > "``, nested
lists as several paths joined with ``"; "``, else ``main_category``/``main_cat``)
and ``description`` (a string or list of strings). Any other field may be named
in ``items.text``; lists become text. The 2014 metadata is written as Python
literals, not JSON: such lines are read with :func:`ast.literal_eval` (safe).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources.catalogue import Catalogue
from recdistill.data.sources.common import (
    NOT_UTF8_HINT,
    Locate,
    find_column,
    raw_interactions,
    read_bytes,
    row_error,
    times_column,
)
from recdistill.data.types import RawInteractions
from recdistill.errors import DataError

USER_FIELDS = ("reviewerID", "user_id")
ITEM_FIELDS = ("parent_asin", "asin")
TIME_FIELDS = ("unixReviewTime", "sortTimestamp", "timestamp")
RATING_FIELDS = ("overall", "rating")
_MILLIS = 1e11
_SUFFIXES = (".jsonl.gz", ".json.gz", ".jsonl", ".json")


def reviews_file(path: Path) -> Path:
    """``path``, or the one reviews file (not ``meta_*``) in a folder."""
    if not path.exists():
        raise DataError("Amazon reviews file not found", source=path)
    if path.is_file():
        return path
    found = [
        p
        for p in sorted(path.iterdir())
        if p.name.endswith(_SUFFIXES) and not p.name.startswith("meta_")
    ]
    if len(found) != 1:
        listed = f" (found: {', '.join(p.name for p in found)})" if found else ""
        raise DataError(
            f"expected one Amazon reviews file (*.json[l][.gz]) in this folder{listed}",
            source=path,
        )
    return found[0]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def metadata_file(reviews: Path) -> Path | None:
    """``meta_<category>.*`` beside a reviews file (``reviews_X_5.json.gz`` -> ``meta_X``)."""
    stem = _stem(reviews).removeprefix("reviews_").removesuffix("_5")
    for suffix in _SUFFIXES:
        cand = reviews.parent / f"meta_{stem}{suffix}"
        if cand.is_file():
            return cand
    return None


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers."""
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.strip():
            yield n, line


def _record(line: bytes, n: int, source: Path) -> dict[str, Any]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (undecodable byte at position {exc.start + 1}); {NOT_UTF8_HINT}",
            source=source,
            line=n,
        ) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        obj = None
        if text.lstrip().startswith("{'"):  # 2014 metadata: Python literals
            try:
                obj = ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                obj = None
        if obj is None:
            raise DataError(
                f"malformed JSON: {exc.msg} (character {exc.colno})", source=source, line=n
            ) from None
    if not isinstance(obj, dict):
        raise DataError("expected a JSON object on each line", source=source, line=n)
    return obj


def _line_locator(data: bytes) -> Locate:
    def locate(row: int) -> int | None:
        for i, (n, _) in enumerate(_lines(data)):
            if i == row:
                return n
        return None

    return locate


def _fast(data: bytes, fields: dict[str, pa.DataType]) -> pd.DataFrame | None:
    """pyarrow's reader for the named fields only; None when the text needs the slow path.

    pyarrow's JSON reader does not check that strings are UTF-8 (a GBK file reads as
    garbage that fails later), so the table is validated; the slow path names the line.
    """
    try:
        table = pajson.read_json(
            pa.BufferReader(data),
            parse_options=pajson.ParseOptions(
                explicit_schema=pa.schema(list(fields.items())),
                unexpected_field_behavior="ignore",
            ),
        )
        table.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return table.to_pandas()


def _slow(data: bytes, fields: list[str], source: Path) -> tuple[pd.DataFrame, list[int]]:
    cols: dict[str, list[Any]] = {f: [] for f in fields}
    lines = []
    for n, line in _lines(data):
        obj = _record(line, n, source)
        lines.append(n)
        for f in fields:
            cols[f].append(obj.get(f))
    return pd.DataFrame(cols, dtype=object), lines


def _choose(
    src: InteractionsSource,
    attr: str,
    candidates: tuple[str, ...],
    frame: pd.DataFrame,
    source: Path,
    required: bool,
) -> str | None:
    if attr in src.model_fields_set:
        name = getattr(src, attr)
        if name is None:
            return None
        if frame[name].isna().all():
            raise DataError(
                f"{attr} field not found in any record (Amazon fields: "
                f"{', '.join(USER_FIELDS + ITEM_FIELDS + TIME_FIELDS + RATING_FIELDS)})",
                source=source,
                column=name,
            )
        return str(name)
    for name in candidates:
        if frame[name].notna().any():
            return name
    if required:
        raise DataError(
            f"no {attr} field in the records (looked for {', '.join(candidates)})", source=source
        )
    return None


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Reviews as interactions: ``user``, ``item``, ``time`` (Unix seconds), ``rating``."""
    path = reviews_file(Path(src.path))
    data = read_bytes(path, "Amazon reviews (JSON lines)")
    fields: dict[str, pa.DataType] = {f: pa.string() for f in USER_FIELDS + ITEM_FIELDS}
    fields |= {f: pa.float64() for f in TIME_FIELDS + RATING_FIELDS}
    for attr in ("user", "item", "time", "rating"):
        name = getattr(src, attr)
        if attr in src.model_fields_set and name and name not in fields:
            fields[name] = pa.string()
    frame = _fast(data, fields)
    locate: Locate
    if frame is None:
        frame, lines = _slow(data, list(fields), path)

        def locate(row: int) -> int | None:
            return lines[row] if row < len(lines) else None
    else:
        locate = _line_locator(data)
    if len(frame) == 0:
        raise DataError("no records", source=path)
    user = _choose(src, "user", USER_FIELDS, frame, path, required=True)
    item = _choose(src, "item", ITEM_FIELDS, frame, path, required=True)
    time = _choose(src, "time", TIME_FIELDS, frame, path, required=False)
    rating = _choose(src, "rating", RATING_FIELDS, frame, path, required=False)
    assert user is not None and item is not None
    if "time" not in src.model_fields_set and time is None:
        raise DataError(
            f"no time field in the records (looked for {', '.join(TIME_FIELDS)}; "
            "set time: null to use the file order)",
            source=path,
        )
    seconds = None
    if time is not None:
        seconds = times_column(
            frame[time], column=time, source=path, locate=locate, time_format=src.time_format
        )
        if src.time_format is None and len(seconds) and seconds.max() > _MILLIS:
            seconds = np.floor_divide(seconds, 1000)
    return raw_interactions(
        frame,
        user=user,
        item=item,
        time=time,
        rating=rating,
        source=path,
        locate=locate,
        time_values=seconds,
    )


def _category(obj: dict[str, Any]) -> str:
    for key in ("categories", "category"):
        value = obj.get(key)
        if isinstance(value, list) and value:
            if all(isinstance(v, list) for v in value):
                paths = [" > ".join(str(x) for x in v if x) for v in value]
                return "; ".join(p for p in dict.fromkeys(paths) if p)
            return " > ".join(str(v) for v in value if v)
        if isinstance(value, str) and value:
            return value
    for key in ("main_category", "main_cat"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value).strip()


def read_catalogue(spec: ItemsSource) -> Catalogue:
    """Metadata as ``item_id, title, category, description`` plus fields named in the config."""
    path = Path(spec.path)
    data = read_bytes(path, "Amazon metadata (JSON lines)")
    extra = [
        f
        for f in [spec.id, *spec.text, spec.title, spec.category]
        if f and f not in ("item_id", "title", "category", "description")
    ]
    rows: dict[str, list[str]] = {
        k: [] for k in ("item_id", "title", "category", "description", *extra)
    }
    lines = []
    missing: set[str] = set(extra)
    for n, line in _lines(data):
        obj = _record(line, n, path)
        lines.append(n)
        rows["item_id"].append(_text(obj.get("parent_asin") or obj.get("asin")))
        rows["title"].append(_text(obj.get("title")))
        rows["category"].append(_category(obj))
        rows["description"].append(_text(obj.get("description")))
        for f in extra:
            if f in obj:
                missing.discard(f)
            rows[f].append(_text(obj.get(f)))
    if not lines:
        raise DataError("no records", source=path)
    frame = pd.DataFrame(rows, dtype=str)
    for f in missing:  # a configured field no record has: list what there is
        find_column(
            f, list(_record(next(_lines(data))[1], lines[0], path)), source=path, role="items"
        )

    def locate(row: int) -> int | None:
        return lines[row] if row < len(lines) else None

    empty = (frame["item_id"] == "").to_numpy()
    if empty.any():
        raise row_error(
            "no asin / parent_asin",
            source=path,
            row=int(np.flatnonzero(empty)[0]),
            column=None,
            locate=locate,
        )
    return Catalogue(
        frame=frame,
        source=str(path),
        locate=locate,
        id="item_id",
        text=["title", "category", "description"],
        title="title",
        category="category",
    )

"""CSV, TSV and Parquet files with a column mapping (``user``, ``item``, ``time``, ``rating``).

CSV/TSV files need a header row; ``sep`` overrides the separator (any string:
``";"``, ``"|"``, ``"::"``). ``.gz`` files are read transparently. Parquet may
be one file or a folder of parts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources.catalogue import Catalogue
from recdistill.data.sources.common import (
    Locate,
    find_column,
    no_lines,
    raw_interactions,
    read_bytes,
)
from recdistill.data.sources.delimited import header_fields, read_delimited
from recdistill.data.types import RawInteractions
from recdistill.errors import DataError


def separator(fmt: str, sep: str | None) -> str:
    """The field separator: ``sep`` if given (``\\t`` written out is a tab), else by format."""
    if sep:
        return sep.replace("\\t", "\t")
    return "\t" if fmt == "tsv" else ","


def _what(fmt: str) -> str:
    return {"csv": "a CSV file", "tsv": "a TSV file"}.get(fmt, "a Parquet file")


def read_parquet(path: Path, want: list[str] | None, roles: dict[str, str]) -> pd.DataFrame:
    """Read the ``want`` columns (all when None) of a Parquet file or folder.

    ``roles`` maps each wanted column to its role, for the unknown-column error.
    """
    if not path.exists():
        raise DataError("Parquet file not found", source=path)
    try:
        if path.is_dir():
            names = list(pq.ParquetDataset(path).schema.names)
        else:
            names = list(pq.read_schema(path).names)
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"not a readable Parquet file ({message})", source=path) from None
    for col in want or []:
        find_column(col, names, source=path, role=roles.get(col, "a"))
    try:
        table = pq.read_table(path, columns=want)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"cannot read Parquet: {str(exc).splitlines()[0]}", source=path) from None
    return table.to_pandas()


def _roles(src: InteractionsSource) -> dict[str, str]:
    out = {src.user: "user", src.item: "item"}
    if src.time:
        out[src.time] = "time"
    if src.rating:
        out[src.rating] = "rating"
    return out


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Interactions from a CSV/TSV/Parquet file whose header names the configured columns."""
    path = Path(src.path)
    roles = _roles(src)
    want = list(roles)
    locate: Locate = no_lines
    if src.format == "parquet":
        frame = read_parquet(path, want, roles)
    else:
        data = read_bytes(path, _what(src.format))
        sep = separator(src.format, src.sep)
        names = header_fields(data, sep=sep, quoting=True, source=path)
        for col, role in roles.items():
            find_column(col, names, source=path, role=role)
        types = {src.user: pa.string(), src.item: pa.string()}
        if src.time and src.time_format:
            types[src.time] = pa.string()
        table = read_delimited(
            data,
            source=path,
            sep=sep,
            names=names,
            skip=1,
            want=want,
            types=types,
            what=_what(src.format),
        )
        frame, locate = table.frame, table.locate
    return raw_interactions(
        frame,
        user=src.user,
        item=src.item,
        time=src.time,
        rating=src.rating,
        source=path,
        locate=locate,
        time_format=src.time_format,
    )


def read_catalogue(spec: ItemsSource) -> Catalogue:
    """An item table from CSV/TSV/Parquet (all columns; CSV values read as text)."""
    path = Path(spec.path)
    if spec.format == "parquet":
        return Catalogue(frame=read_parquet(path, None, {}), source=str(path))
    data = read_bytes(path, _what(spec.format))
    sep = separator(spec.format, spec.sep)
    names = header_fields(data, sep=sep, quoting=True, source=path)
    table = read_delimited(
        data,
        source=path,
        sep=sep,
        names=names,
        skip=1,
        types={n: pa.string() for n in names},
        what=_what(spec.format),
    )
    return Catalogue(frame=table.frame, source=str(path), locate=table.locate)

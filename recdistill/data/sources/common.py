"""Helpers shared by every source: file checks, column lookup, ids, times, ratings.

Every reader turns its rows into the raw interaction frame described in
:class:`recdistill.data.types.RawInteractions`:

- ``user`` (str), ``item`` (str): original ids; empty or missing ids are errors;
- ``time`` (int64): Unix seconds for real times, the value itself for an order
  column, the row position when the source has no time column;
- ``rating`` (float64, optional).

A :data:`Locate` function maps a frame row (0-based, in source order) to the
1-based line of the source file, so that errors name the line a user can open
in an editor. Sources without lines (Parquet, SQL) return ``None`` and errors
then name the row instead.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recdistill.data.types import ITEM, RATING, TIME, USER, RawInteractions
from recdistill.errors import DataError

Locate = Callable[[int], int | None]
"""Row index (0-based, source order) -> 1-based file line, or None where rows have no line."""

NOT_UTF8_HINT = "save the file as UTF-8 (a GBK file: iconv -f GBK -t UTF-8 IN > OUT)"
"""How to fix a text file that is not UTF-8, appended to every such error."""

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_SECOND = pd.Timedelta(seconds=1)


def no_lines(row: int) -> int | None:
    """The locator of sources without lines (Parquet, SQL)."""
    return None


def row_error(
    message: str, *, source: str | Path, row: int, column: str | None, locate: Locate
) -> DataError:
    """A :class:`DataError` naming the file line of ``row`` (or the row number when no line)."""
    line = locate(row)
    if line is None:
        message = f"row {row + 1}: {message}"
    return DataError(message, source=source, line=line, column=column)


def existing_file(path: Path, what: str) -> Path:
    """``path`` if it is a file; a :class:`DataError` naming it otherwise."""
    if not path.exists():
        raise DataError(f"file not found (expected {what})", source=path)
    if path.is_dir():
        raise DataError(f"is a folder; expected {what}", source=path)
    return path


def read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes (gunzipped for ``.gz``), without a UTF-8 byte-order mark.

    Empty and binary files are errors, and so is UTF-16 text (a UTF-16 BOM).
    """
    existing_file(path, what)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {what}: {exc}", source=path) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"UTF-16 text; expected {what}: {NOT_UTF8_HINT}", source=path)
    data = data.removeprefix(codecs.BOM_UTF8)  # as Windows editors save UTF-8
    if not data.strip():
        raise DataError(f"file is empty; expected {what}", source=path)
    head = data[:65536]
    if b"\x00" in head:
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise DataError(f"binary data (NUL byte); expected {what} as text", source=path, line=line)
    return data


def find_column(
    name: str,
    available: Sequence[str],
    *,
    source: str | Path,
    role: str,
    aliases: Callable[[str], str] | None = None,
) -> str:
    """The column called ``name`` (or whose alias is ``name``); lists the columns if absent."""
    if name in available:
        return name
    if aliases is not None:
        for col in available:
            if aliases(col) == name or aliases(col) == aliases(name):
                return col
    shown = ", ".join(available[:40]) + (" ..." if len(available) > 40 else "")
    hint = " (set time: null to use the file order)" if role == "time" else ""
    raise DataError(
        f"{role} column not found; available columns: {shown}{hint}", source=source, column=name
    )


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def ids_column(values: pd.Series, *, column: str, source: str | Path, locate: Locate) -> pd.Series:
    """Ids as strings (``196``, not ``196.0``); a missing or empty id names its line."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(s.dtype):
        if s.isna().any():
            row = _first(s.isna().to_numpy())
            raise row_error("missing id", source=source, row=row, column=column, locate=locate)
        arr = s.to_numpy(dtype=np.float64)
        if np.all(arr == np.floor(arr)):
            return pd.Series(arr.astype(np.int64), dtype=np.int64).astype(str)
        return s.astype(str)
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        return s.astype(str)
    out = s.astype(str)
    bad = (s.isna() | (out == "")).to_numpy()
    if bad.any():
        row = _first(bad)
        raise row_error("missing id", source=source, row=row, column=column, locate=locate)
    return out


def numbers(
    values: pd.Series, *, column: str, source: str | Path, locate: Locate, what: str
) -> np.ndarray:
    """A numeric column as float64 (missing -> NaN); a non-numeric value names its line."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s.dtype):
        raise row_error(
            f"expected a {what}, found true/false",
            source=source,
            row=0,
            column=column,
            locate=locate,
        )
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    num = pd.to_numeric(s.where(~blank, None), errors="coerce")
    bad = (num.isna() & ~blank).to_numpy()
    if bad.any():
        row = _first(bad)
        raise row_error(
            f"expected a {what}, found {str(s.iloc[row])[:40]!r}",
            source=source,
            row=row,
            column=column,
            locate=locate,
        )
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def times_column(
    values: pd.Series,
    *,
    column: str,
    source: str | Path,
    locate: Locate,
    time_format: str | None = None,
) -> np.ndarray:
    """A time column as int64: numbers as given (floored), dates as Unix seconds (UTC).

    Numbers are Unix seconds or order keys. Strings are parsed as ISO-8601 dates
    (or with ``time_format``); naive times are taken as UTC. A missing or
    unparsable value is a :class:`DataError` naming its line and column.
    """
    s = values.reset_index(drop=True)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if time_format is None and pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy(dtype=np.int64)  # exact, even beyond float precision
    if time_format is None and (
        (pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype))
        or kind in ("integer", "floating", "mixed-integer-float", "decimal")
    ):
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        return _finite_int64(arr, column=column, source=source, locate=locate)
    if kind in ("datetime64", "datetime", "date") or isinstance(s.dtype, pd.DatetimeTZDtype):
        dt = pd.to_datetime(s, utc=True, errors="coerce")
        return _seconds(dt, s, column=column, source=source, locate=locate, what="a date")
    if kind == "boolean":
        raise row_error(
            "expected a time, found true/false", source=source, row=0, column=column, locate=locate
        )
    text = s.astype(str).str.strip()
    text = text.where(s.notna(), "")
    nonblank = text[text != ""]
    if time_format is None and len(nonblank) and _is_number(str(nonblank.iloc[0])):
        num = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = (num.isna() & (text != "")).to_numpy()
        if bad.any():
            row = _first(bad)
            raise row_error(
                f"cannot read {str(s.iloc[row])[:40]!r} as a number (Unix seconds or order key)",
                source=source,
                row=row,
                column=column,
                locate=locate,
            )
        arr = num.to_numpy(dtype=np.float64, na_value=np.nan)
        return _finite_int64(arr, column=column, source=source, locate=locate)
    fmt = time_format or "ISO8601"
    dt = pd.to_datetime(text.where(text != "", None), format=fmt, utc=True, errors="coerce")
    what = f"a date in the format {time_format!r}" if time_format else "an ISO-8601 date"
    return _seconds(dt, s, column=column, source=source, locate=locate, what=what)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finite_int64(
    arr: np.ndarray, *, column: str, source: str | Path, locate: Locate
) -> np.ndarray:
    bad = ~np.isfinite(arr)
    if bad.any():
        row = _first(bad)
        raise row_error("missing time", source=source, row=row, column=column, locate=locate)
    return np.floor(arr).astype(np.int64)


def _seconds(
    dt: pd.Series,
    original: pd.Series,
    *,
    column: str,
    source: str | Path,
    locate: Locate,
    what: str,
) -> np.ndarray:
    bad = dt.isna().to_numpy()
    if bad.any():
        row = _first(bad)
        value = original.iloc[row]
        if value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == "":
            raise row_error("missing time", source=source, row=row, column=column, locate=locate)
        raise row_error(
            f"cannot parse {str(value)[:40]!r} as {what}",
            source=source,
            row=row,
            column=column,
            locate=locate,
        )
    delta = dt - _EPOCH
    return (delta // _SECOND).to_numpy(dtype=np.int64)


def raw_interactions(
    frame: pd.DataFrame,
    *,
    user: str,
    item: str,
    time: str | None,
    rating: str | None,
    source: str | Path,
    locate: Locate,
    time_format: str | None = None,
    time_values: np.ndarray | None = None,
) -> RawInteractions:
    """Validate and convert source columns into the raw interaction frame.

    ``frame`` holds the source's own columns; ``user``/``item``/``time``/``rating``
    name them (``time=None``: file order). ``time_values`` overrides the time
    conversion for sources that convert it themselves (e.g. milliseconds).
    """
    if len(frame) == 0:
        raise DataError("no rows (only a header, or nothing to read)", source=source)
    out = pd.DataFrame(
        {
            USER: ids_column(frame[user], column=user, source=source, locate=locate),
            ITEM: ids_column(frame[item], column=item, source=source, locate=locate),
        }
    )
    if time_values is not None:
        out[TIME] = time_values
    elif time is None:
        out[TIME] = np.arange(len(frame), dtype=np.int64)
    else:
        out[TIME] = times_column(
            frame[time], column=time, source=source, locate=locate, time_format=time_format
        )
    if rating is not None:
        out[RATING] = numbers(
            frame[rating], column=rating, source=source, locate=locate, what="number (rating)"
        )
    return RawInteractions(frame=out, source=str(source))


def text_values(values: pd.Series) -> pd.Series:
    """Any column as display text: missing -> '', integral floats without '.0'."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(s.dtype):
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        integral = np.isfinite(arr) & (arr == np.floor(arr))
        out = s.astype(str).where(~integral, pd.Series(arr).map(lambda v: f"{v:.0f}"))
        return out.where(s.notna(), "").astype(str)
    return s.astype(str).where(s.notna(), "").astype(str)

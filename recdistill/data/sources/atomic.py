"""RecBole atomic files: ``<name>.inter`` and ``<name>.item``.

Tab-separated, one header row of typed names such as
``user_id:token  item_id:token  rating:float  timestamp:float``. Config column
names match with or without the ``:type`` suffix. ``token`` and
``token_seq`` (space-separated) columns are read as text, ``float`` as numbers.
No quoting: a ``"`` is an ordinary character.

``path`` is a file or a folder (then ``<folder name>.inter``, or the only
``.inter`` file in it). Without an ``items:`` section, the ``.item`` file beside
it is the catalogue; its text defaults to the ``title`` column if there is one,
else every ``token``/``token_seq`` column but the id.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources.catalogue import Catalogue
from recdistill.data.sources.common import find_column, raw_interactions, read_bytes
from recdistill.data.sources.delimited import header_fields, read_delimited
from recdistill.data.types import RawInteractions
from recdistill.errors import DataError

_TEXT_TYPES = ("token", "token_seq")


def atomic_file(path: Path, ext: str) -> Path:
    """``path`` itself, or the ``.ext`` file of a dataset folder."""
    if not path.exists():
        raise DataError(f"atomic .{ext} file or folder not found", source=path)
    if path.is_file():
        return path
    named = path / f"{path.name}.{ext}"
    if named.is_file():
        return named
    found = sorted(path.glob(f"*.{ext}"))
    if len(found) == 1:
        return found[0]
    listed = f" (found: {', '.join(p.name for p in found)})" if found else ""
    raise DataError(
        f"expected {path.name}.{ext} (a RecBole atomic file) in this folder{listed}", source=path
    )


def companion(path: Path, ext: str) -> Path | None:
    """The ``.ext`` file with the same stem beside an atomic file, if present."""
    other = path.with_suffix(f".{ext}")
    return other if other.is_file() else None


def split_header(fields: list[str]) -> tuple[list[str], dict[str, str]]:
    """``['user_id:token', ...]`` -> names ``['user_id', ...]`` and ``{name: type}``."""
    names, types = [], {}
    for f in fields:
        name, _, kind = f.partition(":")
        names.append(name)
        types[name] = kind or "token"
    return names, types


def _arrow_type(kind: str) -> pa.DataType:
    return pa.float64() if kind == "float" else pa.string()


def _resolve(name: str, names: list[str], path: Path, role: str) -> str:
    return find_column(name.partition(":")[0], names, source=path, role=role)


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Interactions from an ``.inter`` file: configured ``user``, ``item``, ``time``, ``rating``.

    ``rating`` defaults to the ``rating`` column when the file has one.
    """
    path = atomic_file(Path(src.path), "inter")
    data = read_bytes(path, "a RecBole .inter file")
    names, kinds = split_header(header_fields(data, sep="\t", quoting=False, source=path))
    user = _resolve(src.user, names, path, "user")
    item = _resolve(src.item, names, path, "item")
    time = _resolve(src.time, names, path, "time") if src.time else None
    rating: str | None = None
    if src.rating:
        rating = _resolve(src.rating, names, path, "rating")
    elif "rating" not in src.model_fields_set and "rating" in names:
        rating = "rating"
    want = [c for c in dict.fromkeys([user, item, time, rating]) if c]
    types = {c: _arrow_type(kinds[c]) for c in want}
    types[user] = types[item] = pa.string()
    if time and (src.time_format or kinds[time] != "float"):
        types[time] = pa.string()
    table = read_delimited(
        data,
        source=path,
        sep="\t",
        names=names,
        skip=1,
        want=want,
        types=types,
        quoting=False,
        what="a RecBole .inter file",
    )
    return raw_interactions(
        table.frame,
        user=user,
        item=item,
        time=time,
        rating=rating,
        source=path,
        locate=table.locate,
        time_format=src.time_format,
    )


def read_catalogue(spec: ItemsSource) -> Catalogue:
    """An ``.item`` file, every column read as text."""
    path = atomic_file(Path(spec.path), "item")
    data = read_bytes(path, "a RecBole .item file")
    names, kinds = split_header(header_fields(data, sep="\t", quoting=False, source=path))
    table = read_delimited(
        data,
        source=path,
        sep="\t",
        names=names,
        skip=1,
        types={n: pa.string() for n in names},
        quoting=False,
        what="a RecBole .item file",
    )
    id_name = spec.id.partition(":")[0]
    if "title" in names:
        text = ["title"]
    else:
        text = [n for n in names if n != id_name and kinds[n] in _TEXT_TYPES] or [id_name]
    aliases = {f"{n}:{k}": n for n, k in kinds.items()}
    return Catalogue(
        frame=table.frame,
        source=str(path),
        locate=table.locate,
        id=id_name,
        text=text,
        aliases=aliases,
    )

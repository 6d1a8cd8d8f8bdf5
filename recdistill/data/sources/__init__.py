"""Data sources: one module per layout, each producing raw frames keyed by original ids.

- :func:`read_interactions` -> :class:`RawInteractions` (``user, item, time[, rating]``,
  file order);
- :func:`read_items` -> :class:`RawItems` (``item, text, title, category``);
- :func:`companion_items` finds the catalogue that ships beside an interaction
  file (MovieLens movies, atomic ``.item``, Amazon ``meta_*``).

Layouts: ``csv``/``tsv``/``parquet`` (:mod:`.table`), ``movielens``
(:mod:`.movielens`), ``atomic`` (:mod:`.atomic`), ``amazon`` (:mod:`.amazon`),
``sql`` (:mod:`.sql`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources import amazon, atomic, movielens, sql, table
from recdistill.data.sources.catalogue import Catalogue, assemble_items
from recdistill.data.types import RawInteractions, RawItems

_INTERACTIONS: dict[str, Callable[[InteractionsSource], RawInteractions]] = {
    "csv": table.read_interactions,
    "tsv": table.read_interactions,
    "parquet": table.read_interactions,
    "movielens": movielens.read_interactions,
    "atomic": atomic.read_interactions,
    "amazon": amazon.read_interactions,
    "sql": sql.read_interactions,
}
_CATALOGUES: dict[str, Callable[[ItemsSource], Catalogue]] = {
    "csv": table.read_catalogue,
    "tsv": table.read_catalogue,
    "parquet": table.read_catalogue,
    "movielens": movielens.read_catalogue,
    "atomic": atomic.read_catalogue,
    "amazon": amazon.read_catalogue,
    "sql": sql.read_catalogue,
}


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Read the interaction log described by ``src`` (any format)."""
    return _INTERACTIONS[src.format](src)


def read_items(spec: ItemsSource) -> RawItems:
    """Read an item catalogue and assemble its text, title and category."""
    return assemble_items(_CATALOGUES[spec.format](spec), spec)


def companion_items(src: InteractionsSource) -> ItemsSource | None:
    """The catalogue shipped beside the interactions, used when the config has no ``items``."""
    path = Path(src.path)
    found: Path | None = None
    if src.format == "movielens":
        found = movielens.movies_file(movielens.ratings_file(path))
    elif src.format == "atomic":
        found = atomic.companion(atomic.atomic_file(path, "inter"), "item")
    elif src.format == "amazon":
        found = amazon.metadata_file(amazon.reviews_file(path))
    if found is None:
        return None
    return ItemsSource(path=str(found), format=src.format)


def default_name(src: InteractionsSource) -> str:
    """A dataset name from the source: the file stem, or the folder for generic file names."""
    if src.format == "sql":
        return sql.default_name(src.path, src.query)
    path = Path(src.path)
    name = path.name
    for suffix in (
        ".gz",
        ".jsonl",
        ".json",
        ".csv",
        ".tsv",
        ".parquet",
        ".inter",
        ".dat",
        ".data",
        ".txt",
    ):
        name = name.removesuffix(suffix)
    if path.is_file() and name in ("u", "ratings", "data", "interactions", "inter", "reviews"):
        name = path.resolve().parent.name
    return name or "dataset"


__all__ = [
    "Catalogue",
    "assemble_items",
    "companion_items",
    "default_name",
    "read_interactions",
    "read_items",
]

"""Item catalogues: a source's own columns -> :class:`RawItems` (id, text, title, category).

A reader returns a :class:`Catalogue`: the source's columns plus that format's
defaults (MovieLens knows its title and genres columns; an atomic ``.item`` file
knows which columns are text). :func:`assemble_items` then applies the
``items:`` section of the config: fields the user set win over the defaults.

- ``text``: the chosen text columns, empty parts skipped, joined with ``" | "``;
- ``title``: the ``title`` column, else the first text column, else the item id;
- ``category``: the ``category`` column, else the format's default, else the
  first of ``category, categories, genres, genre, class`` present, else ``''``;
- ``image`` (only when ``items.image`` names a column): each item's image file
  as an absolute path, relative ones taken from the catalogue file's folder (a
  folder source: that folder; ``sql``: the working directory); ``''`` for none.
  Whether the file exists is checked when images are embedded (a missing or
  unreadable one is counted there, never an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from recdistill.data.config import ItemsSource
from recdistill.data.sources.common import (
    Locate,
    find_column,
    ids_column,
    no_lines,
    text_values,
)
from recdistill.data.types import CATEGORY, IMAGE, ITEM_ID, TEXT, TITLE, RawItems
from recdistill.errors import DataError

TEXT_SEP = " | "
_CATEGORY_NAMES = ("category", "categories", "genres", "genre", "class")


@dataclass
class Catalogue:
    """An item table as read from a source, with the format's column defaults.

    ``frame`` holds the source's own columns (any dtype); ``locate`` maps a row
    to its file line. ``id``/``text``/``title``/``category`` are the format's
    defaults, used where the config leaves the field unset (``None``: the
    config's own default).
    """

    frame: pd.DataFrame
    source: str
    locate: Locate = no_lines
    id: str | None = None
    text: list[str] | None = None
    title: str | None = None
    category: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)


def assemble_items(cat: Catalogue, spec: ItemsSource) -> RawItems:
    """Build the ``item, text, title, category`` frame from a catalogue and its config.

    Rows keep the catalogue order; duplicate ids are kept here (the loader
    keeps the first and counts the rest).
    """
    cols = [str(c) for c in cat.frame.columns]

    def col(name: str, role: str) -> str:
        return find_column(cat.aliases.get(name, name), cols, source=cat.source, role=role)

    given = spec.model_fields_set  # fields the user set win over the format's defaults
    id_name = spec.id if "id" in given or cat.id is None else cat.id
    text_names = spec.text if "text" in given or cat.text is None else cat.text
    if not text_names:
        raise DataError("items.text names no column", source=cat.source)
    id_col = col(id_name, "item id")
    text_cols = [col(n, "text") for n in text_names]
    title_name = spec.title or cat.title
    title_col = col(title_name, "title") if title_name else text_cols[0]
    cat_name = spec.category or cat.category
    if cat_name:
        category_col: str | None = col(cat_name, "category")
    else:
        category_col = next((c for c in _CATEGORY_NAMES if c in cols), None)
    if len(cat.frame) == 0:
        raise DataError("no rows in the item catalogue", source=cat.source)

    ids = ids_column(cat.frame[id_col], column=id_col, source=cat.source, locate=cat.locate)
    parts = [text_values(cat.frame[c]).str.strip() for c in text_cols]
    text = parts[0]
    for part in parts[1:]:
        text = text.where(~((text != "") & (part != "")), text + TEXT_SEP) + part
    title = text_values(cat.frame[title_col]).str.strip()
    title = title.where(title != "", ids)
    category = (
        text_values(cat.frame[category_col]).str.strip()
        if category_col is not None
        else pd.Series([""] * len(ids), dtype=str)
    )
    frame = pd.DataFrame({ITEM_ID: ids, TEXT: text, TITLE: title, CATEGORY: category})
    if spec.image:
        images = text_values(cat.frame[col(spec.image, "image")]).str.strip()
        frame[IMAGE] = image_paths(images, spec).to_numpy()
    return RawItems(frame=frame.astype(str), source=cat.source)


def image_paths(values: pd.Series, spec: ItemsSource) -> pd.Series:
    """Image file names as absolute paths (see the module docstring); ``''`` stays ``''``.

    A value with a URL scheme (``https://...``) is kept as given: images are read
    from local files only, and the embedding step reports it as unreadable.
    """
    source = Path(spec.path)
    folder = source if source.is_dir() else source.parent
    base = (Path.cwd() if spec.format == "sql" else folder).resolve()

    def absolute(v: str) -> str:
        if not v or "://" in v:
            return v
        p = Path(v).expanduser()
        return str(p if p.is_absolute() else base / p)

    return values.map(absolute)

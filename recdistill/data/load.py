"""Load a configured dataset: source -> cleaning -> ids -> item text.

:func:`load_dataset` reads the interactions, the catalogue (``items:``, or the
one that ships beside the interactions), cleans (see :mod:`.clean`), numbers
users and items, and attaches each item's text, title and category.

Catalogue rules (each count is noted in ``Dataset.log``):

- duplicate catalogue ids keep their first row;
- catalogue items without interactions leave the item universe, unless
  ``clean.keep_cold_items`` (then they are appended after the items with
  interactions);
- interactions whose item has no catalogue entry are kept, with empty text and
  the id as title.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from recdistill.data.clean import clean_interactions, index_interactions, note
from recdistill.data.config import DataConfig
from recdistill.data.sources import companion_items, default_name, read_interactions, read_items
from recdistill.data.types import (
    CATEGORY,
    IMAGE,
    ITEM,
    ITEM_ID,
    RATING,
    TEXT,
    TITLE,
    Dataset,
    RawItems,
)
from recdistill.errors import ConfigError, DataError


def load_dataset(cfg: DataConfig) -> Dataset:
    """Read, clean and index the data described by ``cfg`` (the ``data:`` section)."""
    inter_cfg = cfg.interactions
    raw = read_interactions(inter_cfg)
    if inter_cfg.min_rating is not None and RATING not in raw.frame.columns:
        raise ConfigError(
            "data.interactions.min_rating needs a rating column (set data.interactions.rating)"
        )
    items_cfg = cfg.items if cfg.items is not None else companion_items(inter_cfg)
    catalogue = read_items(items_cfg) if items_cfg is not None else None

    notes: list[str] = []
    f = raw.frame
    note(
        notes,
        f"read {len(f):,} interactions ({f[ITEM].nunique():,} items, {f['user'].nunique():,} "
        f"users) from {raw.source}",
    )
    if catalogue is not None:
        beside = " (found beside the interactions)" if cfg.items is None else ""
        note(
            notes, f"read {len(catalogue.frame):,} catalogue items from {catalogue.source}{beside}"
        )
    frame = clean_interactions(f, cfg.clean, inter_cfg.min_rating, notes)
    if len(frame) == 0:
        raise DataError(
            "no interactions left after cleaning (see the notes above)", source=raw.source
        )

    cat_frame = _unique_catalogue(catalogue, notes) if catalogue is not None else None
    extra: list[str] = []
    if cat_frame is not None:
        cold = cat_frame[ITEM_ID][~cat_frame[ITEM_ID].isin(frame[ITEM].unique())]
        if len(cold) and cfg.clean.keep_cold_items:
            extra = cold.tolist()
            note(
                notes,
                f"catalogue: kept {len(cold):,} items without interactions in the item "
                "universe (clean.keep_cold_items)",
            )
        elif len(cold):
            note(
                notes,
                f"catalogue: left {len(cold):,} items without interactions out of the "
                "item universe (set clean.keep_cold_items: true to keep them)",
            )
    users, items, table = index_interactions(frame, extra)

    ids = pd.Index(items.to_list())
    if cat_frame is not None:
        found = cat_frame.set_index(ITEM_ID).reindex(ids)
        missing = found[TEXT].isna().to_numpy()
        if missing.any():
            rows = int(table.item_counts()[missing].sum())
            note(
                notes,
                f"catalogue: {rows:,} interactions of {int(missing.sum()):,} items with no "
                "catalogue entry kept, with empty text",
            )
        text = found[TEXT].fillna("").astype(str).tolist()
        title = found[TITLE].where(found[TITLE].notna(), ids.to_series(index=ids)).astype(str)
        category = found[CATEGORY].fillna("").astype(str).tolist()
        titles = title.tolist()
        image = found[IMAGE].fillna("").astype(str).tolist() if IMAGE in found else []
    else:
        text = [""] * len(items)
        titles = items.to_list()
        category = [""] * len(items)
        image = []
    return Dataset(
        name=cfg.name or default_name(inter_cfg),
        users=users,
        items=items,
        interactions=table,
        item_text=text,
        item_title=titles,
        item_category=category,
        item_image=image,
        log=notes,
    )


def _unique_catalogue(catalogue: RawItems, notes: list[str]) -> pd.DataFrame:
    cat = catalogue.frame
    dup = cat[ITEM_ID].duplicated(keep="first").to_numpy()
    if dup.any():
        note(
            notes,
            f"catalogue: {int(dup.sum()):,} rows repeat an item id already listed; "
            "kept the first row of each",
        )
        cat = cat[~dup]
    return cat.reset_index(drop=True)


def _time(t: int, unix: bool) -> str:
    if unix:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{t:,}"


def describe(ds: Dataset) -> str:
    """Users, items, interactions, density, time range and the cleaning log, as text."""
    inter = ds.interactions
    n = len(inter)
    per_user = np.bincount(inter.user, minlength=ds.n_users)
    per_item = inter.item_counts()
    density = n / (ds.n_users * ds.n_items) if ds.n_users and ds.n_items else 0.0
    with_text = sum(1 for t in ds.item_text if t)
    lines = [
        f"dataset       {ds.name}",
        f"users         {ds.n_users:,}",
        f"items         {ds.n_items:,}",
        f"interactions  {n:,}",
        f"density       {100 * density:.3f}%",
    ]
    if n:
        lo, hi = int(inter.time.min()), int(inter.time.max())
        unix = lo >= 1e8 and hi <= 4.2e9  # plausibly Unix seconds (1973-2103)
        label = " UTC" if unix else " (order keys)"
        lines += [
            f"per user      min {per_user.min():,}, median {np.median(per_user):g}, "
            f"max {per_user.max():,}",
            f"per item      min {per_item.min():,}, median {np.median(per_item):g}, "
            f"max {per_item.max():,}",
            f"time          {_time(lo, unix)} .. {_time(hi, unix)}{label}",
        ]
    lines.append(f"item text     {with_text:,} of {ds.n_items:,} items")
    lines.append("cleaning log:")
    lines += [f"  - {entry}" for entry in ds.log] or ["  (nothing)"]
    return "\n".join(lines)

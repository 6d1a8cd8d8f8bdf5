"""The bundled demo dataset: a synthetic shop, generated from a seed, no network.

A catalogue of a few thousand invented products with readable titles
("Aurora X5 Smartphone 128GB, Midnight Blue", "Tempered Glass Screen Protector
for Aurora X5, 2-Pack") in 11 departments and 55 leaf categories, and an
interaction log of thousands of users with the structure sequence- and
text-aware recommenders can learn: accessories follow their device, consumables
are re-bought, interests drift, popularity is skewed. See docs/demo-dataset.md.

Public surface:

- :func:`generate_demo` -> ``(RawInteractions, RawItems)`` in memory.
- :func:`write_demo` -> ``interactions.csv`` and ``items.csv`` in a folder (with
  ``images=True`` also a drawn picture per product, ``images/P00000.png``...).
- :func:`demo_config` (alias :data:`DEMO_CONFIG`) -> the ``data:`` config for them.
- :data:`DEMO_SIZES` -> the ``full`` and ``quick`` sizes; :data:`LANGUAGES` -> the
  catalogue languages (``en``, the default, and ``zh``: the same shop and the same
  shoppers with Chinese titles, brands, attributes and category paths).
- :func:`sample_demo` -> the same data with its ground truth (:class:`DemoData`),
  for tests and statistics; :func:`to_raw` turns it into the two frames.

Example::

    >>> inter, items = generate_demo(seed=0, **DEMO_SIZES["quick"])
    >>> inter.frame.columns.tolist(), items.frame.columns.tolist()
    (['user', 'item', 'time'], ['item', 'text', 'title', 'category'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recdistill.data.demo.behaviour import Events, simulate
from recdistill.data.demo.catalogue import Catalogue, build_catalogue
from recdistill.data.demo.vocabulary import LEAVES, Leaf
from recdistill.data.demo.vocabulary_zh import LEAVES_ZH
from recdistill.data.types import (
    CATEGORY,
    ITEM,
    ITEM_ID,
    TEXT,
    TIME,
    TITLE,
    USER,
    RawInteractions,
    RawItems,
)

__all__ = [
    "DEMO_CONFIG",
    "DEMO_SIZES",
    "LANGUAGES",
    "DemoData",
    "demo_config",
    "generate_demo",
    "sample_demo",
    "to_raw",
    "write_demo",
]

DEMO_SIZES: dict[str, dict[str, int]] = {
    "full": {"n_users": 6000, "n_items": 3200},
    "quick": {"n_users": 1500, "n_items": 1200},
}
#: catalogue languages: the vocabulary each one's titles are built from
LANGUAGES: dict[str, tuple[Leaf, ...]] = {"en": LEAVES, "zh": LEAVES_ZH}
INTERACTIONS_FILE, ITEMS_FILE, IMAGES_DIR = "interactions.csv", "items.csv", "images"
TEXT_SEP = " | "  # how the items source joins text columns; generate_demo matches it


@dataclass(frozen=True)
class DemoData:
    """A generated demo dataset with its ground truth.

    Attributes:
        seed: the seed it was generated from.
        catalogue: items in index order (titles, leaves, device models, intervals).
        events: int64 ``user``, ``item`` (catalogue index) and ``time`` arrays,
            sorted by ``(user, time)``.
        n_users: number of users (every one has at least 5 events).
        lang: the catalogue's language (a key of :data:`LANGUAGES`).
    """

    seed: int
    catalogue: Catalogue
    events: Events
    n_users: int
    lang: str = "en"

    @property
    def user_ids(self) -> list[str]:
        """Original user ids by index ("U00000"...)."""
        return _ids("U", self.n_users)

    @property
    def item_ids(self) -> list[str]:
        """Original item ids by catalogue index ("P00000"...)."""
        return _ids("P", self.catalogue.n_items)

    @property
    def source(self) -> str:
        lang = "" if self.lang == "en" else f", lang={self.lang}"
        return (
            f"demo(seed={self.seed}, n_users={self.n_users}, n_items={self.catalogue.n_items}"
            f"{lang})"
        )


def _ids(prefix: str, n: int) -> list[str]:
    width = max(5, len(str(n - 1)))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def sample_demo(
    seed: int = 0,
    n_users: int = DEMO_SIZES["full"]["n_users"],
    n_items: int = DEMO_SIZES["full"]["n_items"],
    lang: str = "en",
) -> DemoData:
    """Generate the demo data with its ground truth (same data as :func:`generate_demo`).

    Deterministic: one ``numpy.random.Generator(PCG64(seed))`` drives everything.
    ``lang`` only changes the words: every language gives the same items (by
    index, leaf and popularity) and the same events for the same seed.
    Raises ``ValueError`` for ``n_items`` below 300 or above about 6,000 (what the
    vocabulary can form), ``n_users < 1``, or an unknown ``lang``.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown demo language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    catalogue = build_catalogue(rng, n_items, LANGUAGES[lang])
    events = simulate(rng, catalogue, n_users)
    return DemoData(seed=seed, catalogue=catalogue, events=events, n_users=n_users, lang=lang)


def _frames(data: DemoData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The interaction log (time order, like a shop's log) and the item table."""
    ev = data.events
    # Log order: by time; ties keep the per-user generation order.
    order = np.lexsort((np.arange(len(ev.time)), ev.time))
    users = np.asarray(data.user_ids, dtype=object)
    items = np.asarray(data.item_ids, dtype=object)
    inter = pd.DataFrame(
        {
            "user_id": users[ev.user[order]],
            "item_id": items[ev.item[order]],
            "timestamp": ev.time[order].astype(np.int64),
        }
    )
    cat = data.catalogue
    catalogue = pd.DataFrame(
        {
            "item_id": data.item_ids,
            "title": cat.title,
            "category": [cat.category(i) for i in range(cat.n_items)],
            "description": cat.description,
        }
    )
    return inter, catalogue


def to_raw(data: DemoData) -> tuple[RawInteractions, RawItems]:
    """The ``(RawInteractions, RawItems)`` frames of generated data (see :func:`generate_demo`)."""
    inter, catalogue = _frames(data)
    raw_inter = RawInteractions(
        frame=pd.DataFrame(
            {USER: inter["user_id"].astype(str), ITEM: inter["item_id"].astype(str),
             TIME: inter["timestamp"].to_numpy(dtype=np.int64)}
        ),
        source=data.source,
    )
    text = [
        TEXT_SEP.join(parts)
        for parts in zip(catalogue["title"], catalogue["category"], catalogue["description"],
                         strict=True)
    ]
    raw_items = RawItems(
        frame=pd.DataFrame(
            {ITEM_ID: catalogue["item_id"].astype(str), TEXT: text,
             TITLE: catalogue["title"].astype(str), CATEGORY: catalogue["category"].astype(str)}
        ),
        source=data.source,
    )
    return raw_inter, raw_items


def generate_demo(
    seed: int = 0,
    n_users: int = DEMO_SIZES["full"]["n_users"],
    n_items: int = DEMO_SIZES["full"]["n_items"],
    lang: str = "en",
) -> tuple[RawInteractions, RawItems]:
    """Generate the demo shop: ``(RawInteractions, RawItems)``, source ``"demo(seed=...)"``.

    The interactions frame has ``user`` (str, "U00042"), ``item`` (str,
    "P01234") and ``time`` (int64 Unix seconds, 2023-2024) in log (time) order;
    each user's times are non-decreasing. The items frame has ``item``,
    ``title``, ``category`` ("Department > Leaf") and ``text`` (title, category
    and a one-sentence description joined with ``" | "``, as the csv source
    joins them). Same seed and sizes give identical frames. ``lang="zh"``: the
    same shop in Chinese (see :func:`sample_demo`).
    """
    return to_raw(sample_demo(seed, n_users, n_items, lang))


def write_demo(
    folder: Path | str,
    seed: int = 0,
    n_users: int = DEMO_SIZES["full"]["n_users"],
    n_items: int = DEMO_SIZES["full"]["n_items"],
    lang: str = "en",
    images: bool = False,
    progress: bool = False,
) -> tuple[Path, Path]:
    """Write ``interactions.csv`` (user_id,item_id,timestamp) and ``items.csv``
    (item_id,title,category,description; UTF-8) into ``folder`` (created if needed).

    ``images``: also draw each product's picture (:mod:`recdistill.data.demo.images`)
    into ``folder/images/<item_id>.png`` and name it in an ``image`` column of
    ``items.csv`` (relative to the file); ``progress`` shows a bar while drawing.
    Returns ``(interactions_path, items_path)``; :func:`demo_config` reads them back.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = sample_demo(seed, n_users, n_items, lang)
    inter, catalogue = _frames(data)
    if images:
        from recdistill.data.demo.images import render_images

        # The drawings know the English vocabulary; every language has the same items
        # for a seed, so the English catalogue's pictures are this catalogue's too.
        cat = data.catalogue
        if lang != "en":
            cat = build_catalogue(np.random.Generator(np.random.PCG64(seed)), n_items, LEAVES)
        names = [f"{IMAGES_DIR}/{item}.png" for item in data.item_ids]
        render_images(cat, folder, names, progress=progress)
        catalogue["image"] = names
    inter_path, items_path = folder / INTERACTIONS_FILE, folder / ITEMS_FILE
    inter.to_csv(inter_path, index=False, encoding="utf-8")
    catalogue.to_csv(items_path, index=False, encoding="utf-8")
    return inter_path, items_path


def demo_config(
    folder: Path | str = ".", name: str = "demo", images: bool = False
) -> dict[str, Any]:
    """The ``data:`` config (DESIGN.md contract) for the files :func:`write_demo` wrote.

    Paths are ``folder/interactions.csv`` and ``folder/items.csv`` as given
    (relative stays relative); ``images``: the catalogue's ``image`` column is read
    too. Validates as :class:`recdistill.config.DataConfig`.
    """
    folder = Path(folder)
    out: dict[str, Any] = {
        "name": name,
        "interactions": {
            "path": str(folder / INTERACTIONS_FILE),
            "format": "csv",
            "user": "user_id",
            "item": "item_id",
            "time": "timestamp",
        },
        "items": {
            "path": str(folder / ITEMS_FILE),
            "format": "csv",
            "id": "item_id",
            "text": ["title", "category", "description"],
            "title": "title",
            "category": "category",
        },
    }
    if images:
        out["items"]["image"] = "image"
    return out


DEMO_CONFIG = demo_config
"""Alias of :func:`demo_config`: ``DEMO_CONFIG(folder)`` -> the ``data:`` config dict."""

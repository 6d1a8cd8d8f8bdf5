"""``recdistill data generate``: the demo shop at any size, written in bounded memory.

The same generative story as the demo dataset (docs/demo-dataset.md), scaled:

- the catalogue has exactly ``n_items`` items; above what the demo vocabulary
  can name, every shelf gets invented brands beside its own
  (:func:`~recdistill.data.demo.vocabulary.widen`);
- the users' numbers of events are drawn as in the demo, with the log-normal
  shifted so that they add up to ``n_interactions`` exactly;
- users are simulated and written in chunks (``chunk_users`` at a time), so
  memory stays bounded whatever the size; each chunk has its own seed
  (``(seed, chunk)``), so the output depends only on the arguments.

It writes ``interactions.csv`` (user_id, item_id, timestamp; each user's rows
together, in time order), ``items.csv`` (item_id, title, category,
description) and ``config.yaml``, a run config whose ``data:`` section reads
them (paths relative to the folder).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from recdistill.data.demo import INTERACTIONS_FILE, ITEMS_FILE, LANGUAGES, demo_config
from recdistill.data.demo.behaviour import (
    ACTIVITY_MEDIAN,
    ACTIVITY_SIGMA,
    MAX_EVENTS,
    MIN_EVENTS,
    Events,
    Shop,
    activity,
    simulate,
)
from recdistill.data.demo.catalogue import MIN_ITEMS, Catalogue, build_catalogue
from recdistill.data.demo.vocabulary import widen
from recdistill.errors import UserError

CONFIG_FILE = "config.yaml"
#: items the demo vocabulary names per unit of :func:`widen`'s factor (with room to spare)
ITEMS_PER_WIDTH = 3500


@dataclass(frozen=True)
class Generated:
    """What :func:`generate` wrote."""

    folder: Path
    interactions: int
    users: int
    items: int

    @property
    def config(self) -> Path:
        return self.folder / CONFIG_FILE


def check_sizes(n_users: int, n_items: int, n_interactions: int) -> None:
    """``UserError`` (one line) for sizes the generator cannot make."""
    if n_users < 1:
        raise UserError(f"data generate: --users must be at least 1, got {n_users}")
    if n_items < MIN_ITEMS:
        raise UserError(f"data generate: --items must be at least {MIN_ITEMS}, got {n_items}")
    mean = n_interactions / n_users
    if mean < MIN_EVENTS or mean > MAX_EVENTS:
        raise UserError(
            f"data generate: {n_interactions:,} interactions for {n_users:,} users is "
            f"{mean:.1f} per user; the generator makes {MIN_EVENTS} to {MAX_EVENTS} per user"
        )


def event_counts(rng: np.random.Generator, n_users: int, n_interactions: int) -> np.ndarray:
    """Each user's number of events (at least ``MIN_EVENTS``), adding up to ``n_interactions``.

    The demo's log-normal activity, its median moved so the expected total is
    right, then the remainder spread one event at a time over random users.
    """
    mean = n_interactions / n_users
    median = max((mean - MIN_EVENTS) / math.exp(ACTIVITY_SIGMA**2 / 2), 0.5)
    counts = activity(rng, n_users, median if n_interactions else ACTIVITY_MEDIAN)
    diff = n_interactions - int(counts.sum())
    while diff != 0:
        room = (counts < MAX_EVENTS) if diff > 0 else (counts > MIN_EVENTS)
        users = np.flatnonzero(room)
        take = rng.choice(users, size=min(abs(diff), len(users)), replace=False)
        counts[take] += 1 if diff > 0 else -1
        diff = n_interactions - int(counts.sum())
    return counts


def catalogue(seed: int, n_items: int, lang: str = "en") -> Catalogue:
    """A catalogue of exactly ``n_items`` items (the vocabulary of ``lang`` widened as
    needed)."""
    rng = np.random.default_rng([seed, 0])
    factor = max(1, math.ceil(n_items / ITEMS_PER_WIDTH))
    return build_catalogue(rng, n_items, widen(LANGUAGES[lang], factor))


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(5, len(str(n - 1)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def generate(
    folder: Path,
    n_users: int,
    n_items: int,
    n_interactions: int,
    *,
    seed: int = 0,
    lang: str = "en",
    chunk_users: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> Generated:
    """Write the generated shop at this size into ``folder``; see the module docstring.

    ``lang``: the catalogue's language (``en`` or ``zh``; the same shop either way).
    ``progress`` is called with the number of interactions written after each chunk.
    """
    check_sizes(n_users, n_items, n_interactions)
    if lang not in LANGUAGES:
        raise UserError(f"--lang: unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    folder.mkdir(parents=True, exist_ok=True)
    cat = catalogue(seed, n_items, lang)
    counts = event_counts(np.random.default_rng([seed, 1]), n_users, n_interactions)
    user_ids, item_ids = _ids("U", n_users), _ids("P", n_items)
    shop = Shop(cat)
    inter_path = folder / INTERACTIONS_FILE
    with inter_path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("user_id,item_id,timestamp\n")
        for c, start in enumerate(range(0, n_users, chunk_users)):
            stop = min(n_users, start + chunk_users)
            rng = np.random.default_rng([seed, 2, c])
            ev = simulate(rng, cat, stop - start, counts[start:stop], user_offset=start, shop=shop)
            ev = _trim(ev, int(counts[start:stop].sum()))
            pd.DataFrame(
                {"user_id": user_ids[ev.user], "item_id": item_ids[ev.item], "timestamp": ev.time}
            ).to_csv(fh, header=False, index=False)
            if progress is not None:
                progress(len(ev.user))
    _write_items(folder / ITEMS_FILE, cat, item_ids)
    _write_config(folder, n_users, n_items, n_interactions)
    return Generated(folder, n_interactions, n_users, n_items)


def _trim(ev: Events, target: int) -> Events:
    """Drop the last events of the longest histories until ``target`` remain.

    The simulation adds a few events to users who would otherwise have fewer than
    five distinct items; this keeps the total exact.
    """
    extra = len(ev.user) - target
    if extra <= 0:
        return ev
    _, starts, lengths = np.unique(ev.user, return_index=True, return_counts=True)
    ends = starts + lengths
    drop = np.zeros(len(ev.user), dtype=bool)
    for j in np.argsort(-lengths, kind="stable")[:extra]:
        drop[ends[j] - 1] = True  # the longest users each lose their last event
    keep = ~drop
    return Events(ev.user[keep], ev.item[keep], ev.time[keep])


def _write_items(path: Path, cat: Catalogue, item_ids: np.ndarray) -> None:
    categories = [leaf.category for leaf in cat.leaves]
    pd.DataFrame(
        {
            "item_id": item_ids,
            "title": cat.title,
            "category": [categories[int(j)] for j in cat.leaf],
            "description": cat.description,
        }
    ).to_csv(path, index=False)


def _write_config(folder: Path, n_users: int, n_items: int, n_interactions: int) -> None:
    data = demo_config(".", name=f"generated-{n_users}u-{n_items}i-{n_interactions}")
    for part in ("interactions", "items"):
        data[part]["path"] = Path(data[part]["path"]).name  # relative to the config's folder
    doc = {"data": data, "split": {"method": "leave_last_out"}}
    head = (
        "# Generated by `recdistill data generate`: the demo shop at "
        f"{n_users:,} users, {n_items:,} items, {n_interactions:,} interactions.\n"
        f"# Run it: recdistill run {folder / CONFIG_FILE}\n"
    )
    text = head + yaml.safe_dump(doc, sort_keys=False)
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")

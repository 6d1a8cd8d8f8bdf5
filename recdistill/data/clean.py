"""Cleaning and indexing: raw interactions -> id maps and an :class:`Interactions` table.

Steps, in this order (each one's dropped rows are counted in the notes and
logged at INFO on ``recdistill.data``; no row is lost silently):

1. ``min_rating``: keep rows with ``rating >= min_rating`` (a missing rating fails);
2. ``dedupe``: drop exact duplicate events (same user, item and time), keeping the
   first in file order;
3. ``repeats``: for a user-item pair seen more than once keep the ``first`` (earliest
   by time, file order breaking ties), the ``last``, or ``keep`` them all;
4. k-core: repeatedly drop users with fewer than ``min_user_interactions`` rows and
   items with fewer than ``min_item_interactions`` until both hold.

Then :func:`index_interactions` numbers users and items in order of first
appearance (file order) and builds the table sorted by ``(user, time)``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from recdistill.data.config import CleanConfig
from recdistill.data.types import ITEM, RATING, TIME, USER, IdMap, Interactions
from recdistill.errors import ConfigError

log = logging.getLogger("recdistill.data")


def note(notes: list[str], message: str) -> None:
    """Record a cleaning note in ``notes`` and log it at INFO."""
    notes.append(message)
    log.info(message)


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0%"


def clean_interactions(
    frame: pd.DataFrame, cfg: CleanConfig, min_rating: float | None, notes: list[str]
) -> pd.DataFrame:
    """Apply the cleaning steps to a raw interaction frame; rows stay in file order.

    ``frame`` has columns ``user, item, time[, rating]``. Returns the kept rows
    (same columns, index reset).
    """
    if min_rating is not None and RATING not in frame.columns:
        raise ConfigError(
            "data.interactions.min_rating needs a rating column (set data.interactions.rating)"
        )
    n0 = len(frame)
    u = pd.factorize(frame[USER])[0].astype(np.int64)
    i = pd.factorize(frame[ITEM])[0].astype(np.int64)
    t = frame[TIME].to_numpy(dtype=np.int64)
    keep = np.ones(n0, dtype=bool)
    if min_rating is not None:
        rating = frame[RATING].to_numpy(dtype=np.float64)
        keep = rating >= min_rating
        dropped = int((~keep).sum())
        unrated = int(np.isnan(rating).sum())
        extra = f", {unrated:,} of them without a rating" if unrated else ""
        note(
            notes,
            f"min_rating {min_rating:g}: dropped {dropped:,} of {n0:,} rows "
            f"({_pct(dropped, n0)}) with rating < {min_rating:g}{extra}",
        )
    pair = u * (int(i.max(initial=0)) + 1) + i  # one int64 key per user-item pair
    if cfg.dedupe:
        rows = np.flatnonzero(keep)
        dup = _duplicated(pair[rows], t[rows])
        if dup.any():
            note(
                notes,
                f"dedupe: dropped {int(dup.sum()):,} exact duplicate events "
                "(same user, item and time; kept the first)",
            )
            keep[rows[dup]] = False
    if cfg.repeats != "keep":
        rows = np.flatnonzero(keep)
        rows = rows[np.argsort(t[rows], kind="stable")]  # time order, file order on ties
        rep = pd.Series(pair[rows]).duplicated(keep=cfg.repeats).to_numpy()
        if rep.any():
            which = "earliest" if cfg.repeats == "first" else "latest"
            note(
                notes,
                f"repeats={cfg.repeats}: dropped {int(rep.sum()):,} repeated user-item "
                f"interactions (kept the {which} of each pair)",
            )
            keep[rows[rep]] = False
    if cfg.min_user_interactions > 1 or cfg.min_item_interactions > 1:
        keep = _k_core(u, i, keep, cfg.min_user_interactions, cfg.min_item_interactions, notes)
    out = frame if keep.all() else frame[keep]
    return out.reset_index(drop=True)


def _duplicated(pair: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Rows whose ``(pair, t)`` occurred before (one int64 key when it fits, else a frame)."""
    if len(pair) == 0:
        return np.zeros(0, dtype=bool)
    codes = pd.factorize(pair)[0].astype(np.int64)
    t0 = int(t.min())
    span = int(t.max()) - t0 + 1
    if span * (int(codes.max()) + 1) < 2**62:
        return pd.Series(codes * span + (t - t0)).duplicated(keep="first").to_numpy()
    return pd.DataFrame({"p": pair, "t": t}).duplicated(keep="first").to_numpy()


def _k_core(
    u: np.ndarray,
    i: np.ndarray,
    keep: np.ndarray,
    min_user: int,
    min_item: int,
    notes: list[str],
) -> np.ndarray:
    """Iterate until every kept user and item has enough kept rows; returns the new mask."""
    keep = keep.copy()
    before = int(keep.sum())
    users0, items0 = len(np.unique(u[keep])), len(np.unique(i[keep]))
    rounds = 0
    while True:
        uc = np.bincount(u[keep], minlength=len(u) and int(u.max()) + 1)
        ic = np.bincount(i[keep], minlength=len(i) and int(i.max()) + 1)
        bad = keep & ((uc[u] < min_user) | (ic[i] < min_item))
        if not bad.any():
            break
        keep &= ~bad
        rounds += 1
    dropped = before - int(keep.sum())
    users = users0 - len(np.unique(u[keep]))
    items = items0 - len(np.unique(i[keep]))
    note(
        notes,
        f"k-core (users >= {min_user}, items >= {min_item}): dropped {dropped:,} rows "
        f"({_pct(dropped, before)}), {users:,} users and {items:,} items "
        f"in {rounds} round{'s' if rounds != 1 else ''}",
    )
    return keep


def index_interactions(
    frame: pd.DataFrame, extra_items: Sequence[str] = ()
) -> tuple[IdMap, IdMap, Interactions]:
    """Id maps (order of first appearance) and the :class:`Interactions` table.

    ``extra_items`` (e.g. catalogue items without interactions) are appended to
    the item universe after the items that occur in ``frame``.
    """
    u_codes, u_ids = pd.factorize(frame[USER])
    i_codes, i_ids = pd.factorize(frame[ITEM])
    items = _strings(i_ids)
    seen = set(items)
    for v in map(str, extra_items):
        if v not in seen:
            seen.add(v)
            items.append(v)
    users = IdMap(_strings(u_ids))
    item_map = IdMap(items)
    table = Interactions.build(
        u_codes.astype(np.int64),
        i_codes.astype(np.int64),
        frame[TIME].to_numpy(dtype=np.int64),
        len(users),
        len(item_map),
    )
    return users, item_map, table


def _strings(uniques: object) -> list[str]:
    """Factorize uniques as a list of str (fast for Arrow-backed arrays)."""
    values = np.asarray(uniques, dtype=object).tolist()
    return [v if isinstance(v, str) else str(v) for v in values]

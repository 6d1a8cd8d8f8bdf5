"""Measured statistics of a demo dataset: the numbers docs/demo-dataset.md reports.

Each function takes a :class:`~recdistill.data.demo.DemoData` (events sorted by
``(user, time)``) and measures one property of the generated log, using the
catalogue's ground truth (which item is a device, which model an accessory
fits) where needed. ``python -m recdistill.data.demo`` prints them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from recdistill.data.demo.behaviour import DAY, Events
from recdistill.data.demo.vocabulary import ACCESSORY, DEVICE, departments

if TYPE_CHECKING:
    from recdistill.data.demo import DemoData


def _bounds(ev: Events, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last row of each user's block."""
    counts = np.bincount(ev.user, minlength=n_users)
    end = np.cumsum(counts)
    return end - counts, end


def _next_pairs(ev: Events) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(i, i + 1)`` of consecutive events of the same user."""
    i = np.flatnonzero(ev.user[:-1] == ev.user[1:])
    return i, i + 1


def top_share(data: DemoData, fraction: float = 0.1) -> float:
    """Share of all events that go to the ``fraction`` most popular items."""
    counts = np.sort(np.bincount(data.events.item, minlength=data.catalogue.n_items))[::-1]
    k = max(1, round(fraction * len(counts)))
    return float(counts[:k].sum() / counts.sum())


def accessory_follow(data: DemoData) -> tuple[float, float]:
    """``P(next is an accessory of this model | device)`` and its base rate.

    The base rate is the chance that an event drawn from the whole log (by
    item frequency) is an accessory of the same model, averaged over the
    same device events.
    """
    ev, cat = data.events, data.catalogue
    is_device, is_acc = cat.of_kind(DEVICE), cat.of_kind(ACCESSORY)
    a, b = _next_pairs(ev)
    dev = is_device[ev.item[a]]
    a, b = a[dev], b[dev]
    model = cat.model[ev.item[a]]
    hit = is_acc[ev.item[b]] & (cat.model[ev.item[b]] == model)
    acc = is_acc[ev.item]
    per_model = np.bincount(cat.model[ev.item[acc]], minlength=len(cat.model_name))
    base = per_model[model] / len(ev.item)
    return float(hit.mean()), float(base.mean())


def repeats(data: DemoData) -> dict[str, float]:
    """How much of the log re-buys an item the user had before, and after how long.

    Returns the share of events that are repeats, the share of repeats that are
    consumables, the share of users with at least one repeat, the share of
    users whose last event is a repeat, and the median days between a
    consumable repeat and the user's previous purchase of that item.
    """
    ev, cat = data.events, data.catalogue
    order = np.lexsort((ev.time, ev.item, ev.user))  # by (user, item, time)
    u, i, t = ev.user[order], ev.item[order], ev.time[order]
    again = np.zeros(len(u), dtype=bool)
    again[1:] = (u[1:] == u[:-1]) & (i[1:] == i[:-1])
    gap_days = (t[1:] - t[:-1])[again[1:]] / DAY
    consumable = cat.interval[i] > 0
    is_repeat = np.empty_like(again)
    is_repeat[order] = again
    _, end = _bounds(ev, data.n_users)
    return {
        "repeat_event_share": float(again.mean()),
        "repeats_that_are_consumables": float(consumable[again].mean()) if again.any() else 0.0,
        "users_with_a_repeat": float(np.unique(u[again]).size / data.n_users),
        "users_whose_last_event_repeats": float(is_repeat[end - 1].mean()),
        "median_repeat_gap_days": float(np.median(gap_days)) if gap_days.size else 0.0,
    }


def _dept_hist(depts: np.ndarray, n_depts: int) -> np.ndarray:
    return np.bincount(depts, minlength=n_depts) / max(1, len(depts))


def drift(
    data: DemoData, min_events: int = 30, window: int = 10, gap: int = 0
) -> dict[str, float]:
    """How well earlier departments match the last ``window`` events' departments.

    For users with at least ``min_events`` events, compares the department
    histogram of their last ``window`` events with that of a "recent" window
    (the ``window`` events ending ``gap`` events before the last window) and of
    their first ``window`` events, by histogram overlap (``sum(min(p, q))``,
    1 = identical). With ``gap = 0`` the recent window touches the last one,
    so session effects count too; a gap of a few sessions leaves only the
    slow drift of interests.
    """
    ev, cat = data.events, data.catalogue
    depts = departments(cat.leaves)
    n = len(depts)
    dept_of_leaf = np.array([depts.index(leaf.dept) for leaf in cat.leaves])
    dept = dept_of_leaf[cat.leaf[ev.item]]
    start, end = _bounds(ev, data.n_users)
    recent, first = [], []
    for s, e in zip(start.tolist(), end.tolist(), strict=True):
        if e - s < max(min_events, 3 * window + gap):
            continue
        last = _dept_hist(dept[e - window: e], n)
        r_end = e - window - gap
        recent.append(np.minimum(last, _dept_hist(dept[r_end - window: r_end], n)).sum())
        first.append(np.minimum(last, _dept_hist(dept[s: s + window], n)).sum())
    return {
        "drift_users": float(len(recent)),
        "overlap_last_recent": float(np.mean(recent)) if recent else 0.0,
        "overlap_last_first": float(np.mean(first)) if first else 0.0,
    }


def transition_vs_popularity(data: DemoData, k: int = 10) -> tuple[float, float]:
    """Hit rate @k on each user's last event: item-to-item transitions vs popularity.

    Both are fit on all but the last event of every user. The transition
    predictor ranks the items that followed the user's second-to-last item
    (by count), then fills up with the most popular items; popularity ranks
    items by count. Nothing is masked.
    """
    ev, n_items = data.events, data.catalogue.n_items
    _, end = _bounds(ev, data.n_users)
    is_last = np.zeros(len(ev.user), dtype=bool)
    is_last[end - 1] = True
    a, b = _next_pairs(ev)
    train = ~is_last[b]
    counts = sparse.csr_matrix(
        (np.ones(int(train.sum())), (ev.item[a[train]], ev.item[b[train]])),
        shape=(n_items, n_items),
    )
    counts.sum_duplicates()
    popularity = np.bincount(ev.item[~is_last], minlength=n_items)
    top_pop = np.argsort(-popularity, kind="stable")[:k]
    target, prev = ev.item[end - 1], ev.item[end - 2]
    hits_pop = np.isin(target, top_pop).mean()
    hits = 0
    for p, y in zip(prev.tolist(), target.tolist(), strict=True):
        row = counts.indices[counts.indptr[p]: counts.indptr[p + 1]]
        val = counts.data[counts.indptr[p]: counts.indptr[p + 1]]
        # Ties in count are broken by popularity.
        ranked = row[np.lexsort((-popularity[row], -val))][:k]
        if y in ranked:
            hits += 1
        elif len(ranked) < k:
            fill = [i for i in top_pop if i not in ranked][: k - len(ranked)]
            hits += int(y in fill)
    return hits / len(target), float(hits_pop)


def summary(data: DemoData) -> dict[str, Any]:
    """All statistics of one dataset, as a flat dict of plain numbers."""
    ev = data.events
    per_user = np.bincount(ev.user, minlength=data.n_users)
    counts = np.bincount(ev.item, minlength=data.catalogue.n_items)
    start, end = _bounds(ev, data.n_users)
    same = (ev.user[1:] == ev.user[:-1]) & (ev.time[1:] == ev.time[:-1])
    follow, base = accessory_follow(data)
    trans, pop = transition_vs_popularity(data)
    leaves = data.catalogue.leaves
    return {
        "users": data.n_users,
        "items": data.catalogue.n_items,
        "interactions": len(ev.user),
        "departments": len(departments(leaves)),
        "leaf_categories": len(leaves),
        "devices_and_accessories": int((data.catalogue.model >= 0).sum()),
        "events_per_user_min": int(per_user.min()),
        "events_per_user_median": float(np.median(per_user)),
        "events_per_user_mean": float(per_user.mean()),
        "events_per_user_p99": float(np.percentile(per_user, 99)),
        "events_per_user_max": int(per_user.max()),
        "items_never_seen": int((counts == 0).sum()),
        "items_under_5_events": int((counts < 5).sum()),
        "distinct_user_item_pairs": int(np.unique(ev.user * data.catalogue.n_items + ev.item).size),
        "top10pct_items_share": top_share(data),
        "first_time": int(ev.time.min()),
        "last_time": int(ev.time.max()),
        "median_user_span_days": float(np.median(ev.time[end - 1] - ev.time[start]) / DAY),
        "same_second_ties": float(same.mean()),
        "p_next_accessory_of_device": follow,
        "p_next_accessory_base_rate": base,
        **repeats(data),
        **{f"{k}_adjacent": v for k, v in drift(data).items()},
        **{f"{k}_gap20": v for k, v in drift(data, min_events=50, gap=20).items()},
        "hr10_transition": trans,
        "hr10_popularity": pop,
    }

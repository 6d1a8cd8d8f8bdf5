"""Simulate users shopping the demo catalogue: who buys what, and when.

Each user is simulated event by event (one Python loop over users; the random
numbers come in large pre-drawn batches, so the loop is cheap). The story:

- **Activity** is heavy-tailed: ``5 + floor(LogNormal)`` events per user, and
  at least 5 distinct items each (so 5+ events survive dropping repeats).
- **Interests drift.** A user has two department mixtures (Dirichlet draws),
  one for the start and one for the end of their history; the event at
  progress ``p`` (0 to 1 through the history) draws from ``(1 - p) * start + p * end``.
  Within a session the department usually stays the same, and some leaves
  pull in their complements (a pour-over dripper, then filters or beans).
- **Popularity** within a leaf is Zipf-like (see the catalogue).
- **Accessories follow their device.** Buying a device is usually followed by
  1-3 accessories made for that exact model, the first often in the same
  basket (seconds later). Owners keep coming back for accessories of the
  device they own rather than buying a second device; users without the
  device mostly buy the device first.
- **No silly duplicates.** A user does not buy the same non-consumable item
  twice, nor two products of the same type ("Road Bike Helmet") in a regular
  leaf, nor two different products of one consumable leaf in a row.
- **Consumables are re-bought.** After a first purchase of a consumable (coffee
  beans, ink for the owned printer...), many users re-buy it after about the
  leaf's interval (+-25%), for a geometric number of rounds, now and then
  switching to another product of the same leaf.
- **Time** runs over two years from 2023-01-01 (Unix seconds): events in a
  session are minutes apart, sessions are days to weeks apart, and a user's
  history is squeezed back into the window if it runs past the end.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from recdistill.data.demo.catalogue import Catalogue
from recdistill.data.demo.vocabulary import ACCESSORY, CONSUMABLE, DEVICE, REGULAR, departments

WINDOW_START = 1_672_531_200  # 2023-01-01 00:00:00 UTC
WINDOW_DAYS = 730
DAY = 86_400
WINDOW_END = WINDOW_START + WINDOW_DAYS * DAY

MIN_EVENTS = 5
ACTIVITY_MEDIAN = 13.0  # median number of events beyond the minimum
ACTIVITY_SIGMA = 1.0  # log-normal spread of activity
MAX_EVENTS = 500
DEPT_CONCENTRATION = 0.35  # Dirichlet concentration per department (lower: fewer interests)
DRIFT = 1.0  # how far interests move from the start mixture to the end one (0: no drift)

P_SAME_SESSION = 0.5  # the next event is in the same session
P_STAY_SESSION = 0.75  # ...and then in the same department
P_STAY_NEW = 0.3  # a new session starts in the previous department
P_COMPLEMENT = 0.35  # the next event is in a complement leaf of the last one
P_FOLLOW = 0.9  # a device purchase brings accessories for it
P_BASKET = 0.75  # ...the first of them in the same basket
P_BUY_DEVICE = 0.7  # in an accessory leaf without the device: buy the device first
P_UPGRADE = 0.1  # in a device leaf while owning one there: buy another device
P_SUBSCRIBE = 0.6  # a consumable bought the first time is re-bought
P_CONTINUE = 0.7  # ...and again after each repeat
P_SWITCH = 0.15  # a repeat takes another product of the same leaf
MAX_REPEATING = 3  # consumables re-bought at once per user

FOLLOW, REPEAT = 0, 1


@dataclass(frozen=True)
class Events:
    """Simulated events sorted by ``(user, time)``: int64 arrays of equal length."""

    user: np.ndarray
    item: np.ndarray
    time: np.ndarray


class _Uniform:
    """Uniform [0, 1) numbers drawn from ``rng`` in large batches (cheap per call)."""

    def __init__(self, rng: np.random.Generator, batch: int = 1 << 18) -> None:
        self.rng = rng
        self.batch = batch
        self.buf: list[float] = []
        self.i = 0

    def __call__(self) -> float:
        if self.i == len(self.buf):
            self.buf = self.rng.random(self.batch).tolist()
            self.i = 0
        x = self.buf[self.i]
        self.i += 1
        return x


class _Picker:
    """Weighted choice among items by bisection on cumulative weights."""

    def __init__(self, items: np.ndarray, weights: np.ndarray) -> None:
        self.items: list[int] = items.tolist()
        self.cum: list[float] = np.cumsum(weights).tolist()

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, u: float) -> int:
        j = bisect_right(self.cum, u * self.cum[-1])
        return self.items[min(j, len(self.items) - 1)]


def _expo(u: float, mean: float) -> float:
    return -mean * math.log(1.0 - u)


def activity(rng: np.random.Generator, n_users: int, median: float = ACTIVITY_MEDIAN) -> np.ndarray:
    """Events per user: ``MIN_EVENTS`` plus a log-normal number (``median`` beyond the
    minimum), capped at ``MAX_EVENTS``."""
    extra = np.floor(rng.lognormal(math.log(median), ACTIVITY_SIGMA, n_users))
    return (MIN_EVENTS + np.minimum(extra, MAX_EVENTS - MIN_EVENTS)).astype(np.int64)


def simulate(
    rng: np.random.Generator,
    cat: Catalogue,
    n_users: int,
    n_events: np.ndarray | None = None,
    user_offset: int = 0,
    shop: Shop | None = None,
) -> Events:
    """Simulate ``n_users`` users over the catalogue; see the module docstring.

    ``n_events``: each user's number of events (default: drawn by :func:`activity`);
    ``user_offset``: the index of the first user (simulating a large log in chunks);
    ``shop``: the catalogue lookups, when a caller simulates several chunks.
    """
    if n_users < 1:
        raise ValueError(f"n_users must be at least 1, got {n_users}")
    shop = shop if shop is not None else Shop(cat)
    n_leaves = len(cat.leaves)

    # Per-user draws, vectorised.
    if n_events is None:
        n_events = activity(rng, n_users)
    leaf_appeal = np.array(
        [leaf.appeal if shop.by_leaf[j] else 0.0 for j, leaf in enumerate(cat.leaves)]
    )
    dept_appeal = np.bincount(shop.dept_of, weights=leaf_appeal, minlength=len(shop.departments))
    alpha = np.maximum(DEPT_CONCENTRATION * dept_appeal / dept_appeal.mean(), 1e-3)
    theta_start = np.cumsum(rng.dirichlet(alpha, size=n_users), axis=1)
    theta_end = np.cumsum(rng.dirichlet(alpha, size=n_users), axis=1)
    affinity = rng.gamma(1.0, size=(n_users, n_leaves)) * leaf_appeal
    start = WINDOW_START + rng.uniform(0.0, 0.7, n_users) * (WINDOW_DAYS * DAY)
    span = (WINDOW_END - start) * rng.uniform(0.3, 1.0, n_users)
    session_gap = span / np.maximum(1.0, n_events * (1.0 - P_SAME_SESSION))
    end = WINDOW_END - rng.uniform(0.0, 14.0, n_users) * DAY

    r = _Uniform(rng)
    out_user: list[np.ndarray] = []
    out_item: list[np.ndarray] = []
    out_time: list[np.ndarray] = []
    for u in range(n_users):
        user = _User(shop, r, theta_start[u].tolist(), theta_end[u].tolist(), affinity[u])
        items, times = user.run(int(n_events[u]), float(start[u]), float(session_gap[u]))
        arr = np.asarray(times)
        if arr[-1] > end[u]:  # squeeze the history back into the window
            arr = start[u] + (arr - start[u]) * ((end[u] - start[u]) / (arr[-1] - start[u]))
        out_user.append(np.full(len(items), u + user_offset, dtype=np.int64))
        out_item.append(np.asarray(items, dtype=np.int64))
        out_time.append(np.floor(arr).astype(np.int64))
    return Events(np.concatenate(out_user), np.concatenate(out_item), np.concatenate(out_time))


class Shop:
    """Catalogue lookups for the simulation, as plain Python lists (fast to index)."""

    def __init__(self, cat: Catalogue) -> None:
        leaves = cat.leaves
        names = [leaf.name for leaf in leaves]
        self.leaf_of: list[int] = cat.leaf.tolist()
        self.model_of: list[int] = cat.model.tolist()
        self.ptype_of: list[int] = cat.ptype.tolist()
        self.interval_of: list[float] = (cat.interval * DAY).tolist()
        self.kind = [leaf.kind for leaf in leaves]
        self.departments = departments(leaves)  # index = department id
        self.dept_of = [self.departments.index(leaf.dept) for leaf in leaves]
        self.parent = [names.index(leaf.parent) if leaf.parent else -1 for leaf in leaves]
        self.by_leaf = [
            _Picker(np.flatnonzero(cat.leaf == j), cat.weight[cat.leaf == j])
            for j in range(len(leaves))
        ]
        self.complements = [
            [names.index(c) for c in leaf.complements if self.by_leaf[names.index(c)]]
            for leaf in leaves
        ]
        self.dept_leaves = [
            np.flatnonzero(np.asarray(self.dept_of) == d) for d in range(len(self.departments))
        ]
        # Accessories per device model (all its accessory leaves together).
        self.acc_of: list[list[int]] = [[] for _ in cat.model_name]
        for i in np.flatnonzero(cat.of_kind(ACCESSORY)).tolist():
            self.acc_of[self.model_of[i]].append(i)
        self.acc_pick = [
            _Picker(np.asarray(a, dtype=np.int64), cat.weight[a]) for a in self.acc_of
        ]


class _User:
    """One user's state while their history is simulated."""

    def __init__(
        self, shop: Shop, r: _Uniform, theta_start: list[float], theta_end: list[float],
        affinity: np.ndarray,
    ) -> None:
        self.shop = shop
        self.r = r
        self.theta_start = theta_start
        self.theta_end = theta_end
        self.affinity = affinity
        self.leaf_pickers: dict[int, _Picker] = {}
        self.owned: set[int] = set()  # items bought
        self.owned_types: set[int] = set()  # product types of regular items bought
        self.owned_model: dict[int, int] = {}  # device leaf -> model owned
        self.pending: list[tuple[float, int, int, int]] = []  # (time, order, item, kind)
        self.repeating = 0
        self.dept = -1
        self.last_leaf = -1
        self.fallbacks = 0  # organic picks that found nothing new (counted for tests)

    def run(self, n: int, t: float, gap_mean: float) -> tuple[list[int], list[float]]:
        """Simulate ``n`` events from time ``t`` (more if needed for 5 distinct items).

        Returns the items and their (float) times.
        """
        shop, r = self.shop, self.r
        items: list[int] = []
        times: list[float] = []
        while len(items) < n or len(self.owned) < MIN_EVENTS:  # 5+ distinct items too
            in_session = r() < P_SAME_SESSION
            gap = 30.0 + _expo(r(), 600.0) if in_session else 3600.0 + _expo(r(), gap_mean)
            if self.pending and self.pending[0][0] <= t + gap:
                t, _, item, what = heapq.heappop(self.pending)
                if what == REPEAT:
                    if shop.kind[shop.leaf_of[item]] != ACCESSORY and r() < P_SWITCH:
                        item = shop.by_leaf[shop.leaf_of[item]].pick(r())
                    if r() < P_CONTINUE:
                        self._repeat(item, t, len(times))
                    else:
                        self.repeating -= 1
                else:
                    self._maybe_subscribe(item, t, len(times))
            else:
                t += gap
                item = self._organic(in_session, min(1.0, len(items) / n))
                self._maybe_subscribe(item, t, len(times))
                if shop.kind[shop.leaf_of[item]] == DEVICE:
                    self._bought_device(item, t, len(times))
            items.append(item)
            times.append(t)
            self.owned.add(item)
            self.last_leaf = shop.leaf_of[item]
            if shop.kind[self.last_leaf] == REGULAR:
                self.owned_types.add(shop.ptype_of[item])
        return items, times

    def _organic(self, in_session: bool, progress: float) -> int:
        """An event the user starts: pick a leaf from their interests, then an item."""
        for attempt in range(8):
            if attempt >= 2:  # the current department has nothing left: draw a new one
                self.dept = -1
            item = self._item(self._leaf(in_session, progress))
            if item >= 0:
                return item
        self.fallbacks += 1
        return self.shop.by_leaf[self._plain_leaf()].pick(self.r())

    def _plain_leaf(self) -> int:
        """A regular or consumable leaf, by the user's interests (a last resort)."""
        plain = (REGULAR, CONSUMABLE)
        for _ in range(64):
            self.dept = -1
            leaf = self._leaf(False, 0.0)
            if self.shop.kind[leaf] in plain:
                return leaf
        return next(j for j, k in enumerate(self.shop.kind) if k in plain and self.shop.by_leaf[j])

    def _leaf(self, in_session: bool, progress: float) -> int:
        """A complement of the last leaf, or a leaf of the current (drifting) department."""
        shop, r = self.shop, self.r
        comp = shop.complements[self.last_leaf] if self.last_leaf >= 0 else []
        if comp and r() < P_COMPLEMENT:
            leaf = comp[int(r() * len(comp))]
            self.dept = shop.dept_of[leaf]
            return leaf
        if self.dept < 0 or r() >= (P_STAY_SESSION if in_session else P_STAY_NEW):
            cum = self.theta_end if r() < progress * DRIFT else self.theta_start
            self.dept = min(bisect_right(cum, r() * cum[-1]), len(cum) - 1)
        picker = self.leaf_pickers.get(self.dept)
        if picker is None:
            ids = shop.dept_leaves[self.dept]
            picker = _Picker(ids, self.affinity[ids])
            self.leaf_pickers[self.dept] = picker
        return picker.pick(r())

    def _item(self, leaf: int) -> int:
        """An item of ``leaf`` this user would buy now, or -1 if none fits."""
        shop, r, owned = self.shop, self.r, self.owned
        kind = shop.kind[leaf]
        if kind == DEVICE:
            m = self.owned_model.get(leaf, -1)
            if m >= 0 and r() >= P_UPGRADE:  # an owner shops for their device
                fresh = [i for i in shop.acc_of[m] if i not in owned]
                return fresh[int(r() * len(fresh))] if fresh else -1
            item = _pick_new(shop.by_leaf[leaf], owned, r)
            return -1 if item in owned else item
        if kind == ACCESSORY:
            m = self.owned_model.get(shop.parent[leaf], -1)
            if m >= 0:
                mine = [i for i in shop.acc_of[m] if shop.leaf_of[i] == leaf]
                fresh = [i for i in mine if i not in owned]
                if fresh:
                    return fresh[int(r() * len(fresh))]
                if mine and shop.interval_of[mine[0]] > 0:  # consumable: buy it again
                    return mine[int(r() * len(mine))]
                return -1
            if r() < P_BUY_DEVICE:
                return self._item(shop.parent[leaf])
            item = _pick_new(shop.by_leaf[leaf], owned, r)  # for a device from elsewhere
            return -1 if item in owned else item
        if kind == CONSUMABLE:
            return -1 if leaf == self.last_leaf else _pick_new(shop.by_leaf[leaf], owned, r)
        for _ in range(4):  # regular: a new item of a type the user does not have yet
            item = shop.by_leaf[leaf].pick(r())
            if item not in owned and shop.ptype_of[item] not in self.owned_types:
                return item
        return -1

    def _maybe_subscribe(self, item: int, t: float, order: int) -> None:
        """After a first purchase of a consumable, maybe plan to buy it again."""
        if (self.shop.interval_of[item] > 0 and item not in self.owned
                and self.repeating < MAX_REPEATING and self.r() < P_SUBSCRIBE):
            self.repeating += 1
            self._repeat(item, t, order)

    def _repeat(self, item: int, t: float, order: int) -> None:
        """Plan to buy ``item`` again about one interval (+-25%) after ``t``."""
        due = t + self.shop.interval_of[item] * (0.75 + 0.5 * self.r())
        heapq.heappush(self.pending, (due, order, item, REPEAT))

    def _bought_device(self, item: int, t: float, order: int) -> None:
        """Remember the model, and queue 1-3 accessories made for it."""
        shop, r = self.shop, self.r
        m = shop.model_of[item]
        self.owned_model[shop.leaf_of[item]] = m
        if not shop.acc_pick[m] or r() >= P_FOLLOW:
            return
        want = 1 + (r() < 0.55) + (r() < 0.3)
        types: set[int] = set()
        due = t
        for j in range(4 * want):
            if len(types) == want:
                break
            acc = shop.acc_pick[m].pick(r())
            if shop.ptype_of[acc] in types or acc in self.owned:
                continue
            types.add(shop.ptype_of[acc])
            basket = r() < (P_BASKET if len(types) == 1 else 0.5)
            due += 10.0 + 20.0 * r() if basket else 3600.0 + _expo(r(), 3 * DAY)
            heapq.heappush(self.pending, (due, order + j, acc, FOLLOW))


def _pick_new(picker: _Picker, owned: set[int], r: _Uniform, tries: int = 4) -> int:
    """A weighted pick, retried a few times to avoid items the user already has."""
    item = picker.pick(r())
    for _ in range(tries - 1):
        if item not in owned:
            break
        item = picker.pick(r())
    return item

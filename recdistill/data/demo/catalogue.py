"""Build the demo catalogue: device models with their accessories, then everything else.

The catalogue is drawn from :data:`~recdistill.data.demo.vocabulary.LEAVES`:

1. Each device leaf gets a number of invented models ("Aurora X5"), scaled with
   the catalogue size. Each model has 1-4 variants (storage, colour...) and
   model popularity is Zipf-like.
2. Each accessory leaf gets, per model of its parent device leaf, some of its
   accessory types ("Silicone Case for Aurora X5, Black"), each in 1-3 variants.
   An accessory is as popular as the model it fits.
3. The remaining item budget is shared among regular and consumable leaves by
   their ``share`` (capped by how many distinct titles each leaf can form), and
   each leaf samples that many distinct titles. Popularity within a leaf is
   Zipf-like over a random rank order.

Titles are unique across the catalogue; all randomness comes from the
generator passed in.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from string import Formatter

import numpy as np

from recdistill.data.demo.vocabulary import ACCESSORY, DEVICE, LEAVES, Leaf

FULL_ITEMS = 3200  # the catalogue size at which device leaves have ``share`` models
ZIPF_MODELS = 1.0  # popularity exponent over the models of a device leaf
ZIPF_ITEMS = 1.1  # popularity exponent over the items of a regular/consumable leaf
P_ACCESSORY_TYPE = 0.7  # chance that a model has a given accessory type
MIN_ITEMS = 300


@dataclass
class Catalogue:
    """The generated catalogue, in item-index order (``n`` items).

    Attributes:
        leaves: the leaf categories (index = leaf id).
        title, description: per item.
        leaf: int64 leaf id per item.
        model: int64 device model id per item, for devices and for accessories
            (the model the accessory fits); -1 otherwise.
        ptype: int64 product type id per item: one id per leaf and title
            format ("Silicone Case for {model}, {colour}"); variants share it.
        weight: float64 popularity of the item within its leaf (sums to 1 per
            non-empty leaf).
        interval: float64 days between repeat purchases; 0 if not a consumable.
        model_name: per model id, its name ("Aurora X5").
        model_leaf: int64 device leaf id per model.
        attrs: per item, the values its title was formatted with (placeholder name ->
            value, e.g. ``{"model": "Aurora X5", "storage": "128GB", "colour": "Silver"}``);
            devices and accessories also carry ``brand``, the brand of the model.
        form: int64 per item: the index of its title format in its leaf's ``fmts``
            (which product type of the leaf it is: a case, a screen protector...).
    """

    leaves: tuple[Leaf, ...]
    title: list[str]
    description: list[str]
    leaf: np.ndarray
    model: np.ndarray
    ptype: np.ndarray
    weight: np.ndarray
    interval: np.ndarray
    model_name: list[str]
    model_leaf: np.ndarray
    attrs: list[dict[str, str]]
    form: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.title)

    def category(self, item: int) -> str:
        """The category string of one item."""
        return self.leaves[int(self.leaf[item])].category

    def of_kind(self, kind: str) -> np.ndarray:
        """Boolean mask over items: those whose leaf is of ``kind`` (e.g. ``"device"``)."""
        return np.array([leaf.kind == kind for leaf in self.leaves], dtype=bool)[self.leaf]


def fields(fmt: str) -> list[str]:
    """The placeholder names of a format string, in order."""
    return [name for _, name, _, _ in Formatter().parse(fmt) if name]


def zipf(n: int, exponent: float) -> np.ndarray:
    """Zipf weights ``1 / rank**exponent`` for ranks 1..n (not normalised)."""
    return 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent


class _Builder:
    """Collects items one by one and keeps titles unique."""

    def __init__(self, rng: np.random.Generator, leaves: tuple[Leaf, ...] = LEAVES) -> None:
        self.rng = rng
        self.leaves = leaves
        self.title: list[str] = []
        self.description: list[str] = []
        self.leaf: list[int] = []
        self.model: list[int] = []
        self.ptype: list[int] = []
        self.ptype_ids: dict[tuple[int, str], int] = {}
        self.weight: list[float] = []
        self.attrs: list[dict[str, str]] = []
        self.form: list[int] = []
        self.seen: set[str] = set()

    def add(
        self, leaf_id: int, fmt: str, values: dict[str, str], weight: float, model: int = -1
    ) -> bool:
        """Add one item unless its title is taken; returns whether it was added."""
        title = fmt.format_map(values)
        if title in self.seen:
            return False
        leaf = self.leaves[leaf_id]
        blurb = leaf.blurbs[int(self.rng.integers(len(leaf.blurbs)))]
        self.seen.add(title)
        self.title.append(title)
        self.description.append(blurb.format_map(values))
        self.leaf.append(leaf_id)
        self.model.append(model)
        self.ptype.append(self.ptype_ids.setdefault((leaf_id, fmt), len(self.ptype_ids)))
        self.weight.append(weight)
        self.attrs.append(dict(values))
        self.form.append(leaf.fmts.index(fmt))
        return True


def _combos(leaf: Leaf, fmt: str, skip: tuple[str, ...] = ("model",)) -> list[dict[str, str]]:
    """All value assignments for the placeholders of ``fmt`` (except ``skip``)."""
    names = [f for f in fields(fmt) if f not in skip]
    grids = [leaf.axes[name] for name in names]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grids)]


def _capacity(leaf: Leaf) -> int:
    """How many distinct titles a regular/consumable leaf can form."""
    return sum(math.prod(len(leaf.axes[f]) for f in fields(fmt)) for fmt in leaf.fmts)


def _model_names(
    rng: np.random.Generator, leaf: Leaf, n: int, taken: set[str]
) -> list[tuple[str, str]]:
    """``n`` distinct (brand, model name) pairs for a device leaf, in random order."""
    options = [
        (brand, f"{brand} {series}{number}")
        for brand in leaf.axes["brand"]
        for series in leaf.series
        for number in leaf.numbers
    ]
    out: list[tuple[str, str]] = []
    for i in rng.permutation(len(options)):
        brand, name = options[int(i)]
        if name not in taken:
            taken.add(name)
            out.append((brand, name))
            if len(out) == n:
                break
    return out


def _allocate(total: int, shares: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``shares``, capped by ``capacity``."""
    out = np.zeros(len(shares), dtype=np.int64)
    left = total
    while left > 0:
        open_ = out < capacity
        if not open_.any():
            raise ValueError(f"n_items is too large for the demo vocabulary ({left} items short)")
        ideal = np.where(open_, shares, 0.0)
        ideal = ideal / ideal.sum() * left
        part = np.minimum(np.floor(ideal).astype(np.int64), capacity - out)
        if part.sum() == 0:  # the last few units: one to the largest open share
            part[int(np.argmax(np.where(open_, ideal, -1.0)))] = 1
        out += part
        left -= int(part.sum())
    return out


def build_catalogue(
    rng: np.random.Generator, n_items: int, leaves: tuple[Leaf, ...] = LEAVES
) -> Catalogue:
    """Draw a catalogue of exactly ``n_items`` items with unique titles.

    Devices (with their model names and variants) and their accessories first,
    then the plain leaves share what is left of ``n_items`` by their shares.

    Raises ``ValueError`` when ``n_items`` is below :data:`MIN_ITEMS` or above
    what the vocabulary can form.
    """
    if n_items < MIN_ITEMS:
        raise ValueError(f"n_items must be at least {MIN_ITEMS}, got {n_items}")
    b = _Builder(rng, leaves)
    model_name: list[str] = []
    model_leaf: list[int] = []
    _add_devices(b, rng, n_items / FULL_ITEMS, model_name, model_leaf)
    _add_plain_leaves(b, rng, n_items)
    n = len(b.title)
    if n != n_items:  # accessories alone overflowed the budget
        raise ValueError(f"n_items={n_items} is too small for the demo catalogue")
    leaf_arr = np.asarray(b.leaf, dtype=np.int64)
    weight = np.asarray(b.weight, dtype=np.float64)
    weight /= np.bincount(leaf_arr, weights=weight, minlength=len(leaves))[leaf_arr]
    interval = np.array([leaf.interval for leaf in leaves])[leaf_arr]
    # Shuffle so item order (and so item ids) says nothing about the category.
    order = rng.permutation(n)
    return Catalogue(
        leaves=leaves,
        title=[b.title[i] for i in order],
        description=[b.description[i] for i in order],
        leaf=leaf_arr[order],
        model=np.asarray(b.model, dtype=np.int64)[order],
        ptype=np.asarray(b.ptype, dtype=np.int64)[order],
        weight=weight[order],
        interval=interval[order],
        model_name=model_name,
        model_leaf=np.asarray(model_leaf, dtype=np.int64),
        attrs=[b.attrs[i] for i in order],
        form=np.asarray(b.form, dtype=np.int64)[order],
    )


def _add_devices(
    b: _Builder,
    rng: np.random.Generator,
    scale: float,
    model_name: list[str],
    model_leaf: list[int],
) -> None:
    """Each device leaf's models (a few variants each), then its accessories per model."""
    taken: set[str] = set()
    for dev_id, dev in enumerate(b.leaves):
        if dev.kind != DEVICE:
            continue
        models = _model_names(rng, dev, max(2, round(dev.share * scale)), taken)
        pop = zipf(len(models), ZIPF_MODELS)
        first = len(model_name)
        for m, (brand, name) in enumerate(models):
            model_name.append(name)
            model_leaf.append(dev_id)
            variants = _combos(dev, dev.fmts[0]) if len(dev.fmts) == 1 else [
                {**c, "_fmt": str(k)} for k, f in enumerate(dev.fmts) for c in _combos(dev, f)
            ]
            k = min(len(variants), 1 + int(rng.poisson(1.5)), 4)
            chosen = rng.choice(len(variants), size=k, replace=False)
            vw = zipf(k, 1.0)
            for j, v in enumerate(chosen):
                values = dict(variants[int(v)])
                fmt = dev.fmts[int(values.pop("_fmt", "0"))]
                values.update(model=name, brand=brand)
                b.add(dev_id, fmt, values, float(pop[m] * vw[j] / vw.sum()), model=first + m)
        _add_accessories(b, rng, dev, models, pop, first)


def _add_accessories(
    b: _Builder,
    rng: np.random.Generator,
    dev: Leaf,
    models: list[tuple[str, str]],
    pop: np.ndarray,
    first: int,
) -> None:
    """The accessories of device ``dev``: some types per model, a few variants each."""
    for acc_id, acc in enumerate(b.leaves):
        if acc.kind != ACCESSORY or acc.parent != dev.name:
            continue
        type_w = zipf(len(acc.fmts), 0.5)[rng.permutation(len(acc.fmts))]
        for m, (brand, name) in enumerate(models):
            keep = rng.random(len(acc.fmts)) < P_ACCESSORY_TYPE
            keep[int(rng.integers(len(acc.fmts)))] = True
            for t in np.flatnonzero(keep):
                fmt = acc.fmts[int(t)]
                variants = _combos(acc, fmt)
                k = min(len(variants), 1 + int(rng.poisson(0.6)), 3)
                for v in rng.choice(len(variants), size=k, replace=False):
                    values = {**variants[int(v)], "model": name, "brand": brand}
                    w = float(pop[m] * type_w[t] / k)
                    b.add(acc_id, fmt, values, w, model=first + m)


def _add_plain_leaves(b: _Builder, rng: np.random.Generator, n_items: int) -> None:
    """The other leaves share the items left, by their shares and within their capacity."""
    leaves = b.leaves
    plain = [i for i, leaf in enumerate(leaves) if leaf.kind not in (DEVICE, ACCESSORY)]
    left = n_items - len(b.title)
    if left < len(plain):
        raise ValueError(f"n_items={n_items} is too small for the demo catalogue")
    shares = np.array([leaves[i].share for i in plain])
    capacity = np.array([_capacity(leaves[i]) for i in plain], dtype=np.int64)
    targets = _allocate(left, shares, capacity)
    for leaf_id, target in zip(plain, targets, strict=True):
        leaf = leaves[leaf_id]
        pool = [(fmt, c) for fmt in leaf.fmts for c in _combos(leaf, fmt)]
        pop = zipf(int(target), ZIPF_ITEMS)
        added = 0
        for p in rng.permutation(len(pool)):
            if added == target:
                break
            fmt, values = pool[int(p)]
            if b.add(leaf_id, fmt, values, float(pop[added])):
                added += 1
        if added < target:  # only if another leaf already took some of these titles
            raise ValueError(f"demo vocabulary: leaf {leaf.category!r} ran out of titles")

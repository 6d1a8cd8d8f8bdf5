"""The data types that flow from sources to models.

Sources produce *raw* frames keyed by the original ids (strings). Cleaning and
indexing turn them into a :class:`Dataset`: integer indices for users and items,
:class:`IdMap` both ways, and an :class:`Interactions` table sorted by
``(user, time, file order)``.

Time handling: ``time`` is an int64 sort key. Real times are Unix seconds;
an order column is used as given. Ties keep the order of the source file
(a stable sort on the file position), as in the SASRec preprocessing of
MovieLens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

# Column names of the raw interaction frame produced by every source.
USER, ITEM, TIME, RATING = "user", "item", "time", "rating"
# Column names of the raw item frame produced by every source.
ITEM_ID, TEXT, TITLE, CATEGORY, IMAGE = "item", "text", "title", "category", "image"


@dataclass
class RawInteractions:
    """Interactions as read from a source, original ids as strings.

    ``frame`` has columns ``user`` (str), ``item`` (str), ``time`` (int64) and
    optionally ``rating`` (float64). Row order is the file order.
    """

    frame: pd.DataFrame
    source: str


@dataclass
class RawItems:
    """An item catalogue as read from a source.

    ``frame`` has columns ``item`` (str), ``text`` (str, the text a language
    model reads), ``title`` (str) and ``category`` (str, may be empty), and
    ``image`` (str, an absolute image file path or ``''``) when the catalogue
    names an image column.
    """

    frame: pd.DataFrame
    source: str


class IdMap:
    """A two-way map between original ids (strings) and contiguous indices."""

    def __init__(self, ids: Sequence[str]) -> None:
        self._ids = np.asarray(list(ids), dtype=object)
        self._index = {str(v): i for i, v in enumerate(self._ids)}
        if len(self._index) != len(self._ids):
            raise ValueError("IdMap ids must be unique")

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, original: object) -> bool:
        return str(original) in self._index

    @property
    def ids(self) -> np.ndarray:
        """Original ids, ``ids[index] -> original`` (object array of str)."""
        return self._ids

    def index(self, original: str) -> int:
        """Index of one original id; ``KeyError`` when unknown."""
        return self._index[str(original)]

    def get(self, original: str, default: int = -1) -> int:
        return self._index.get(str(original), default)

    def indices(self, originals: Iterable[str]) -> np.ndarray:
        """Indices for many original ids (-1 for unknown ones), int64."""
        return np.fromiter((self._index.get(str(o), -1) for o in originals), dtype=np.int64)

    def originals(self, indices: Iterable[int] | np.ndarray) -> list[str]:
        return [str(self._ids[int(i)]) for i in indices]

    def to_list(self) -> list[str]:
        return [str(v) for v in self._ids]


@dataclass(frozen=True)
class Interactions:
    """An interaction table in index space.

    Arrays all have length N. Rows are sorted by ``(user, time, position)``
    where position is the source file order, so each user's rows form one
    contiguous block in time order.

    Attributes:
        user: int32 user index per row.
        item: int32 item index per row.
        time: int64 time key per row.
        n_users: size of the user universe (not only users present here).
        n_items: size of the item universe.
    """

    user: np.ndarray
    item: np.ndarray
    time: np.ndarray
    n_users: int
    n_items: int

    def __len__(self) -> int:
        return int(self.user.shape[0])

    @staticmethod
    def build(
        user: np.ndarray, item: np.ndarray, time: np.ndarray, n_users: int, n_items: int
    ) -> Interactions:
        """Build a table, sorting stably by ``(user, time)`` (input order breaks ties)."""
        order = np.lexsort((np.arange(len(user)), time, user))
        return Interactions(
            user=np.ascontiguousarray(user[order], dtype=np.int32),
            item=np.ascontiguousarray(item[order], dtype=np.int32),
            time=np.ascontiguousarray(time[order], dtype=np.int64),
            n_users=n_users,
            n_items=n_items,
        )

    def select(self, mask: np.ndarray) -> Interactions:
        """Rows where ``mask`` is true (order preserved)."""
        return Interactions(
            self.user[mask], self.item[mask], self.time[mask], self.n_users, self.n_items
        )

    def concat(self, other: Interactions) -> Interactions:
        """Union of two tables over the same universe, re-sorted by (user, time)."""
        return Interactions.build(
            np.concatenate([self.user, other.user]),
            np.concatenate([self.item, other.item]),
            np.concatenate([self.time, other.time]),
            self.n_users,
            self.n_items,
        )

    def indptr(self) -> np.ndarray:
        """CSR row pointer over users: rows of user u are ``indptr[u]:indptr[u+1]``."""
        counts = np.bincount(self.user, minlength=self.n_users)
        out = np.zeros(self.n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=out[1:])
        return out

    def csr(self) -> sparse.csr_matrix:
        """Binary user x item matrix (float32; repeated pairs count once)."""
        m = sparse.csr_matrix(
            (np.ones(len(self), dtype=np.float32), (self.user, self.item)),
            shape=(self.n_users, self.n_items),
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    def users_present(self) -> np.ndarray:
        """Sorted unique user indices that have at least one row."""
        return np.unique(self.user)

    def item_counts(self) -> np.ndarray:
        """Number of rows per item index (int64, length n_items)."""
        return np.bincount(self.item, minlength=self.n_items).astype(np.int64)


@dataclass
class Dataset:
    """A cleaned, indexed dataset: the input to splitting and training.

    Attributes:
        name: a short name for reports.
        users, items: id maps (original string ids <-> indices).
        interactions: all cleaned interactions.
        item_text: per item index, the text a language model reads ('' if none).
        item_title: per item index, a display title (the id if none).
        item_category: per item index, a category string ('' if none).
        item_image: per item index, an image file path ('' if none); empty when
            the catalogue has no image column.
        log: human-readable notes on what cleaning did (counts of dropped rows).
    """

    name: str
    users: IdMap
    items: IdMap
    interactions: Interactions
    item_text: list[str]
    item_title: list[str]
    item_category: list[str]
    item_image: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

"""What models see of the data: a training table and batches of histories.

:class:`TrainData` is what a model learns from (the training interactions plus
item side information); :class:`Histories` is a batch of ``B`` users and their
histories in CSR layout, what every model scores, whether the rows come from
the evaluator, the distiller or a request to the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np
from scipy import sparse

from recdistill.data.types import Interactions


@dataclass(frozen=True)
class Histories:
    """A batch of ``B`` users and their histories, in CSR layout.

    Attributes:
        users: int64 ``[B]``; the user's index at fit time, or -1 if unknown.
        indptr: int64 ``[B + 1]``; row ``b`` is ``items[indptr[b]:indptr[b+1]]``.
        items: int32 ``[nnz]``; item indices, oldest first within a row.

    Example:
        >>> h = Histories.from_lists([[3, 1], []], users=[0, -1])
        >>> h.row(0).tolist(), len(h)
        ([3, 1], 2)
    """

    users: np.ndarray
    indptr: np.ndarray
    items: np.ndarray

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def row(self, b: int) -> np.ndarray:
        return self.items[self.indptr[b] : self.indptr[b + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def csr(self, n_items: int) -> sparse.csr_matrix:
        """Binary ``B x n_items`` matrix of the histories (repeats count once)."""
        data = np.ones(self.items.shape[0], dtype=np.float32)
        m = sparse.csr_matrix(
            (data, self.items.copy(), self.indptr.copy()), shape=(len(self), n_items)
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        return m

    @staticmethod
    def from_lists(
        lists: Sequence[Sequence[int]], users: Sequence[int] | np.ndarray | None = None
    ) -> Histories:
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        items = (
            np.concatenate([np.asarray(x, dtype=np.int32) for x in lists])
            if len(lists) and indptr[-1] > 0
            else np.zeros(0, dtype=np.int32)
        )
        u = np.full(len(lists), -1, dtype=np.int64) if users is None else np.asarray(users)
        return Histories(u.astype(np.int64), indptr, items.astype(np.int32))

    @staticmethod
    def of_users(
        table: Interactions, users: np.ndarray, indptr: np.ndarray | None = None
    ) -> Histories:
        """Histories of ``users`` taken from a table sorted by (user, time)."""
        ptr = table.indptr() if indptr is None else indptr
        users = np.asarray(users, dtype=np.int64)
        starts, ends = ptr[users], ptr[users + 1]
        lengths = ends - starts
        out_ptr = np.zeros(len(users) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_ptr[1:])
        if out_ptr[-1] == 0:
            return Histories(users, out_ptr, np.zeros(0, dtype=np.int32))
        # Gather the rows' slices without a Python loop.
        offsets = np.repeat(starts - out_ptr[:-1], lengths)
        idx = np.arange(out_ptr[-1], dtype=np.int64) + offsets
        return Histories(users, out_ptr, table.item[idx].astype(np.int32))


@dataclass
class TrainData:
    """What a model learns from: a training table plus item side information.

    Attributes:
        interactions: the training interactions (sorted by user, time).
        item_text: per item, the text a language model or TF-IDF reads.
        item_category: per item, a category string ('' when unknown).
        item_image: per item, an image file path ('' when none; empty list: no images).
    """

    interactions: Interactions
    item_text: list[str] = field(default_factory=list)
    item_category: list[str] = field(default_factory=list)
    item_image: list[str] = field(default_factory=list)

    @property
    def n_users(self) -> int:
        return self.interactions.n_users

    @property
    def n_items(self) -> int:
        return self.interactions.n_items

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        """Binary user x item training matrix (float32 CSR)."""
        return self.interactions.csr()

    @cached_property
    def indptr(self) -> np.ndarray:
        return self.interactions.indptr()

    def histories(self, users: np.ndarray) -> Histories:
        return Histories.of_users(self.interactions, users, self.indptr)


class Scorer(Protocol):
    """Anything that scores a :class:`Histories` batch over ``n_items`` items.

    Every model is one; so is the view of a network while it trains, which the
    loop validates after each epoch. The evaluator needs nothing more.
    """

    n_items: int

    def score(self, batch: Histories) -> np.ndarray:
        """``B x n_items`` float32 scores."""
        ...

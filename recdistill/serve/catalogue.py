"""The item catalogue as served: ids, titles, categories, category filters, search."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from recdistill.data.types import IdMap


@dataclass
class Catalogue:
    """Items of one run folder, by index.

    Attributes:
        items: original item ids <-> indices.
        titles: display title per item index.
        categories: category path per item index (``'A > B'``; '' when unknown).
    """

    items: IdMap
    titles: list[str]
    categories: list[str]
    _lower_titles: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._lower_titles = [t.lower() for t in self.titles]
        self._ids = self.items.to_list()
        self.allowed = lru_cache(maxsize=256)(self._allowed)
        self.outside = lru_cache(maxsize=256)(self._outside)

    @staticmethod
    def from_dataset(doc: dict[str, Any]) -> Catalogue:
        ids = [str(i) for i in doc["items"]]
        titles = [str(t) for t in doc.get("titles") or ids]
        cats = [str(c or "") for c in doc.get("categories") or [""] * len(ids)]
        return Catalogue(IdMap(ids), titles, cats)

    def __len__(self) -> int:
        return len(self.items)

    def id(self, index: int) -> str:
        return self._ids[index]

    def describe(self, index: int) -> dict[str, Any]:
        return {
            "item_id": self._ids[index],
            "title": self.titles[index],
            "category": self.categories[index],
        }

    def _allowed(self, category: str) -> np.ndarray:
        """Item indices in ``category`` or below it (``'Home'`` matches ``'Home > Bedding'``).

        Matching is case-insensitive on whole path segments.
        """
        want = category.strip().lower()
        prefix = want + " > "
        return np.asarray(
            [
                i
                for i, c in enumerate(self.categories)
                if c.lower() == want or c.lower().startswith(prefix)
            ],
            dtype=np.int64,
        )

    def _outside(self, category: str) -> np.ndarray | None:
        """Boolean mask of items *not* in ``category`` (None: the category has no items)."""
        allowed = self.allowed(category)
        if allowed.size == 0:
            return None
        mask = np.ones(len(self.titles), dtype=bool)
        mask[allowed] = False
        return mask

    def category_names(self) -> list[str]:
        return sorted({c for c in self.categories if c})

    def search(self, query: str, limit: int) -> list[int]:
        """Item indices whose title or id contains ``query`` (case-insensitive).

        Titles that start with the query come first, then the rest in catalogue order.
        """
        q = query.strip().lower()
        if not q:
            return []
        starts: list[int] = []
        contains: list[int] = []
        for i, t in enumerate(self._lower_titles):
            if t.startswith(q):
                starts.append(i)
            elif q in t or q == self._ids[i].lower():
                contains.append(i)
            if len(starts) >= limit:
                break
        return (starts + contains)[:limit]

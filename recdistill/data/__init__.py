"""The data layer: sources, cleaning, id maps, and the types that flow to the models.

Public surface:

- :func:`load_dataset` (a ``data:`` config -> :class:`Dataset`) and :func:`describe`;
- the types :class:`Dataset`, :class:`Interactions`, :class:`IdMap`,
  :class:`RawInteractions`, :class:`RawItems`;
- :mod:`recdistill.data.download` (public MovieLens releases, checksum-verified) and
  :mod:`recdistill.data.sources` (one module per layout) as modules.

The loaders are imported on first use, so that ``recdistill.data.types`` stays
cheap to import for models and metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recdistill.data.types import Dataset, IdMap, Interactions, RawInteractions, RawItems

if TYPE_CHECKING:
    from recdistill.data.load import describe, load_dataset

__all__ = [
    "Dataset",
    "IdMap",
    "Interactions",
    "RawInteractions",
    "RawItems",
    "describe",
    "load_dataset",
]


def __getattr__(name: str) -> Any:
    if name in ("describe", "load_dataset"):
        from recdistill.data import load

        return getattr(load, name)
    raise AttributeError(f"module 'recdistill.data' has no attribute {name!r}")

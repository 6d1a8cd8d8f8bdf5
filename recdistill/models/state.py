"""A model's serving state, declared once: which arrays, held where, in what form.

A model class lists its state as ``STATE = declare({key: field})``: the key is the
array's name in ``state.safetensors``, the field says which attribute holds it
and how it is stored. :class:`~recdistill.models.base.Recommender` then gives
``state()``, ``load_state()`` and the empty values before ``fit`` from that
one declaration, so no model writes them by hand.

- :class:`Dense`: a numpy array of one dtype (``float32`` by default).
- :class:`CSR`: a scipy CSR matrix, stored as ``key.data``, ``key.indices``,
  ``key.indptr`` and ``key.shape`` (so ``n_params`` counts only stored values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import sparse

from recdistill.errors import ConfigError


def pack_csr(name: str, m: sparse.csr_matrix | sparse.csr_array) -> dict[str, np.ndarray]:
    """State arrays of a CSR matrix: ``name.data/indices/indptr/shape``."""
    m = sparse.csr_matrix(m)
    return {
        f"{name}.data": np.ascontiguousarray(m.data),
        f"{name}.indices": np.ascontiguousarray(m.indices, dtype=np.int32),
        f"{name}.indptr": np.ascontiguousarray(m.indptr, dtype=np.int64),
        f"{name}.shape": np.asarray(m.shape, dtype=np.int64),
    }


def unpack_csr(state: dict[str, np.ndarray], name: str) -> sparse.csr_matrix:
    """Inverse of :func:`pack_csr`."""
    shape = tuple(int(x) for x in state[f"{name}.shape"])
    return sparse.csr_matrix(
        (state[f"{name}.data"], state[f"{name}.indices"], state[f"{name}.indptr"]),
        shape=shape,
    )


def _need(state: dict[str, np.ndarray], key: str, kind: str) -> np.ndarray:
    if key not in state:
        raise ConfigError(f"model '{kind}': the artifact lacks the array '{key}'")
    return state[key]


@dataclass(frozen=True)
class Dense:
    """A dense array held in attribute ``attr``, stored as ``dtype`` (``ndim`` dimensions)."""

    attr: str
    dtype: str = "float32"
    ndim: int = 1

    def empty(self) -> np.ndarray:
        return np.zeros((0,) * self.ndim, dtype=self.dtype)

    def pack(self, key: str, value: Any) -> dict[str, np.ndarray]:
        return {key: value}

    def unpack(self, key: str, state: dict[str, np.ndarray], kind: str) -> np.ndarray:
        return np.ascontiguousarray(_need(state, key, kind), dtype=self.dtype)


@dataclass(frozen=True)
class CSR:
    """A float32 CSR matrix held in attribute ``attr`` (see :func:`pack_csr`)."""

    attr: str

    def empty(self) -> sparse.csr_matrix:
        return sparse.csr_matrix((0, 0), dtype=np.float32)

    def pack(self, key: str, value: Any) -> dict[str, np.ndarray]:
        return pack_csr(key, value)

    def unpack(self, key: str, state: dict[str, np.ndarray], kind: str) -> sparse.csr_matrix:
        for part in ("data", "indices", "indptr", "shape"):
            _need(state, f"{key}.{part}", kind)
        return unpack_csr(state, key)


StateField = Dense | CSR


def declare(fields: dict[str, StateField]) -> Mapping[str, StateField]:
    """A model class's ``STATE``: ``{safetensors key: field}``, read-only."""
    return MappingProxyType(dict(fields))

"""Shared glue for the models trained with the ``implicit`` library (CPU only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from recdistill.models.base import FitOptions


@contextmanager
def implicit_context() -> Iterator[None]:
    """BLAS limited to one thread, as implicit asks (its own threads do the work)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit_implicit(
    make: Callable[..., Any], user_items: sparse.csr_matrix, options: FitOptions | None, **kw: Any
) -> Any:
    """Build and fit an implicit CPU model on a ``U x I`` float32 CSR; returns the model."""
    opts = options or FitOptions()
    with implicit_context():
        model = make(num_threads=opts.threads or 0, random_state=opts.seed, **kw)
        model.fit(sparse.csr_matrix(user_items, dtype=np.float32), show_progress=False)
    return model


def as_numpy(a: Any) -> np.ndarray:
    """implicit factors (numpy, or a GPU matrix with ``to_numpy``) as C-contiguous float32."""
    if hasattr(a, "to_numpy"):
        a = a.to_numpy()
    return np.ascontiguousarray(a, dtype=np.float32)

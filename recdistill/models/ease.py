"""EASE: embarrassingly shallow autoencoder (Steck, WWW 2019), in closed form."""

from __future__ import annotations

import numpy as np
from pydantic import Field
from scipy import sparse
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

from recdistill.models._sparse import history_matrix, sparse_times_dense
from recdistill.models.base import (
    FitOptions,
    Histories,
    ModelConfig,
    Recommender,
    TrainData,
    register,
)
from recdistill.models.cost import (
    DENSE_FLOPS,
    SPARSE_ENTRIES,
    Cost,
    DataSize,
    ranking_seconds,
    scores_bytes,
)
from recdistill.models.state import Dense, declare

# Above this many items the Gram matrix is inverted in float32 to halve memory.
_FLOAT64_MAX_ITEMS = 20_000
# Below this many U x I entries X^T X is computed as a dense product (exact: counts).
_DENSE_GRAM_MAX_ENTRIES = 25_000_000


class EASEConfig(ModelConfig):
    """Hyperparameters of :class:`EASE`."""

    l2: float = Field(100.0, gt=0.0, description="L2 regularisation added to the Gram diagonal.")


def ease_weights(x: sparse.csr_matrix | np.ndarray, n_items: int, l2: float) -> np.ndarray:
    """Dense ``I x I`` float32 EASE weights ``B = I - P / diag(P)``, zero diagonal.

    ``x`` is the ``U x I`` (sparse or dense) interaction matrix and
    ``P = (X^T X + l2 I)^-1``; column ``j`` of ``B`` is divided by ``P_jj``.
    """
    dtype = np.float64 if n_items <= _FLOAT64_MAX_ITEMS else np.float32
    gram: np.ndarray
    if isinstance(x, np.ndarray):
        gram = x.T @ x
    elif x.shape[0] * n_items <= _DENSE_GRAM_MAX_ENTRIES:
        xd = np.asarray(x.toarray(), dtype=np.float32)
        gram = xd.T @ xd  # BLAS beats the sparse product on small matrices; counts are exact
    else:
        gram = (x.T @ x).toarray()
    g: np.ndarray = np.array(gram, dtype=dtype, order="F")
    g.flat[:: n_items + 1] += l2
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (g,))
    c, info = potrf(g, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: Gram matrix not positive definite (info={info})")
    p, info = potri(c, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: inversion failed (info={info})")
    p = np.triu(p)  # potri fills the upper triangle only
    p += np.triu(p, 1).T
    p /= -np.diag(p)[None, :]
    p.flat[:: n_items + 1] = 0.0
    return np.ascontiguousarray(p, dtype=np.float32)


@register
class EASE(Recommender):
    """Linear item-item model ``scores = H @ B`` with ``B`` from :func:`ease_weights`.

    The user index is ignored: any history, known or not, is scored; an
    empty history scores zero everywhere. State: ``B`` (float32 ``I x I``).
    """

    kind = "ease"
    Config = EASEConfig
    config: EASEConfig
    STATE = declare({"B": Dense("weights", ndim=2)})
    weights: np.ndarray

    def estimate(self, size: DataSize) -> Cost:
        """``I x I`` Gram and inverse (three such arrays at the peak), ``~I^3`` flops."""
        width = 8.0 if size.items <= _FLOAT64_MAX_ITEMS else 4.0
        return Cost(
            memory_bytes=3.0 * width * size.items**2 + scores_bytes(size),
            fit_seconds=float(size.items) ** 3 / DENSE_FLOPS + size.interactions / SPARSE_ENTRIES,
            eval_seconds=2.0 * size.eval_users * size.items * size.per_user / DENSE_FLOPS
            + ranking_seconds(size),
        )

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        with threadpool_limits(limits=options.threads):
            self.weights = ease_weights(data.matrix, self.n_items, self.config.l2)

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores ``H @ B`` (``H`` the binary history matrix)."""
        return sparse_times_dense(history_matrix(batch, self.n_items), self.weights)

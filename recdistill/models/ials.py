"""Implicit ALS (Hu, Koren & Volinsky, ICDM 2008) trained with ``implicit``'s CPU solver."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from pydantic import Field
from scipy import sparse

from recdistill.models._factors import FactorModel
from recdistill.models.base import ModelConfig, register
from recdistill.models.cost import DENSE_FLOPS, Cost, DataSize, ranking_seconds, scores_bytes

_SOLVE_CHUNK = 1024


class IALSConfig(ModelConfig):
    """Hyperparameters of :class:`IALS`."""

    factors: int = Field(64, ge=1, description="Latent dimensions.")
    regularization: float = Field(1.0, ge=0.0, description="L2 penalty (not scaled by counts).")
    alpha: float = Field(
        10.0,
        gt=0.0,
        description="Confidence of an observed interaction, c = alpha (implicit's convention: "
        "unobserved pairs have confidence 1).",
    )
    iterations: int = Field(15, ge=1, description="ALS sweeps (users then items).")
    solver: Literal["cg", "cholesky"] = Field(
        "cg", description="implicit's conjugate-gradient solver (fast) or the exact Cholesky one."
    )


def fold_in(
    item_factors: np.ndarray,
    gram: np.ndarray,
    h: sparse.csr_matrix,
    alpha: float,
    regularization: float,
) -> np.ndarray:
    """Exact least-squares user factors for binary histories, ``B x F`` float32.

    For each row ``p`` of ``h`` (``B x I`` binary CSR) with confidence
    ``c = alpha`` on its items and 1 elsewhere, solves
    ``(Y^T Y + reg I + (alpha - 1) Y_h^T Y_h) x = alpha Y_h^T 1``, which is
    ``(Y^T C Y + reg I)^-1 Y^T C p`` as in implicit's ``recalculate_user``.
    ``gram`` is ``Y^T Y`` (float64 ``F x F``).
    """
    hm = sparse.csr_matrix(h)
    b, f = hm.shape[0], item_factors.shape[1]
    y = item_factors.astype(np.float64)
    out = np.zeros((b, f), dtype=np.float32)
    base = gram + regularization * np.eye(f)
    for start in range(0, b, _SOLVE_CHUNK):
        stop = min(b, start + _SOLVE_CHUNK)
        a = np.broadcast_to(base, (stop - start, f, f)).copy()
        rhs = np.zeros((stop - start, f))
        for r in range(start, stop):
            yh = y[hm.indices[hm.indptr[r] : hm.indptr[r + 1]]]
            if yh.shape[0]:
                a[r - start] += (alpha - 1.0) * (yh.T @ yh)
                rhs[r - start] = alpha * yh.sum(axis=0)
        out[start:stop] = np.linalg.solve(a, rhs[..., None])[..., 0]
    return out


@register
class IALS(FactorModel):
    """Matrix factorisation ``score(u, i) = x_u . y_i`` fitted by weighted ALS.

    Known users (``0 <= users[b] < U``) use their learned factor. Unknown
    users are folded in with the exact least-squares solve of :func:`fold_in`
    against the item factors (the same step ALS applies to users); an empty
    history gives ``x = 0`` and zero scores everywhere.

    State: ``user_factors`` (``U x F``) and ``item_factors`` (``I x F``),
    float32. ``Y^T Y`` is recomputed at load time.
    """

    kind = "ials"
    Config = IALSConfig
    config: IALSConfig
    solver = AlternatingLeastSquares

    def estimate(self, size: DataSize) -> Cost:
        """Per sweep, conjugate-gradient steps over every interaction and an ``F x F``
        system per user and item."""
        c = self.config
        f = c.factors
        sweep = 6.0 * size.interactions * f + 6.0 * (size.users + size.items) * f * f
        return Cost(
            memory_bytes=8.0 * (size.users + size.items) * f + scores_bytes(size),
            fit_seconds=c.iterations * sweep / 3e9,
            eval_seconds=2.0 * size.eval_users * size.items * f / DENSE_FLOPS
            + ranking_seconds(size),
        )

    def solver_params(self) -> dict[str, Any]:
        c = self.config
        return {
            "factors": c.factors,
            "regularization": c.regularization,
            "alpha": c.alpha,
            "iterations": c.iterations,
            "use_cg": c.solver == "cg",
        }

    def _derive(self) -> None:
        y64 = self.item_factors.astype(np.float64)
        self._gram = y64.T @ y64

    def fold_in(self, h: sparse.csr_matrix) -> np.ndarray:
        c = self.config
        return fold_in(self.item_factors, self._gram, h, c.alpha, c.regularization)

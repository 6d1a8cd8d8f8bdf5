"""What the matrix-factorisation baselines share: ``score(u, i) = x_u . y_i (+ b_i)``.

A :class:`FactorModel` is fitted by one of ``implicit``'s CPU solvers and
holds a factor per training user and per item. A known user
(``0 <= users[b] < U``) is scored with its learned factor; an unknown one is
folded in from its history by the model's :meth:`FactorModel.fold_in`. A
subclass names its solver and its parameters, and may add item biases.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from recdistill.models._implicit import as_numpy, fit_implicit
from recdistill.models._sparse import history_matrix, known_users
from recdistill.models.base import FitOptions, Histories, Recommender, TrainData
from recdistill.models.state import Dense, declare


class FactorModel(Recommender):
    """User and item factors from an ``implicit`` solver; see the module docstring.

    State: ``user_factors`` (``U x F``) and ``item_factors`` (``I x F``), float32.
    """

    STATE = declare(
        {
            "user_factors": Dense("user_factors", ndim=2),
            "item_factors": Dense("item_factors", ndim=2),
        }
    )
    #: the ``implicit`` model class that fits the factors
    solver: ClassVar[type[Any]]
    user_factors: np.ndarray
    item_factors: np.ndarray

    @property
    def factors(self) -> int:
        """Latent dimensions ``F``."""
        return int(getattr(self.config, "factors"))  # noqa: B009  (every factor config has it)

    @abstractmethod
    def solver_params(self) -> dict[str, Any]:
        """Keyword arguments for :attr:`solver` besides threads and seed."""

    @abstractmethod
    def fold_in(self, h: sparse.csr_matrix) -> np.ndarray:
        """``B x F`` factors of unknown users from their ``B x I`` binary histories."""

    def set_factors(self, users: np.ndarray, items: np.ndarray) -> None:
        """Keep the solver's factors (override to split off extra columns)."""
        self.user_factors, self.item_factors = users, items

    def _fit(self, data: TrainData, options: FitOptions) -> None:
        model = fit_implicit(self.solver, data.matrix, options, **self.solver_params())
        self.set_factors(as_numpy(model.user_factors), as_numpy(model.item_factors))

    def user_vectors(self, batch: Histories) -> np.ndarray:
        """``B x F`` float32 user factors: learned for known users, folded in otherwise."""
        known = known_users(batch, self.n_users)
        out = np.zeros((len(batch), self.factors), dtype=np.float32)
        out[known] = self.user_factors[batch.users[known]]
        if not known.all():
            unknown = np.flatnonzero(~known)
            out[unknown] = self.fold_in(history_matrix(batch, self.n_items)[unknown])
        return out

    def add_bias(self, scores: np.ndarray) -> None:
        """Add per-item terms to ``B x I`` scores in place (default: none)."""
        return None

    def score(self, batch: Histories) -> np.ndarray:
        """``B x I`` float32 scores ``X Y^T`` (plus :meth:`add_bias`)."""
        scores = np.ascontiguousarray(self.user_vectors(batch) @ self.item_factors.T)
        self.add_bias(scores)
        return np.ascontiguousarray(scores, dtype=np.float32)

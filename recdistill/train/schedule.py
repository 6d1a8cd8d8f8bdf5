"""Learning-rate schedules laid out for a planned number of optimizer steps.

A model's config names the shape (``lr_schedule``, ``warmup``, ``lr_floor``);
the loop knows how many steps it plans to take (the epoch cap, or what fits in
the model's time budget, measured by a short throughput probe) and applies
``lr = peak * factor(step)`` before every optimizer step:

- ``constant``: ``1`` (after the warm-up);
- ``cosine``: linear warm-up over the first ``warmup`` share of the steps,
  then a half cosine from ``1`` down to ``floor`` at the last planned step.

So a budgeted model anneals to its floor when its time is up instead of
being cut at its peak learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """``factor(step)`` in ``[floor, 1]`` for ``total`` planned steps (see the module docstring).

    Example:
        >>> s = Schedule("cosine", total=100, warmup=0.1, floor=0.0)
        >>> round(s.factor(0), 2), s.factor(10), round(s.factor(55), 2), s.factor(100)
        (0.1, 1.0, 0.5, 0.0)
    """

    kind: str
    total: int
    warmup: float = 0.0
    floor: float = 0.0

    @property
    def warmup_steps(self) -> int:
        return round(self.warmup * self.total)

    def factor(self, step: int) -> float:
        """The multiplier of the peak learning rate for 0-based ``step``."""
        w = self.warmup_steps
        if w > 0 and step < w:
            return (step + 1) / w
        if self.kind == "constant":
            return 1.0
        span = max(self.total - w, 1)
        progress = min(max(step - w, 0) / span, 1.0)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

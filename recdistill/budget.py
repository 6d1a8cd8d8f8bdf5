"""The run's time budget: parsed, split across the stages, followed, and recorded.

``recdistill run CONFIG --budget 20m`` (or ``budget:`` in the config; units
``s``, ``m``, ``h``; ``none`` trains to convergence with early stopping only)
gives the whole run a wall-clock budget, 20 minutes by default. After the data
is loaded (its time counts), :class:`Plan` splits what is left across the
stages by their shares (:data:`SHARES`). Each stage asks :meth:`Plan.allowance`
for its seconds when it starts: its share of the budget *still left* among the
stages still to run, so a stage that overruns shrinks the later ones and one
that finishes early leaves its time to them. Within a stage the neural models
plan their steps from a throughput probe (:mod:`recdistill.train.schedule`);
the baselines shrink their grids or are skipped when they would not fit.

What was planned, what each stage took, and every model shrunk or skipped
(with the reason) go to ``metrics.json`` (``budget``) and the report.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from recdistill.errors import ConfigError
from recdistill.progress import fmt_seconds

log = logging.getLogger("recdistill")

DEFAULT = "20m"

#: each stage's share of the budget left after loading the data
SHARES: dict[str, float] = {
    "baselines": 0.10,
    "teacher": 0.60,
    "teacher_cache": 0.03,
    "students": 0.22,
    "report": 0.01,
    "reserve": 0.04,
}

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_budget(value: str | float | int | None) -> float | None:
    """Seconds of a budget: ``"20m"``, ``"90s"``, ``"1.5h"``, ``600`` (seconds), ``"none"``.

    Raises:
        ConfigError: anything else (one line naming the value).

    Example:
        >>> parse_budget("20m"), parse_budget("1.5h"), parse_budget("none"), parse_budget(90)
        (1200.0, 5400.0, None, 90.0)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if isinstance(value, bool):
        raise ConfigError(f"budget {value!r}: expected a duration like 20m, 90s, 1.5h or none")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _PATTERN.match(value.lower())
        if m is None:
            raise ConfigError(f"budget {value!r}: expected a duration like 20m, 90s, 1.5h or none")
        seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"budget {value!r}: must be more than 0 seconds (or none)")
    return seconds


@dataclass
class StageRecord:
    """One stage: what it was allowed and what it took."""

    name: str
    share: float
    planned_s: float | None = None  # at planning time
    allowed_s: float | None = None  # when it started (after earlier stages' overruns)
    seconds: float | None = None  # what it took


@dataclass
class Plan:
    """The budget split across the stages of one run (see the module docstring).

    ``total_s`` None: no budget (every allowance is None: train to convergence).
    """

    total_s: float | None
    t0: float = field(default_factory=time.perf_counter)
    stages: dict[str, StageRecord] = field(default_factory=dict)
    notes: list[dict[str, str]] = field(default_factory=list)

    @staticmethod
    def start(budget: str | float | None, t0: float | None = None) -> Plan:
        plan = Plan(parse_budget(budget))
        if t0 is not None:
            plan.t0 = t0
        return plan

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float | None:
        """Seconds of the budget still unspent (None without a budget)."""
        return None if self.total_s is None else self.total_s - self.elapsed()

    def lay_out(self, stages: list[str]) -> None:
        """Plan ``stages`` (in run order) over the budget left now; logs the plan."""
        for name in stages:
            self.stages[name] = StageRecord(name, SHARES.get(name, 0.0))
        self._spread()
        log.info("%s", self.describe())

    def _spread(self) -> None:
        """Each stage's planned seconds: its share of the budget left now."""
        left = self.left()
        if left is None:
            return
        total = sum(r.share for r in self.stages.values()) + SHARES["reserve"]
        for r in self.stages.values():
            r.planned_s = max(left, 0.0) * r.share / total

    def expect(self, name: str, seconds: float, donor: str = "teacher", keep: float = 0.30) -> None:
        """Give stage ``name`` the share that covers ``seconds`` (an estimate measured
        before it runs), taken from ``donor``'s share, which keeps at least ``keep``.

        For stages whose cost is known from the data, not from a fixed share: the
        teacher cache scores every training position against the whole catalogue.
        """
        left, rec, give = self.left(), self.stages.get(name), self.stages.get(donor)
        if left is None or left <= 0 or rec is None or give is None:
            return
        total = sum(r.share for r in self.stages.values()) + SHARES["reserve"]
        need = min(seconds / left * total, rec.share + max(give.share - keep, 0.0))
        if need <= rec.share:
            return
        give.share -= need - rec.share
        rec.share = need
        self._spread()
        self.note(
            name, "share raised",
            f"estimated at ~{fmt_seconds(seconds)} on this data and device; "
            f"{fmt_seconds(rec.planned_s)} planned, taken from the {donor}'s share",
        )  # fmt: skip
        log.info("%s", self.describe())

    def transfer(self, name: str, to: str) -> None:
        """Give stage ``name``'s whole share to stage ``to`` (``name`` will not run)."""
        rec, dst = self.stages.get(name), self.stages.get(to)
        if rec is None or dst is None:
            return
        dst.share, rec.share = dst.share + rec.share, 0.0
        self._spread()

    def describe(self) -> str:
        if self.total_s is None:
            return "budget: none (every model trains to convergence with early stopping)"
        parts = [f"{n} {fmt_seconds(r.planned_s)}" for n, r in self.stages.items() if r.share]
        return (
            f"budget {fmt_seconds(self.total_s)}: {fmt_seconds(self.elapsed())} spent on the "
            f"data; plan: " + ", ".join(parts)
        )

    def allowance(self, name: str) -> float | None:
        """Seconds stage ``name`` may take, from the budget left now (None: no budget).

        Its share of what is left among itself and the stages not yet run (plus
        the reserve), so earlier overruns shrink it and savings grow it.
        """
        left = self.left()
        if left is None:
            return None
        rest = [r for r in self.stages.values() if r.seconds is None]
        total = sum(r.share for r in rest) + SHARES["reserve"]
        rec = self.stages.get(name)
        share = rec.share if rec is not None else 0.0
        return max(left, 0.0) * share / total if total > 0 else 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[float | None]:
        """Run stage ``name``: yields its allowance and records what it took."""
        rec = self.stages.setdefault(name, StageRecord(name, SHARES.get(name, 0.0)))
        rec.allowed_s = self.allowance(name)
        if rec.allowed_s is not None and rec.share > 0:
            log.info(
                "%s: %s allowed (%s of the budget left)",
                name, fmt_seconds(rec.allowed_s), fmt_seconds(self.left()),
            )  # fmt: skip
        t0 = time.perf_counter()
        try:
            yield rec.allowed_s
        finally:
            rec.seconds = time.perf_counter() - t0

    def summary(self) -> str:
        """One line: the budget against what each stage took."""
        took = ", ".join(f"{n} {fmt_seconds(r.seconds)}" for n, r in self.stages.items())
        head = "no budget" if self.total_s is None else f"budget {fmt_seconds(self.total_s)}"
        return f"{head}, took {fmt_seconds(self.elapsed())}: {took}"

    def note(self, subject: str, action: str, reason: str) -> None:
        """Record that ``subject`` was shrunk, replaced or skipped, and why (logged too)."""
        self.notes.append({"subject": subject, "action": action, "reason": reason})
        log.info("%s %s: %s", subject, action, reason)

    def as_dict(self) -> dict[str, Any]:
        """The ``budget`` section of ``metrics.json``."""
        return {
            "budget_s": self.total_s,
            "seconds": self.elapsed(),
            "within_budget": None if self.total_s is None else self.elapsed() <= self.total_s,
            "stages": {
                n: {
                    "share": r.share,
                    "planned_s": r.planned_s,
                    "allowed_s": r.allowed_s,
                    "seconds": r.seconds,
                }
                for n, r in self.stages.items()
            },
            "notes": list(self.notes),
        }

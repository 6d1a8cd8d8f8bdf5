"""Leakage-safe splits: per-user leave-last-out, global temporal, random.

Each split returns train / valid / test tables over the same user and item
universe (indices do not change), and a list of log lines counting what was
dropped.

Rules (documented in docs/protocol.md):

- ``leave_last_out``: per user, in time order (ties keep file order), the last
  event goes to test and the second-to-last to validation; users with fewer
  than 3 events stay entirely in train (they are not evaluated).
- ``temporal``: one global clock. Events before ``valid_cut`` train, events in
  ``[valid_cut, test_cut)`` validate, events at or after ``test_cut`` test.
  With ``cold: drop``, evaluation events of users or items that have no
  training event are dropped (and counted): models could not know them, and the
  teacher of later stages must not see them either. Test cold-ness is judged
  against train + validation, since test is scored after refitting on both.
- ``random``: each event independently to train/valid/test by ``ratios`` with a
  seeded generator; the same cold rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from pydantic import Field

from recdistill.data.config import Strict
from recdistill.data.types import Interactions
from recdistill.errors import ConfigError


class SplitConfig(Strict):
    """How interactions are split into train / validation / test."""

    method: Literal["leave_last_out", "temporal", "random"] = "leave_last_out"
    valid_cut: float | str = Field(
        0.8,
        description="temporal: start of validation, as a quantile of event times (0-1) or a "
        "date/time string.",
    )
    test_cut: float | str = Field(0.9, description="temporal: start of test (quantile or date).")
    ratios: tuple[float, float, float] = Field(
        (0.8, 0.1, 0.1), description="random: train/validation/test fractions."
    )
    seed: int = Field(0, description="random: seed.")
    cold: Literal["drop", "keep"] = Field(
        "drop",
        description="temporal/random: evaluation events of users or items unseen in train are "
        "dropped (counted in the log) or kept (cold items stay unhittable for pure CF models).",
    )


@dataclass(frozen=True)
class Split:
    """Train / validation / test interactions over one universe."""

    method: str
    train: Interactions
    valid: Interactions
    test: Interactions
    log: list[str] = field(default_factory=list)

    @property
    def train_valid(self) -> Interactions:
        """Train + validation, for refitting before the test."""
        return self.train.concat(self.valid)

    def describe(self) -> str:
        return (
            f"{self.method}: train {len(self.train):,} / valid {len(self.valid):,} / "
            f"test {len(self.test):,} events; users with targets: valid "
            f"{len(self.valid.users_present()):,}, test {len(self.test.users_present()):,}"
        )


def leave_last_out(inter: Interactions) -> Split:
    """Last event of each user -> test, second-to-last -> valid (users with >= 3 events)."""
    ptr = inter.indptr()
    counts = np.diff(ptr)
    pos_from_end = np.empty(len(inter), dtype=np.int64)
    # Rows are sorted by (user, time, file order): position from the end of the user's block.
    pos_from_end[:] = np.repeat(ptr[1:], counts) - np.arange(len(inter)) - 1
    eligible = np.repeat(counts >= 3, counts)
    test = eligible & (pos_from_end == 0)
    valid = eligible & (pos_from_end == 1)
    train = ~(test | valid)
    short = int((counts[counts > 0] < 3).sum())
    log = []
    if short:
        log.append(f"leave_last_out: {short:,} users with fewer than 3 events kept in train only")
    return Split(
        "leave_last_out", inter.select(train), inter.select(valid), inter.select(test), log
    )


def _cut_value(cut: float | str, times: np.ndarray, name: str) -> int:
    if isinstance(cut, float | int) and not isinstance(cut, bool):
        q = float(cut)
        if not 0.0 < q < 1.0:
            raise ConfigError(f"split.{name}: a quantile must be between 0 and 1, got {q}")
        return int(np.quantile(times, q, method="higher"))
    try:
        dt = datetime.fromisoformat(str(cut))
    except ValueError:
        raise ConfigError(
            f"split.{name}: '{cut}' is neither a quantile (0-1) nor an ISO date/time"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def _drop_cold(known: Interactions, part: Interactions, name: str, log: list[str]) -> Interactions:
    seen_users = np.zeros(known.n_users, dtype=bool)
    seen_users[known.user] = True
    seen_items = np.zeros(known.n_items, dtype=bool)
    seen_items[known.item] = True
    cold_user = ~seen_users[part.user]
    cold_item = ~seen_items[part.item]
    keep = ~(cold_user | cold_item)
    dropped = int((~keep).sum())
    if dropped:
        log.append(
            f"{name}: dropped {dropped:,} events of cold users ({int(cold_user.sum()):,}) or "
            f"cold items ({int(cold_item.sum()):,}) unseen in earlier parts (split.cold: drop)"
        )
    return part.select(keep)


def _finish(
    method: str,
    inter: Interactions,
    part: np.ndarray,
    cold: str,
    log: list[str],
) -> Split:
    train = inter.select(part == 0)
    valid = inter.select(part == 1)
    test = inter.select(part == 2)
    if cold == "drop":
        valid = _drop_cold(train, valid, "valid", log)
        test = _drop_cold(train.concat(valid), test, "test", log)
    return Split(method, train, valid, test, log)


def temporal(
    inter: Interactions, valid_cut: float | str, test_cut: float | str, cold: str
) -> Split:
    """Global time split: before valid_cut train, [valid_cut, test_cut) valid, then test."""
    if len(inter) == 0:
        raise ConfigError("split: no interactions to split")
    vc = _cut_value(valid_cut, inter.time, "valid_cut")
    tc = _cut_value(test_cut, inter.time, "test_cut")
    if vc > tc:
        raise ConfigError(f"split: valid_cut ({valid_cut}) must not be after test_cut ({test_cut})")
    part = np.where(inter.time < vc, 0, np.where(inter.time < tc, 1, 2))
    log = [f"temporal: valid from t={vc}, test from t={tc}"]
    return _finish("temporal", inter, part, cold, log)


def random_split(
    inter: Interactions, ratios: tuple[float, float, float], seed: int, cold: str
) -> Split:
    """Each event to train/valid/test independently with probabilities ``ratios``."""
    r = np.asarray(ratios, dtype=np.float64)
    if r.shape != (3,) or (r < 0).any() or not np.isclose(r.sum(), 1.0):
        raise ConfigError(f"split.ratios: three non-negative fractions summing to 1, got {ratios}")
    rng = np.random.default_rng(seed)
    part = rng.choice(3, size=len(inter), p=r)
    return _finish("random", inter, part, cold, [])


def make_split(inter: Interactions, cfg: SplitConfig) -> Split:
    """Split ``inter`` as configured."""
    if cfg.method == "leave_last_out":
        return leave_last_out(inter)
    if cfg.method == "temporal":
        return temporal(inter, cfg.valid_cut, cfg.test_cut, cfg.cold)
    return random_split(inter, cfg.ratios, cfg.seed, cfg.cold)

"""Progress bars (rich) with rate and ETA, shared by every long step."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Logs and bars go to stderr; when it is not a terminal (CI, a log file), use a wide
# fixed width so lines do not wrap at 80 columns.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

T = TypeVar("T")


def make_progress(transient: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )


def track(
    items: Iterable[T], description: str, total: int | None = None, enabled: bool = True
) -> Iterator[T]:
    """Iterate with a progress bar that shows count, rate (it/s) and ETA."""
    if not enabled:
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with make_progress() as progress:
        task = progress.add_task(description, total=total, rate="")
        for item in items:
            yield item
            t = progress.tasks[task]
            speed = t.speed
            progress.update(task, advance=1, rate=f"{speed:,.1f}/s" if speed else "")


def track_batches(
    starts: range, n: int, batch_size: int, description: str, enabled: bool, unit: str
) -> Iterator[int]:
    """Yield batch starts while a bar advances by items (not batches), rate in ``unit``/s.

    ``starts`` is ``range(0, n, batch_size)``; after each yielded start the bar
    moves by that batch's size and shows e.g. ``"120 texts/s"`` and the ETA.
    """
    if not enabled:
        yield from starts
        return
    with make_progress() as bar:
        task = bar.add_task(description, total=n, rate="")
        for start in starts:
            yield start
            bar.advance(task, min(batch_size, n - start))
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f} {unit}/s" if speed else "")


def fmt_seconds(s: float | None) -> str:
    """``"45s"``, ``"12m 05s"``, ``"1h 02m"``; ``-`` for None."""
    if s is None:
        return "-"
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.0f}s"
    m, sec = divmod(round(s), 60)
    if m < 60:
        return f"{m}m {sec:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m"

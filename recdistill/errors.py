"""User-facing errors.

A :class:`UserError` is a mistake in what the user gave us (a path, a column,
an option, a file's content). The CLI prints its message as one line on
stderr and exits with code 2; it never shows a traceback for one.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A mistake in the user's input, reported as one clear line."""

    exit_code = 2


class DataError(UserError):
    """Bad data in a file or table: names the source, and line/column where known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        where = []
        if source is not None:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.source = source
        self.line = line
        self.column = column


class ConfigError(UserError):
    """A bad configuration file or option; names the file and the field."""

""":meth:`EventStore.commit`'s transaction on the database driver itself.

One group commit is three or four short statements; through SQLAlchemy's
connection, result and type machinery they cost about twice what the driver
needs (289 us of CPU against 132 us per one-event SQLite commit, fsync
included, measured side by side on one machine). So the write transaction
runs on a DBAPI connection of its own per thread, taken once from the
engine's pool (its ``connect`` hooks, the SQLite pragmas, apply), with the
statements written once per batch size. Every value is a bound parameter;
the SQL text holds only fixed identifiers and placeholders. Driver errors
come out as SQLAlchemy's exceptions (``OperationalError``, ``IntegrityError``,
...), as the rest of the store raises them. Schema, migrations and reads stay
in SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

_TABLE = '"events"'
_INSERTED = ('"event_id"', '"user_id"', '"item_id"', '"timestamp"', '"received_at"')
_RETURNED = '"seq", "event_id", "user_id", "item_id", "timestamp"'

Row = tuple[int, str, str, str, int]  # seq, event_id, user_id, item_id, timestamp


@cache
def insert_sql(n: int, mark: str) -> str:
    """``n`` rows in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (``mark``: ? or %s)."""
    row = "(" + ", ".join([mark] * len(_INSERTED)) + ")"
    return (
        f"INSERT INTO {_TABLE} ({', '.join(_INSERTED)}) VALUES {', '.join([row] * n)} "
        f'ON CONFLICT ("event_id") DO NOTHING RETURNING {_RETURNED}'
    )


@cache
def known_sql(n: int, mark: str) -> str:
    """The stored rows of ``n`` event ids."""
    return f'SELECT {_RETURNED} FROM {_TABLE} WHERE "event_id" IN ({", ".join([mark] * n)})'


class RawCommitter:
    """Runs the commit transaction on one driver connection per calling thread."""

    def __init__(self, engine: sa.Engine, lock_key: int, channel: str, writer_id: str) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.mark = "%s" if self.pg else "?"
        self._local = threading.local()
        self._open: list[Any] = []  # every thread's connection, for close()
        self._guard = threading.Lock()
        # SQLite keeps datetimes as text in SQLAlchemy's format: store them the same way.
        column = sa.DateTime(timezone=True)
        self._stamp = None if self.pg else column.bind_processor(engine.dialect)
        self._lock = (
            f"SELECT pg_advisory_xact_lock({self.mark}), pg_notify({self.mark}, {self.mark})",
            (lock_key, channel, writer_id),
        )
        self._since = f'SELECT {_RETURNED} FROM {_TABLE} WHERE "seq" > {self.mark} ORDER BY "seq"'

    def commit(
        self, rows: Sequence[tuple[str, str, str, int]], now: datetime, after: int | None
    ) -> tuple[dict[str, Row], set[str], list[Row]]:
        """Insert ``(event_id, user_id, item_id, timestamp)`` rows in one transaction.

        Returns the stored row of every given event id (newly inserted or found:
        a retry), the ids this transaction inserted, and with ``after`` the rows
        with ``seq > after`` read in the same transaction, in ``seq`` order.
        """
        stamp = self._stamp(now) if self._stamp is not None else now
        params = [v for r in rows for v in (*r, stamp)]
        try:
            return self._transaction(rows, params, after)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        # The connection had died (the database restarted, an idle timeout): once more on
        # a new one, as the pool's pre-ping would have. Safe: every row carries its
        # event_id, so rows that a commit lost in flight did store are found, not stored
        # twice (and are then acknowledged as retries).
        return self._transaction(rows, params, after)

    def _transaction(
        self, rows: Sequence[tuple[str, str, str, int]], params: list[Any], after: int | None
    ) -> tuple[dict[str, Row], set[str], list[Row]]:
        fairy = self._connection()
        conn = fairy.driver_connection
        assert conn is not None
        sql = insert_sql(len(rows), self.mark)
        cur = None
        try:
            cur = conn.cursor()
            if self.pg:
                cur.execute(*self._lock)
            else:
                cur.execute("BEGIN IMMEDIATE")  # the write lock first: no busy upgrade later
            cur.execute(sql, params)
            stored = {r[1]: r for r in cur.fetchall()}
            created = set(stored)
            known = [r[0] for r in rows if r[0] not in created]
            if known:  # retries of events committed before (here or by another process)
                sql = known_sql(len(known), self.mark)
                cur.execute(sql, known)
                stored.update((r[1], r) for r in cur.fetchall())
            forward: list[Row] = []
            if after is not None:
                sql = self._since
                cur.execute(sql, (after,))
                forward = cur.fetchall()
            conn.commit()
            cur.close()
        except Exception as exc:
            dbapi = self.engine.dialect.loaded_dbapi
            if not isinstance(exc, dbapi.Error):
                self._failed(fairy, conn, lost=False)
                raise
            lost = self.engine.dialect.is_disconnect(exc, conn, cur)
            self._failed(fairy, conn, lost=lost)
            raise sa.exc.DBAPIError.instance(
                sql, None, exc, dbapi.Error, dialect=self.engine.dialect,
                connection_invalidated=lost,
            ) from exc  # fmt: skip
        return stored, created, forward

    def _connection(self) -> Any:
        fairy = getattr(self._local, "fairy", None)
        if fairy is None:
            fairy = self._local.fairy = self.engine.raw_connection()
            with self._guard:
                self._open.append(fairy)
        return fairy

    def _failed(self, fairy: Any, conn: Any, *, lost: bool) -> None:
        """Roll back; a lost connection, or one that cannot roll back, is dropped (the
        next commit connects anew)."""
        if not lost:
            try:
                conn.rollback()
                return
            except Exception:
                pass
        self._local.fairy = None
        with self._guard:
            self._open.remove(fairy)
        fairy.invalidate()

    def close(self) -> None:
        """Give every thread's connection back to the pool (the store is closing)."""
        with self._guard:
            fairies, self._open = self._open, []
        for fairy in fairies:
            fairy.close()
        self._local = threading.local()

"""The event store: one ``events`` table behind SQLAlchemy 2, schema under Alembic.

An SQLite file by default (``sqlite:///RUN_DIR/events.db``; WAL journal and
``synchronous=FULL`` so a committed event survives a crash or power loss), or
PostgreSQL by URL (``postgresql+psycopg://user@host/db``). Schema,
migrations and reads go through SQLAlchemy; the group commit's few statements
run on the driver's own connection (:mod:`recdistill.serve.rawcommit`). Values
are always bound parameters, never formatted into SQL.

The table is also a data source for the next training run (``format: sql``,
``query: events``, columns ``user_id``, ``item_id``, ``timestamp``)::

    seq         integer primary key (commit order within one writer)
    event_id    unique; a retry with the same id returns the first ack
    user_id     the user's id as in the source data (string)
    item_id     the item's id as in the source data (string)
    timestamp   Unix seconds (int), the client's time of the interaction
    received_at when the server committed it (UTC)
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from recdistill.errors import UserError
from recdistill.runfolder import RunFolder
from recdistill.serve.rawcommit import RawCommitter

log = logging.getLogger("recdistill.serve")

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "recdistill_alembic_version"
# Serialises concurrent `upgrade head` of replicas sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x7265_6364_6973  # "recdis"
# Held by each writing transaction on PostgreSQL until it commits: seq order = commit order.
_PG_COMMIT_LOCK = 0x7265_6364_6576  # "recdev"
COMMIT_CHANNEL = "recdistill_events"  # NOTIFY channel: a batch of events committed


class Base(DeclarativeBase):
    pass


class Event(Base):
    """One interaction event, as received by ``POST /v1/events``."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
        sa.Index("ix_events_user_id", "user_id"),
    )

    seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    item_id: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger(), nullable=False)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class StoredEvent:
    """An event as committed; the acknowledgement sent to the client."""

    seq: int
    event_id: str
    user_id: str
    item_id: str
    timestamp: int

    def ack(self, *, duplicate: bool) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "seq": self.seq,
            "user_id": self.user_id,
            "item_id": self.item_id,
            "timestamp": self.timestamp,
            "duplicate": duplicate,
        }


class EventConflict(Exception):
    """An ``event_id`` reused for a different (user, item, timestamp)."""


@dataclass(frozen=True)
class NewEvent:
    """An event to append (``event_id`` None: the store gives it a fresh one)."""

    user_id: str
    item_id: str
    timestamp: int
    event_id: str | None = None


Appended = tuple[StoredEvent, bool] | EventConflict
_COLUMNS = (Event.seq, Event.event_id, Event.user_id, Event.item_id, Event.timestamp)


# A writing transaction's first statement (rawcommit.py) takes _PG_COMMIT_LOCK and
# notifies COMMIT_CHANNEL naming the writing process; this one only wakes listeners.
_PG_NOTIFY = sa.select(sa.func.pg_notify(COMMIT_CHANNEL, sa.bindparam("writer")))


_SINCE = sa.select(*_COLUMNS).where(Event.seq > sa.bindparam("after")).order_by(Event.seq)


@dataclass(frozen=True)
class Committed:
    """What :meth:`EventStore.commit` did: per-event results, and the events after."""

    results: list[Appended]
    forward: list[StoredEvent]


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(row.seq, row.event_id, row.user_id, row.item_id, int(row.timestamp))


def default_url(run_dir: Path) -> str:
    return f"sqlite:///{RunFolder(run_dir).events_db.resolve()}"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for logs and /health."""
    from recdistill.data.sources.sql import safe_url as _safe

    return _safe(url)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class EventStore:
    """Append-only event log with idempotent appends keyed by ``event_id``."""

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.engine.make_url(url)
        except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise UserError(
                f"--store: not a database URL: {url!r} (expected sqlite:///PATH or "
                "postgresql+psycopg://user@host/db)"
            ) from None
        self.url = url
        self.backend = parsed.get_backend_name()
        # Alembic logs each plugin and context at INFO; our own line says what migrated.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        if self.backend not in ("sqlite", "postgresql"):
            raise UserError(f"--store: unsupported database '{self.backend}' (sqlite, postgresql)")
        kwargs: dict[str, Any] = {}
        if self.backend == "sqlite":
            db = parsed.database or ""
            if not db or db == ":memory:":
                raise UserError("--store: an in-memory SQLite store is not durable; give a file")
            parent = Path(db).parent
            if not parent.is_dir():
                raise UserError(f"--store: folder {parent} does not exist")
        else:
            kwargs.update(pool_pre_ping=True, pool_size=8, max_overflow=8)
        try:
            self.engine = sa.create_engine(parsed, **kwargs)
        except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
            raise UserError(f"--store: cannot use {safe_url(url)}: {exc}") from None
        if self.backend == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        # Reads are single statements: no BEGIN / ROLLBACK round trips around them.
        self._reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.writer_id = uuid.uuid4().hex[:16]  # names this process's NOTIFYs
        self._raw = RawCommitter(self.engine, _PG_COMMIT_LOCK, COMMIT_CHANNEL, self.writer_id)

    # -- schema --------------------------------------------------------------
    def migrate(self) -> str | None:
        """Bring the schema to the newest revision (``alembic upgrade head``)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        before = self.revision()
        try:
            with self.engine.begin() as conn:
                if self.backend == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.OperationalError as exc:
            shown = safe_url(self.url)
            raise UserError(f"--store: cannot reach {shown}: {_first_line(exc)}") from None
        after = self.revision()
        if after != before:
            log.info("store: migrated %s from %s to %s", safe_url(self.url), before, after)
        return after

    def revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return ctx.get_current_revision()

    # -- writes --------------------------------------------------------------
    def append(
        self, user_id: str, item_id: str, timestamp: int, event_id: str | None = None
    ) -> tuple[StoredEvent, bool]:
        """Commit one event; returns ``(event, created)`` (see :meth:`append_many`)."""
        got = self.append_many([NewEvent(user_id, item_id, int(timestamp), event_id)])[0]
        if isinstance(got, EventConflict):
            raise got
        return got

    def append_many(self, events: Sequence[NewEvent]) -> list[Appended]:
        """Commit a batch of events in one transaction (see :meth:`commit`)."""
        return self.commit(events).results

    def commit(self, events: Sequence[NewEvent], after: int | None = None) -> Committed:
        """Commit a batch of events in one transaction (group commit).

        ``results`` holds, per event in order, ``(event, created)`` or an
        :class:`EventConflict`; with ``after``, ``forward`` holds every event with
        ``seq > after`` (other processes' and these), read in the same transaction,
        in ``seq`` order: what a reader at ``after`` applies next. Every event is
        durable when this returns. A known ``event_id`` (stored earlier, or earlier in
        the batch) answers with the event first stored under it and
        ``created=False`` (an idempotent retry); the same id for another user or
        item is a conflict. On PostgreSQL the transaction first takes an advisory
        lock, so ``seq`` values become visible in commit order and a reader's
        ``seq > last`` misses nothing (see :meth:`since`); SQLite serialises
        writers by itself.
        """
        ids = [ev.event_id or uuid.uuid4().hex for ev in events]
        first: dict[str, int] = {}  # event_id -> its first position in the batch
        for n, eid in enumerate(ids):
            first.setdefault(eid, n)
        rows, created, ahead = self._raw.commit(
            [(eid, events[n].user_id, events[n].item_id, int(events[n].timestamp))
             for eid, n in first.items()],
            datetime.now(UTC),
            after,
        )  # fmt: skip
        stored = {eid: StoredEvent(*row[:4], int(row[4])) for eid, row in rows.items()}
        forward = [StoredEvent(*row[:4], int(row[4])) for row in ahead]
        out: list[Appended] = []
        for n, (ev, eid) in enumerate(zip(events, ids, strict=True)):
            found = stored[eid]
            if (found.user_id, found.item_id) != (ev.user_id, ev.item_id):
                out.append(EventConflict(
                    f"event_id '{eid}' was already used for user '{found.user_id}' "
                    f"and item '{found.item_id}'"
                ))  # fmt: skip
            else:
                out.append((found, eid in created and first[eid] == n))
        return Committed(out, forward)

    # -- reads ---------------------------------------------------------------
    def get(self, event_id: str) -> StoredEvent | None:
        with Session(self._reads) as session:
            row = session.scalars(sa.select(Event).where(Event.event_id == event_id)).first()
            return _stored(row) if row is not None else None

    def count(self) -> int:
        with Session(self._reads) as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0)

    def max_seq(self) -> int:
        with Session(self._reads) as session:
            return int(session.scalar(sa.select(sa.func.max(Event.seq))) or 0)

    def scan(self, batch: int = 10_000) -> Iterator[list[StoredEvent]]:
        """Every event in ``seq`` order, in chunks (keyset pagination)."""
        last = 0
        while True:
            with Session(self._reads) as session:
                rows = session.scalars(
                    sa.select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)
                ).all()
            if not rows:
                return
            chunk = [_stored(r) for r in rows]
            yield chunk
            last = chunk[-1].seq

    def since(self, after: int) -> list[StoredEvent]:
        """Events with ``seq > after``, in ``seq`` order.

        Reading from the highest ``seq`` applied misses nothing: writers commit in
        ``seq`` order (see :meth:`commit`), so no lower ``seq`` commits later.
        """
        with self._reads.connect() as conn:
            return self._read_since(conn, after)

    @staticmethod
    def _read_since(conn: sa.Connection, after: int) -> list[StoredEvent]:
        return [_stored(r) for r in conn.execute(_SINCE, {"after": after})]

    def commits(self) -> CommitWatch:
        """Something to wait on for other processes' commits (see :class:`CommitWatch`)."""
        return CommitWatch(self)

    def notify(self) -> None:
        """Wake every :class:`CommitWatch` of this PostgreSQL database (no-op on SQLite)."""
        if self.backend == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(_PG_NOTIFY, {"writer": ""})

    def dispose(self) -> None:
        self._raw.close()
        self.engine.dispose()


class CommitWatch:
    """Waits until another process may have committed events, or a timeout.

    PostgreSQL: a connection of its own LISTENs on :data:`COMMIT_CHANNEL`, which
    every writing transaction notifies (naming its process: a process's own
    commits do not wake it), so a replica hears of a commit within a
    millisecond; the timeout is the fallback poll (and the retry after the
    connection is lost). SQLite has no notifications: waiting is sleeping.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._conn: Any = None
        self._warned = False

    def wait(self, timeout: float) -> None:
        """Return after a commit notification or ``timeout`` seconds; at once after
        (re)connecting the listener, so the caller reads what it may have missed."""
        if self.store.backend != "postgresql":
            time.sleep(timeout)
            return
        conn = self._conn
        if conn is None:
            if self._listen() is None:
                time.sleep(timeout)
            return
        import psycopg

        own = self.store.writer_id  # this process's commits: its writer applied them
        deadline = time.monotonic() + timeout
        try:
            while (left := deadline - time.monotonic()) > 0:
                if any(n.payload != own for n in conn.notifies(timeout=left, stop_after=1)):
                    for _ in conn.notifies(timeout=0.0):  # the rest of a burst: one read
                        pass
                    return
        except psycopg.Error as exc:
            self._lost(exc)

    def _listen(self) -> Any:
        try:
            raw = self.store.engine.raw_connection()
            conn: Any = raw.driver_connection
            raw.detach()  # ours for good, not the pool's
            conn.rollback()
            conn.autocommit = True
            conn.execute(f"LISTEN {COMMIT_CHANNEL}")
        except Exception as exc:  # the database is down: poll until it is back
            self._lost(exc)
            return None
        if self._warned:
            log.info("store: listening for commits again")
            self._warned = False
        self._conn = conn
        return conn

    def _lost(self, exc: BaseException) -> None:
        if not self._warned:
            log.warning("store: not notified of commits (%s); polling", _first_line(exc))
            self._warned = True
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing left to do
                conn.close()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__

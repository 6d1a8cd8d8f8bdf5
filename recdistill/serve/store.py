"""The event store: one ``events`` table behind SQLAlchemy 2, schema under Alembic.

An SQLite file by default (``sqlite:///RUN_DIR/events.db``; WAL journal and
``synchronous=FULL`` so a committed event survives a crash or power loss), or
PostgreSQL by URL (``postgresql+psycopg://user@host/db``). Every statement
goes through the ORM / SQL expression language, so values are always bound
parameters, never formatted into SQL.

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

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from recdistill.errors import UserError
from recdistill.runfolder import RunFolder

log = logging.getLogger("recdistill.serve")

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "recdistill_alembic_version"
# Serialises concurrent `upgrade head` of replicas sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x7265_6364_6973  # "recdis"


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


def _stored(row: Event) -> StoredEvent:
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
        except sa.exc.ArgumentError:
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
        self._session = sessionmaker(self.engine, expire_on_commit=False)

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
        """Commit one event; returns ``(event, created)``.

        The commit is durable when this returns. A known ``event_id`` returns
        the event first stored under it with ``created=False`` (an idempotent
        retry); the same id with different content raises :class:`EventConflict`.
        """
        eid = event_id or uuid.uuid4().hex
        row = Event(
            event_id=eid,
            user_id=user_id,
            item_id=item_id,
            timestamp=int(timestamp),
            received_at=datetime.now(UTC),
        )
        if event_id is not None:
            found = self.get(event_id)
            if found is not None:
                return self._same(found, user_id, item_id), False
        try:
            with self._session.begin() as session:
                session.add(row)
                session.flush()
                stored = _stored(row)
        except IntegrityError:
            # A concurrent request with the same event_id committed first.
            found = self.get(eid)
            if found is None:
                raise
            return self._same(found, user_id, item_id), False
        return stored, True

    @staticmethod
    def _same(found: StoredEvent, user_id: str, item_id: str) -> StoredEvent:
        if (found.user_id, found.item_id) != (user_id, item_id):
            raise EventConflict(
                f"event_id '{found.event_id}' was already used for user '{found.user_id}' "
                f"and item '{found.item_id}'"
            )
        return found

    # -- reads ---------------------------------------------------------------
    def get(self, event_id: str) -> StoredEvent | None:
        with Session(self.engine) as session:
            row = session.scalars(sa.select(Event).where(Event.event_id == event_id)).first()
            return _stored(row) if row is not None else None

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0)

    def max_seq(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(sa.select(sa.func.max(Event.seq))) or 0)

    def scan(self, batch: int = 10_000) -> Iterator[list[StoredEvent]]:
        """Every event in ``seq`` order, in chunks (keyset pagination)."""
        last = 0
        while True:
            with Session(self.engine) as session:
                rows = session.scalars(
                    sa.select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)
                ).all()
            if not rows:
                return
            chunk = [_stored(r) for r in rows]
            yield chunk
            last = chunk[-1].seq

    def since(self, after: int, also: Sequence[int] = ()) -> list[StoredEvent]:
        """Events with ``seq > after``, plus those whose seq is in ``also`` (gaps)."""
        cond = Event.seq > after
        if also:
            cond = sa.or_(cond, Event.seq.in_(list(also)))
        with Session(self.engine) as session:
            rows = session.scalars(sa.select(Event).where(cond).order_by(Event.seq)).all()
            return [_stored(r) for r in rows]

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__

"""A SQL table or SELECT through a database URL (SQLAlchemy).

``path`` is the URL (``sqlite:///events.db``,
``postgresql+psycopg://user@host/db``); ``query`` is a table name
(``events`` or ``schema.events``) or a read-only ``SELECT``/``WITH``
statement. A table name must be an identifier; it is matched against the
database's tables (exactly, else case-insensitively) and quoted by SQLAlchemy.
Columns are selected through SQLAlchemy's quoting, never by formatting strings
into SQL. A ``SELECT`` is the user's own SQL and runs as given (one statement).

Errors name the URL with its password hidden. Rows have no file lines, so
value errors name the row of the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources.catalogue import Catalogue
from recdistill.data.sources.common import find_column, raw_interactions
from recdistill.data.types import RawInteractions
from recdistill.errors import ConfigError, DataError

# A table name: letters (any script: ``订单``), digits, ``_``, ``$``; optionally schema.table.
_IDENT = re.compile(r"^[^\W\d][\w$]*(\.[^\W\d][\w$]*)?$")
_SELECT = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _engine(url: str) -> Any:
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        raise DataError(
            "not a database URL (expected e.g. sqlite:///events.db or "
            "postgresql+psycopg://user@host/db)",
            source=url,
        ) from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:") and not Path(db).is_file():
            raise DataError("SQLite database file not found", source=safe_url(url))
    try:
        return sa.create_engine(parsed)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DataError(f"unsupported database URL ({exc})", source=safe_url(url)) from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _table(conn: Any, name: str, url: str) -> Any:
    """The reflected table called ``name`` (exact match, else a unique case-insensitive one)."""
    import sqlalchemy as sa

    schema, _, table = name.rpartition(".")
    insp = sa.inspect(conn)
    try:
        known = insp.get_table_names(schema=schema or None) + insp.get_view_names(
            schema=schema or None
        )
    except sa.exc.SQLAlchemyError as exc:
        raise DataError(f"cannot list tables: {_first_line(exc)}", source=url) from None
    if table not in known:
        folded = [t for t in known if t.lower() == table.lower()]
        if len(folded) != 1:
            shown = ", ".join(sorted(known)[:30]) or "none"
            raise DataError(f"table {name!r} not found (tables: {shown})", source=url)
        table = folded[0]
    return sa.Table(table, sa.MetaData(), schema=schema or None, autoload_with=conn)


def read_sql(
    url: str, query: str | None, want: Sequence[str] | None, section: str
) -> tuple[pd.DataFrame, str]:
    """Rows of a table (only the ``want`` columns) or a SELECT; returns ``(frame, source)``."""
    import sqlalchemy as sa

    shown = safe_url(url)
    if not query or not query.strip():
        raise ConfigError(f"data.{section}.query: format sql needs a table name or a SELECT")
    query = query.strip().rstrip(";").strip()
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            if _IDENT.match(query):
                source = f"{shown} table {query}"
                table = _table(conn, query, shown)
                names = [c.name for c in table.columns]
                cols = [find_column(c, names, source=source, role=section) for c in want or names]
                stmt: Any = sa.select(*[table.c[c] for c in dict.fromkeys(cols)])
            elif _SELECT.match(query) and ";" not in query:
                source = f"{shown} query"
                stmt = sa.text(query)
            else:
                raise ConfigError(
                    f"data.{section}.query: expected a table name (letters, digits, _; "
                    f"optionally schema.table) or one SELECT statement, got {query[:60]!r}"
                )
            result = conn.execute(stmt)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    except sa.exc.SQLAlchemyError as exc:
        raise DataError(f"database error: {_first_line(exc)}", source=shown) from None
    finally:
        engine.dispose()
    if want is not None and not _IDENT.match(query):
        for c in want:
            find_column(c, [str(n) for n in frame.columns], source=source, role=section)
    return frame, source


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Interactions from the configured ``user``, ``item``, ``time``, ``rating`` columns."""
    want = [c for c in dict.fromkeys([src.user, src.item, src.time, src.rating]) if c]
    frame, source = read_sql(src.path, src.query, want, "interactions")
    if len(frame) == 0:
        raise DataError("no rows", source=source)
    return raw_interactions(
        frame,
        user=src.user,
        item=src.item,
        time=src.time,
        rating=src.rating,
        source=source,
        locate=lambda row: None,
        time_format=src.time_format,
    )


def read_catalogue(spec: ItemsSource) -> Catalogue:
    """An item table (all its columns) or SELECT."""
    frame, source = read_sql(spec.path, spec.query, None, "items")
    return Catalogue(frame=frame, source=source)


def default_name(url: str, query: str | None) -> str:
    """A dataset name: the table name, else the database's file stem or name."""
    if query and _IDENT.match(query.strip()):
        return query.strip().rpartition(".")[2]
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        db = make_url(url).database or "sql"
    except ArgumentError:
        return "sql"
    return Path(db).stem or "sql"

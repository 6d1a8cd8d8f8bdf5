"""Alembic environment for the event store.

``EventStore.migrate`` passes an open connection in ``config.attributes``;
run standalone (``alembic -x url=... upgrade head`` with ``script_location``
pointing here) it connects to the ``url`` given with ``-x``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from recdistill.serve.store import VERSION_TABLE, Base


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("url")
        if not url:
            raise SystemExit("give the store URL: alembic -x url=sqlite:///events.db ...")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _migrate(conn)
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()

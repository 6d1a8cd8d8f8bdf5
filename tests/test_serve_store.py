"""The event store: migrations from empty (SQLite, PostgreSQL), idempotent appends,
several processes sharing one store, and the store read back as a training data source."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from test_serve_api import AUTH, client_for, ids, items_of, recs, users_of
from test_serve_units import run_dir  # noqa: F401  (fixture)

from recdistill.config import DataConfig
from recdistill.data.load import load_dataset
from recdistill.serve.store import VERSION_TABLE, EventConflict, EventStore, NewEvent

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

CliRunner = Callable[..., tuple[int, str, str]]


def pg_reachable() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    try:
        engine = sa.create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL at 127.0.0.1:5432/test unreachable ({type(exc).__name__})"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A store URL in a fresh schema of the local PostgreSQL (dropped afterwards)."""
    why = pg_reachable()
    if why:
        pytest.skip(why)
    schema = f"rd_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def check_migrations_from_empty(url: str) -> None:
    store = EventStore(url)
    try:
        assert store.revision() is None
        assert store.migrate() == "0001_events"
        assert store.migrate() == "0001_events"  # idempotent
        insp = sa.inspect(store.engine)
        tables = set(insp.get_table_names())
        assert {"events", VERSION_TABLE} <= tables
        cols = {c["name"] for c in insp.get_columns("events")}
        assert {"seq", "event_id", "user_id", "item_id", "timestamp", "received_at"} <= cols
        uniques = [u["column_names"] for u in insp.get_unique_constraints("events")]
        assert ["event_id"] in uniques
        ev, created = store.append("u1", "i1", 100, "e1")
        assert created and ev.seq >= 1
        again, created = store.append("u1", "i1", 200, "e1")
        assert not created and again == ev
        with pytest.raises(EventConflict):
            store.append("u2", "i1", 100, "e1")
        assert store.count() == 1 and store.since(0) == [ev]
    finally:
        store.dispose()


def test_sqlite_migrations_from_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    check_migrations_from_empty(url)
    store = EventStore(url)
    with store.engine.connect() as conn:  # durable acks: WAL journal, fsync on commit
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.dispose()


@pytest.mark.postgres
def test_postgres_migrations_from_empty(pg_url: str) -> None:
    check_migrations_from_empty(pg_url)


def test_bad_store_urls_are_one_line_user_errors(
    cli: CliRunner, run_dir: Path, tmp_path: Path  # noqa: F811
) -> None:
    for url, msg in [
        ("nonsense", "not a database URL"),
        ("postgresql+psycopg://u@h:notaport/db", "not a database URL"),
        ("mysql://x@y/z", "unsupported database"),
        ("sqlite:///:memory:", "not durable"),
        (f"sqlite:///{tmp_path}/no/such/dir/e.db", "does not exist"),
    ]:
        code, _, err = cli("serve", run_dir, "--store", url, "--port", "1")
        assert code == 2 and msg in err and "Traceback" not in err, err
    code, _, err = cli("serve", tmp_path / "missing")
    assert code == 2 and "run folder not found" in err
    code, _, err = cli("serve", run_dir, "--model", "nope")
    assert code == 2 and "no saved model 'nope'" in err


@pytest.mark.postgres
def test_app_on_postgres_events_and_restart(run_dir: Path, pg_url: str) -> None:  # noqa: F811
    user, items = users_of(run_dir)[0], items_of(run_dir)
    with client_for(run_dir, store=pg_url) as c:
        h = c.get("/health").json()
        assert h["store"]["backend"] == "postgresql" and h["sync"] is True
        r = c.post("/v1/events", json={"user_id": user, "item_id": items[1], "event_id": "p1"},
                   headers=AUTH)
        assert r.status_code == 201
        assert c.post("/v1/events", json={"user_id": user, "item_id": items[1],
                                          "event_id": "p1"}, headers=AUTH).status_code == 200
        after = recs(c, user)
    with client_for(run_dir, store=pg_url) as c:
        assert c.get(f"/v1/users/{user}").json()["live_events"] == 1
        assert recs(c, user) == after


def until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` holds (AssertionError after ``timeout``)."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.002)
    return time.monotonic() - t0


def test_replicas_sharing_a_store_read_each_others_writes(run_dir: Path) -> None:  # noqa: F811
    """Two processes (here: two apps) on one SQLite store with sync on: a write to one
    reaches the other's answers through its follower (a 20 ms poll on SQLite)."""
    user, items = users_of(run_dir)[1], items_of(run_dir)
    with client_for(run_dir, sync=True) as a, client_for(run_dir, sync=True) as b:
        before = recs(b, user)
        picked = before["items"][0]["item_id"]
        assert a.post("/v1/events", json={"user_id": user, "item_id": picked},
                      headers=AUTH).status_code == 201
        assert a.post("/v1/events", json={"user_id": "fresh", "item_id": items[2]},
                      headers=AUTH).status_code == 201
        until(lambda: b.get("/v1/users/fresh").json()["known"], timeout=2.0)
        after = recs(b, user)
        assert picked not in ids(after) and after["items"] != before["items"]
        assert recs(b, "fresh")["policy"] == "known_user"


@pytest.mark.postgres
def test_postgres_writers_commit_in_seq_order(pg_url: str) -> None:
    """A reader that only asks for ``seq > last`` misses nothing while four writers
    commit batches concurrently and some transactions roll back (holes in the
    sequence): each writing transaction holds an advisory lock until its commit."""
    stores = [EventStore(pg_url) for _ in range(5)]
    stores[0].migrate()
    reader, writers = stores[0], stores[1:]
    written: set[str] = set()

    def write(w: int) -> None:
        store = writers[w]
        for n in range(60):
            batch = [NewEvent(f"u{w}", "i", n, f"{w}-{n}-{k}") for k in range(1 + n % 3)]
            store.append_many(batch)
            written.update(ev.event_id or "" for ev in batch)
            if n % 10 == 0:  # a rolled-back insert: a hole in the sequence
                with store.engine.connect() as conn:
                    conn.execute(sa.text("INSERT INTO events (event_id, user_id, item_id, "
                                         "timestamp, received_at) VALUES (:e, 'x', 'x', 0, now())"),
                                 {"e": f"rollback-{w}-{n}"})
                    conn.rollback()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(len(writers))]
    for t in threads:
        t.start()
    seen: list[str] = []
    last = 0
    while True:
        finished = not any(t.is_alive() for t in threads)
        got = reader.since(last)  # once more after the writers stopped
        if got:
            last = got[-1].seq
            seen.extend(ev.event_id for ev in got)
        if finished:
            break
    for store in stores:
        store.dispose()
    assert len(seen) == len(set(seen)) == len(written) and set(seen) == written


@pytest.mark.postgres
def test_postgres_commit_survives_a_lost_connection(pg_url: str) -> None:
    """The commit's own connection is killed between two commits (as by a database
    restart): the next commit connects anew and succeeds, nothing is lost or doubled."""
    store = EventStore(pg_url)
    store.migrate()
    try:
        first = store.commit([NewEvent("u1", "i1", 1, "lost-1")]).results[0]
        assert not isinstance(first, EventConflict) and first[1]
        conn = store._raw._local.fairy.driver_connection  # this thread's writer connection
        pid = conn.info.backend_pid
        # autocommit: each poll its own transaction (a transaction sees one stats snapshot)
        admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p")
        with admin.connect() as c:
            assert c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            deadline = time.monotonic() + 10
            while c.execute(alive, {"p": pid}).scalar() and time.monotonic() < deadline:
                time.sleep(0.05)  # until the server has closed it
            assert not c.execute(alive, {"p": pid}).scalar()
        admin.dispose()
        second = store.commit([NewEvent("u1", "i2", 2, "lost-2")]).results[0]
        assert not isinstance(second, EventConflict) and second[1]
        assert store._raw._local.fairy.driver_connection.info.backend_pid != pid
        assert [e.event_id for c in store.scan() for e in c] == ["lost-1", "lost-2"]
    finally:
        store.dispose()


def test_event_store_is_a_training_data_source(run_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    """Close the loop: the events table reads back through `format: sql`."""
    users, items = users_of(run_dir), items_of(run_dir)
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with client_for(run_dir, store=url) as c:
        for n in range(12):
            body = {"user_id": users[n % 3], "item_id": items[n], "timestamp": 1_700_000_000 + n}
            assert c.post("/v1/events", json=body, headers=AUTH).status_code == 201
    data = DataConfig.model_validate({
        "name": "from-store",
        "interactions": {"path": url, "format": "sql", "query": "events",
                         "user": "user_id", "item": "item_id", "time": "timestamp"},
        "clean": {"min_user_interactions": 1, "min_item_interactions": 1},
    })
    ds = load_dataset(data)
    assert len(ds.interactions) == 12 and ds.n_users == 3
    assert set(ds.items.to_list()) == set(items[:12])
    # Time order is kept: user 0's items come back oldest first.
    u0 = ds.users.index(users[0])
    rows = ds.interactions.item[ds.interactions.user == u0]
    assert ds.items.originals(rows) == [items[n] for n in range(0, 12, 3)]


def test_documented_data_source_snippet_parses() -> None:
    """The `format: sql` snippet in docs/serving.md is a valid data config."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "serving.md"
    text = doc.read_text(encoding="utf-8")
    snippet = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    tree = yaml.safe_load(snippet)
    data = DataConfig.model_validate(tree["data"])
    assert data.interactions.format == "sql" and data.interactions.query == "events"
    assert (data.interactions.user, data.interactions.item, data.interactions.time) == (
        "user_id", "item_id", "timestamp")

"""Group commit and following other writers: events that arrive together share one
transaction, each request is answered after its own commit, a refused batch does
not take good events down with it, and reads never wait on the database."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_serve_api import AUTH, client_for, items_of, users_of
from test_serve_store import pg_url  # noqa: F401  (fixture)
from test_serve_units import run_dir  # noqa: F401  (fixture)

from recdistill.serve.commits import GroupCommit, StoreUnavailable
from recdistill.serve.store import EventConflict, EventStore, NewEvent


class SlowStore:
    """An SQLite store whose commits take ``delay`` seconds (a slow disk's fsync)."""

    def __init__(self, path: Path, delay: float = 0.02) -> None:
        self.inner = EventStore(f"sqlite:///{path}")
        self.inner.migrate()
        self.delay = delay
        self.batches: list[int] = []
        self.backend = self.inner.backend

    def commit(self, events: Any, after: int | None = None) -> Any:
        self.batches.append(len(events))
        time.sleep(self.delay)
        return self.inner.commit(events, after)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class NoUsers:
    """A runtime whose users take any catch-up (the writer's own test needs no run)."""

    class users:
        last_seq = 0

        @staticmethod
        def apply(events: Any, catalogue: Any) -> int:
            return 0

    catalogue = None


def test_events_arriving_together_share_a_transaction(tmp_path: Path) -> None:
    store = SlowStore(tmp_path / "events.db")
    writer = GroupCommit(store, lambda: NoUsers)  # type: ignore[arg-type, return-value]
    results: dict[str, Any] = {}

    def post(w: int) -> None:
        for n in range(25):
            eid = f"w{w}-{n}"
            results[eid] = writer.submit(NewEvent(f"u{w}", f"i{n}", n, eid)).result(timeout=30)

    threads = [threading.Thread(target=post, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    writer.close()
    assert len(results) == 400 and all(created for _, created in results.values())
    # 16 writers, each waiting for its ack: batches of several events, not 400 commits.
    assert len(store.batches) < 100 and max(store.batches) > 4, store.batches
    assert sum(store.batches) == 400 and store.inner.count() == 400
    for eid, (ev, _) in results.items():  # every ack is what the store holds
        assert store.inner.get(eid) == ev
    store.inner.dispose()


def check_batch(url: str) -> None:
    store = EventStore(url)
    store.migrate()
    try:
        got = store.append_many([
            NewEvent("u1", "i1", 1, "a"),
            NewEvent("u1", "i2", 2, "b"),
            NewEvent("u1", "i1", 3, "a"),  # a retry inside the batch
            NewEvent("u2", "i1", 4, "b"),  # the id of another event
            NewEvent("u3", "i3", 5),  # no id: the store gives one
        ])  # fmt: skip
        (a, a_new), (b, b_new), (a2, a2_new) = got[0], got[1], got[2]  # type: ignore[misc]
        assert a_new and b_new and not a2_new and a2 == a and b.seq > a.seq
        assert isinstance(got[3], EventConflict) and "'b'" in str(got[3])
        fresh, fresh_new = got[4]  # type: ignore[misc]
        assert fresh_new and len(fresh.event_id) == 32 and fresh.seq > b.seq
        again = store.append_many([NewEvent("u1", "i1", 9, "a"), NewEvent("u4", "i4", 9, "c")])
        assert again[0] == (a, False) and again[1][1] is True  # type: ignore[index]
        assert store.count() == 4
        assert [e.event_id for e in store.since(a.seq)] == ["b", fresh.event_id, "c"]
        # Read forward in the same transaction: the events after a reader's seq, these too.
        done = store.commit([NewEvent("u5", "i5", 9, "d")], after=b.seq)
        assert [e.event_id for e in done.forward] == [fresh.event_id, "c", "d"]
    finally:
        store.dispose()


def test_batch_retries_and_conflicts_sqlite(tmp_path: Path) -> None:
    check_batch(f"sqlite:///{tmp_path / 'events.db'}")


@pytest.mark.postgres
def test_batch_retries_and_conflicts_postgres(pg_url: str) -> None:  # noqa: F811
    check_batch(pg_url)


def test_a_refused_event_does_not_fail_the_others(tmp_path: Path) -> None:
    store = SlowStore(tmp_path / "events.db", delay=0.05)
    real = store.inner.commit

    def picky(events: Any, after: int | None = None) -> Any:  # refuses batches with "bad"
        if any(ev.item_id == "bad" for ev in events):
            raise sa.exc.DataError("INSERT", {}, Exception("value out of range"))
        return real(events, after)

    store.inner.commit = picky  # type: ignore[method-assign]
    writer = GroupCommit(store, lambda: NoUsers)  # type: ignore[arg-type, return-value]
    first = writer.submit(NewEvent("u", "i0", 0, "first"))  # holds the writer 50 ms
    time.sleep(0.01)
    futs = [
        writer.submit(NewEvent("u", item, 0, f"e{n}")) for n, item in enumerate(["i1", "bad", "i2"])
    ]
    assert first.result(timeout=10)[1] is True
    assert futs[0].result(timeout=10)[1] is True and futs[2].result(timeout=10)[1] is True
    with pytest.raises(StoreUnavailable, match="out of range"):
        futs[1].result(timeout=10)
    assert 3 in store.batches  # the three came as one batch, then one by one
    writer.close()
    assert store.inner.count() == 3
    store.inner.dispose()


def test_a_store_that_is_down_answers_503(run_dir: Path) -> None:  # noqa: F811
    user, item = users_of(run_dir)[0], items_of(run_dir)[0]
    with client_for(run_dir) as c:
        store = c.app.service.store  # type: ignore[attr-defined]

        def down(events: Any, after: int | None = None) -> Any:
            raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

        store.commit = down
        r = c.post("/v1/events", json={"user_id": user, "item_id": item}, headers=AUTH)
        assert r.status_code == 503, r.text
        assert "event store unavailable" in r.json()["detail"]
        assert c.get(f"/v1/users/{user}/recommendations").status_code == 200


def statement_threads(store: EventStore) -> list[str]:
    """The name of the thread of each statement the store runs from now on: through
    SQLAlchemy (its cursor events) and through the commit's own driver connection."""
    seen: list[str] = []
    sa.event.listen(
        store.engine,
        "before_cursor_execute",
        lambda *a: seen.append(threading.current_thread().name),
    )
    raw = store._raw.commit

    def commit(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return raw(*args, **kwargs)

    store._raw.commit = commit  # type: ignore[method-assign]
    return seen


@pytest.mark.postgres
def test_reads_on_postgres_run_no_query(run_dir: Path, pg_url: str) -> None:  # noqa: F811
    """A following replica reads the store in the background, never per request (each
    request ran a query carrying every hole in the sequence before)."""
    users = users_of(run_dir)[:20]
    with client_for(run_dir, store=pg_url, cache_size=0) as c:
        service = c.app.service  # type: ignore[attr-defined]
        assert service.sync and service.follower is not None
        seen = statement_threads(service.store)
        for user in users:
            assert c.get(f"/v1/users/{user}/recommendations").status_code == 200
            assert c.get(f"/v1/users/{user}").status_code == 200
        assert set(seen) <= {"follower"}, seen
        # The listener sees the store's statements: a write shows on the writer's thread.
        r = c.post("/v1/events", json={"user_id": users[0], "item_id": items_of(run_dir)[0]},
                   headers=AUTH)
        assert r.status_code == 201 and "group-commit" in seen, seen

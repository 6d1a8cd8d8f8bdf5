"""``POST /v1/events`` on the fast path answers exactly as the FastAPI route does.

The fast path (``serve/fastpath.py``) takes a well-formed, authorised event
itself and hands every other request, body replayed, to the route: each case
below is sent to the serving app and, the same request, to the FastAPI app
directly, and the two answers are compared; a counter on the FastAPI app shows
which requests the fast path took.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from test_serve_api import AUTH, client_for, items_of, users_of
from test_serve_units import run_dir  # noqa: F401  (fixture)

JSON = {"Content-Type": "application/json"}


def _post(c: TestClient, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    r = c.post("/v1/events", content=body, headers=headers)
    return r.status_code, r.json()


def test_event_fast_path_and_the_route_give_the_same_answers(run_dir: Path) -> None:  # noqa: F811
    user, item, other = users_of(run_dir)[0], items_of(run_dir)[0], items_of(run_dir)[1]
    with client_for(run_dir, max_body_bytes=2048) as fast:
        serving = fast.app
        inner = serving.api  # type: ignore[attr-defined]
        routed: list[str] = []

        async def counted(scope: Any, receive: Any, send: Any) -> None:
            routed.append(scope["path"])
            await inner(scope, receive, send)

        serving.api = counted  # type: ignore[attr-defined]
        route = TestClient(inner)
        ok = {**AUTH, **JSON}

        def both(body: dict[str, Any] | bytes, headers: dict[str, str]) -> tuple[int, Any, bool]:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            before = len(routed)
            got = _post(fast, raw, headers)
            took_fast = len(routed) == before
            want = _post(route, raw, headers)
            return (*got, took_fast) if got == want else (-1, (got, want), took_fast)

        # well-formed: the fast path answers; a retry gets the first ack from either path
        ev = {"user_id": user, "item_id": item, "event_id": "fast-1", "timestamp": 1_700_000_000}
        status, doc = _post(fast, json.dumps(ev).encode(), ok)
        took = not routed
        assert (status, took) == (201, True) and doc["event_id"] == "fast-1"
        assert set(doc) == {"event_id", "seq", "user_id", "item_id", "timestamp", "duplicate",
                            "new_user"} and doc["duplicate"] is False  # fmt: skip
        status, retry, took = both(ev, ok)
        assert (status, took) == (200, True), retry
        assert retry == {**doc, "duplicate": True, "new_user": False}
        # refused by the service (the same path for both): unknown item, reused event id
        for body, code in (
            ({"user_id": user, "item_id": "no-such-item"}, 422),
            ({**ev, "item_id": other}, 409),
        ):
            status, detail, took = both(body, ok)
            assert (status, took) == (code, True), detail
        # everything else goes to the route, which answers as documented
        cases: list[tuple[bytes | dict[str, Any], dict[str, str], int]] = [
            ({"user_id": user, "item_id": item}, JSON, 401),  # no token
            ({"user_id": user, "item_id": item}, {"Authorization": "Bearer nope", **JSON}, 401),
            ({"user_id": user, "item_id": item}, {**AUTH, "Content-Type": "text/plain"}, 422),
            (b'{"user_id": ', ok, 422),  # not JSON
            (b"[1, 2]", ok, 422),  # not an object
            ({"user_id": user}, ok, 422),  # no item
            ({"user_id": user, "item_id": item, "timestamp": True}, ok, 422),
            ({"user_id": user, "item_id": item, "timestamp": 1e20}, ok, 422),
            ({"user_id": user, "item_id": item, "extra": 1}, ok, 422),
            (b'{"user_id": "\xff", "item_id": "x"}', ok, 400),  # not UTF-8
            ({"user_id": "u" * 3000, "item_id": item}, ok, 413),  # over the body limit
        ]
        for body, headers, code in cases:
            status, detail, took = both(body, headers)
            assert (status, took) == (code, False), (body, headers, detail)


def test_writes_disabled_go_to_the_route(run_dir: Path) -> None:  # noqa: F811
    with client_for(run_dir, token=None) as c:
        user, item = users_of(run_dir)[0], items_of(run_dir)[0]
        r = c.post("/v1/events", json={"user_id": user, "item_id": item}, headers=AUTH)
        assert r.status_code == 503 and "disabled" in r.json()["detail"]


def test_fast_path_events_are_counted_as_the_route_counts_them(run_dir: Path) -> None:  # noqa: F811
    user, item = users_of(run_dir)[0], items_of(run_dir)[0]
    with client_for(run_dir) as c:
        for n in range(3):
            body = {"user_id": user, "item_id": item, "event_id": f"m-{n % 2}"}
            assert c.post("/v1/events", json=body, headers=AUTH).status_code in (200, 201)
        text = c.get("/metrics").text
    def count(outcome: str) -> float:
        (line,) = [ln for ln in text.splitlines() if ln.startswith(
            "recdistill_events_ingested_total") and f'outcome="{outcome}"' in ln]  # fmt: skip
        return float(line.split()[-1])

    assert (count("created"), count("duplicate")) == (2.0, 1.0)
    posts = [ln for ln in text.splitlines() if ln.startswith("recdistill_http_requests_total")
             and 'route="/v1/events"' in ln and 'method="POST"' in ln]  # fmt: skip
    assert sum(float(ln.split()[-1]) for ln in posts) == 3.0, posts

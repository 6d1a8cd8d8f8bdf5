"""Bad input is a 4xx naming the field, never a 500 or a stored oddity; the published
schema is what the service answers; a request racing a hot swap is answered."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_serve_api import AUTH, client, client_for, items_of, users_of  # noqa: F401
from test_serve_units import run_dir  # noqa: F401  (fixture)

from recdistill.serve.batcher import Batcher, BatcherClosed
from recdistill.serve.state import build_runtime


def post_event(c: TestClient, **fields: Any) -> Any:
    return c.post("/v1/events", json=fields, headers=AUTH)


@pytest.mark.parametrize(
    "timestamp",
    [1e20, 2**63, -8e19, -(2**63) - 1, 10**30, True, False, "not a date", [1], 1.5, "1714564800"],
)
def test_an_out_of_range_or_boolean_timestamp_is_a_422(
    client: TestClient, run_dir: Path, timestamp: Any  # noqa: F811
) -> None:
    r = post_event(client, user_id="u1", item_id=items_of(run_dir)[0], timestamp=timestamp)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("timestamp:")
    assert client.get("/v1/users/u1").json()["known"] is False  # nothing stored


@pytest.mark.parametrize(
    ("timestamp", "seconds"),
    [
        (1714564800, 1714564800),
        (1714564800.0, 1714564800),
        ("2024-05-01T12:00:00Z", 1714564800),
        ("2024-05-01T14:00:00+02:00", 1714564800),
        ("2024-05-01T12:00:00", 1714564800),  # no zone: UTC
        (253_402_300_799, 253_402_300_799),
        (-62_135_596_800, -62_135_596_800),
    ],
)
def test_valid_timestamps_are_stored_as_unix_seconds(
    client: TestClient, run_dir: Path, timestamp: Any, seconds: int  # noqa: F811
) -> None:
    r = post_event(client, user_id="u2", item_id=items_of(run_dir)[1], timestamp=timestamp)
    assert r.status_code == 201, r.text
    assert r.json()["timestamp"] == seconds


@pytest.mark.parametrize("field", ["user_id", "event_id", "item_id"])
@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "tab\there", "bell\x07"])
def test_control_characters_in_ids_are_a_422(
    client: TestClient, run_dir: Path, field: str, bad: str  # noqa: F811
) -> None:
    body = {"user_id": "u3", "item_id": items_of(run_dir)[2], "event_id": "e-1", field: bad}
    r = client.post("/v1/events", json=body, headers=AUTH)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}:")
    assert client.get("/v1/users/u3").json()["known"] is False


def test_a_boolean_k_is_refused(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[0]
    r = client.post("/v1/recommendations", json={"user_id": user, "k": True})
    assert r.status_code == 422 and r.json()["detail"].startswith("k:"), r.text
    r = client.post("/v1/recommendations", json={"user_id": user, "k": 3})
    assert r.status_code == 200 and len(r.json()["items"]) == 3


def test_a_body_that_is_not_utf8_is_a_documented_4xx(client: TestClient) -> None:  # noqa: F811
    r = client.post(
        "/v1/recommendations", content=b'{"user_id": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    assert "detail" in r.json() and "Traceback" not in r.text
    op = client.get("/openapi.json").json()["paths"]["/v1/recommendations"]["post"]
    assert str(r.status_code) in op["responses"]


def _ref(response: dict[str, Any]) -> str:
    return str(response["content"]["application/json"]["schema"]["$ref"])


def test_the_published_schema_is_what_the_service_answers(client: TestClient) -> None:  # noqa: F811
    spec = client.get("/openapi.json").json()
    text = str(spec)
    assert "HTTPValidationError" not in text  # FastAPI's array 'detail' is not what we send
    schemas = spec["components"]["schemas"]
    body = schemas["ValidationErrorBody"]
    assert body["properties"]["detail"]["type"] == "string"
    paths = spec["paths"]
    for path, ops in paths.items():
        for method, op in ops.items():
            if op.get("parameters") or op.get("requestBody"):
                assert _ref(op["responses"]["422"]).endswith("/ValidationErrorBody"), (path, method)
    # A 422 really has that shape.
    r = client.get("/v1/users/u/recommendations", params={"k": 0})
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and r.json()["errors"][0]["loc"] == "k"
    # 404 of an unknown item is documented, and answered.
    item = paths["/v1/items/{item_id}"]["get"]
    assert _ref(item["responses"]["404"]).endswith("/ErrorBody")
    assert client.get("/v1/items/NO-SUCH-ITEM").status_code == 404
    for route in ("/v1/events", "/v1/recommendations"):
        assert {"400", "413", "422"} <= set(paths[route]["post"]["responses"]), route
    # /metrics is Prometheus text, documented as such.
    metrics = paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
    # The event timestamp's bounds are in the schema.
    ts = schemas["EventIn"]["properties"]["timestamp"]["anyOf"][0]
    assert ts["type"] == "integer" and ts["maximum"] == 253_402_300_799


def test_docs_are_served_from_the_package_not_a_cdn(client: TestClient) -> None:  # noqa: F811
    html = client.get("/docs").text
    assert "cdn." not in html and "https://" not in html.split("<body>")[0]
    assert "/static-offline-docs/swagger-ui-bundle.js" in html
    js = client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert client.get("/static-offline-docs/swagger-ui.css").status_code == 200


def test_a_closed_batcher_answers_what_it_holds_and_refuses_the_rest() -> None:
    gate = threading.Event()

    def score(batch: Any) -> np.ndarray:
        gate.wait(5)
        return np.ones((len(batch.users), 3), dtype=np.float32)

    b = Batcher(score, "t")
    queued = [b.submit(np.array([0], np.int32), -1) for _ in range(3)]
    b.close()
    with pytest.raises(BatcherClosed):
        b.submit(np.array([1], np.int32), -1)
    gate.set()
    assert all(f.result(timeout=5).shape == (3,) for f in queued)
    b.close()  # idempotent


def test_a_request_racing_a_hot_swap_is_answered(run_dir: Path) -> None:  # noqa: F811
    """A reload that closes the models between a request's reading of the runtime and
    its asking for the row used to leave the request waiting on a batcher that had
    stopped, forever (seen with PostgreSQL, whose per-request sync query widened that
    window). Now the old model answers it."""
    user = users_of(run_dir)[0]
    with client_for(run_dir) as c:
        service = c.app.service  # type: ignore[attr-defined]
        for m in service.runtime.models.slots():
            if m.batcher is None:  # batch every model, as a slow teacher is
                m.batcher = Batcher(m.score, m.name)
        begin, raced = service.begin, []

        def racing_begin(*args: Any, **kwargs: Any) -> Any:
            got = begin(*args, **kwargs)
            if not raced:  # a reload lands between reading the runtime and scoring
                raced.append(True)
                old = service.runtime
                service.runtime = build_runtime(run_dir, service.store, previous=old)
                old.models.close()
            return got

        service.begin = racing_begin
        out: list[Any] = []
        t = threading.Thread(
            target=lambda: out.append(
                c.get(f"/v1/users/{user}/recommendations", params={"model": "teacher"})
            ),
            daemon=True,
        )
        t.start()
        t.join(timeout=30)
        assert raced and not t.is_alive(), "the request was left waiting"
        doc = out[0].json()
        assert out[0].status_code == 200 and doc["policy"] == "known_user"
        assert len(doc["items"]) == 10

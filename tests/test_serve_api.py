"""The HTTP API in-process (Starlette's TestClient): every endpoint, auth, policies, errors."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_serve_units import TOKEN, add_student, run_dir  # noqa: F401  (fixture)

from recdistill.runfolder import RunFolder
from recdistill.serve import ServeOptions, create_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def client_for(run: Path, token: str | None = TOKEN, **options: Any) -> TestClient:
    options.setdefault("warm", 0)  # tests that want the warm-up ask for it
    return TestClient(create_app(ServeOptions(run_dir=run, **options), token=token or ""))


@pytest.fixture
def client(run_dir: Path) -> Iterator[TestClient]:  # noqa: F811
    with client_for(run_dir) as c:
        yield c


def users_of(run: Path) -> list[str]:
    return [str(u) for u in json.loads((run / "data" / "dataset.json").read_text())["users"]]


def items_of(run: Path) -> list[str]:
    return [str(i) for i in json.loads((run / "data" / "dataset.json").read_text())["items"]]


def recs(client: TestClient, user: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"/v1/users/{user}/recommendations", params=params)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def ids(doc: dict[str, Any]) -> list[str]:
    return [it["item_id"] for it in doc["items"]]


# -- recommendations -------------------------------------------------------------------


def test_known_user_gets_the_students_list(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[0]
    r = client.get(f"/v1/users/{user}/recommendations", params={"k": 5})
    doc = r.json()
    assert r.status_code == 200 and r.headers["x-model-version"] == doc["model_version"]
    assert doc["user_id"] == user and doc["model"] == "student" and doc["policy"] == "known_user"
    assert doc["model_name"] == "student" and len(doc["model_version"]) == 12
    assert len(doc["items"]) == 5
    assert set(doc["items"][0]) == {"item_id", "score", "title", "category"}
    scores = [it["score"] for it in doc["items"]]
    assert scores == sorted(scores, reverse=True)
    # The history is excluded by default.
    seen = {h["item_id"] for h in client.get(f"/v1/users/{user}?limit=1000").json()["history"]}
    assert not seen & set(ids(doc))
    teacher = recs(client, user, k=5, model="teacher")
    assert teacher["model"] == "teacher" and teacher["model_name"] == "teacher"
    assert teacher["model_version"] != doc["model_version"]


def test_exclude_and_category_filters(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[1]
    first = ids(recs(client, user, k=10))
    doc = client.get(
        f"/v1/users/{user}/recommendations", params=[("k", 10), ("exclude", first[0]),
                                                     ("exclude", first[1])]
    ).json()
    assert ids(doc)[:8] == first[2:10]
    cat = doc["items"][0]["category"]
    top = cat.split(" > ")[0]
    in_cat = recs(client, user, k=5, category=top)
    assert in_cat["items"] and all(
        it["category"] == top or it["category"].startswith(top + " > ") for it in in_cat["items"]
    )
    r = client.get(f"/v1/users/{user}/recommendations", params={"category": "No Such Thing"})
    assert r.status_code == 422 and "category" in r.json()["detail"]


def test_unknown_user_policy(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    doc = recs(client, "nobody-ever", k=5)
    assert doc["policy"] == "fallback" and doc["user_id"] == "nobody-ever"
    counts = [it["score"] for it in doc["items"]]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 1
    # The fallback is the most popular items (interaction counts over the run's data).
    item = client.get(f"/v1/items/{doc['items'][0]['item_id']}").json()
    assert item["interactions"] == counts[0]
    # After one event the user is known, and scored from that history.
    items = items_of(run_dir)
    r = client.post("/v1/events", json={"user_id": "nobody-ever", "item_id": items[3]},
                    headers=AUTH)
    assert r.status_code == 201 and r.json()["new_user"] is True
    doc = recs(client, "nobody-ever", k=5)
    assert doc["policy"] == "known_user" and items[3] not in ids(doc)


def test_post_recommendations_single_history_and_batch(
    client: TestClient, run_dir: Path  # noqa: F811
) -> None:
    user, items = users_of(run_dir)[2], items_of(run_dir)
    one = client.post("/v1/recommendations", json={"user_id": user, "k": 4}).json()
    assert one["policy"] == "known_user" and one == recs(client, user, k=4)
    hist = client.post("/v1/recommendations",
                       json={"history": items[:3], "k": 4, "model": "teacher"}).json()
    assert hist["policy"] == "history" and hist["user_id"] is None
    assert hist["model"] == "teacher" and not set(items[:3]) & set(ids(hist))
    empty = client.post("/v1/recommendations", json={"history": [], "k": 3}).json()
    assert empty["policy"] == "fallback"
    batch = client.post("/v1/recommendations", json={"requests": [
        {"user_id": user, "k": 2}, {"history": items[:2], "k": 3}, {"user_id": "ghost"}]})
    assert batch.status_code == 200
    got = batch.json()["results"]
    assert [d["policy"] for d in got] == ["known_user", "history", "fallback"]
    assert [len(d["items"]) for d in got] == [2, 3, 10]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/v1/users/u/recommendations?k=0", None, "k:"),
        ("get", "/v1/users/u/recommendations?k=101", None, "k:"),
        ("get", "/v1/users/u/recommendations?k=abc", None, "k:"),
        ("get", "/v1/users/u/recommendations?model=giant", None, "model:"),
        ("post", "/v1/recommendations", {"user_id": "u", "k": 1000}, "k:"),
        ("post", "/v1/recommendations", {"user_id": "u", "history": ["x"]}, "body:"),
        ("post", "/v1/recommendations", {"k": 3}, "body:"),
        ("post", "/v1/recommendations", {"user_id": "u", "surprise": 1}, "surprise:"),
        ("post", "/v1/recommendations", {"history": ["no-such-item"]}, "history:"),
        ("post", "/v1/recommendations", {"requests": []}, "requests:"),
        ("get", "/v1/items?q=", None, "q:"),
        ("get", "/v1/items?q=a&limit=1000", None, "limit:"),
    ],
)
def test_bad_requests_are_4xx_with_one_line(
    client: TestClient, method: str, path: str, body: Any, field: str
) -> None:
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(field) and "\n" not in detail and "Traceback" not in r.text


def test_malformed_and_oversized_bodies(client: TestClient) -> None:
    r = client.post("/v1/recommendations", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text
    big = {"history": ["x"] * 100_000}
    r = client.post("/v1/recommendations", json=big)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


def test_teacher_missing_is_a_clear_422(
    tmp_path: Path, run_dir: Path  # noqa: F811
) -> None:
    doc = json.loads((run_dir / "metrics.json").read_text())
    del doc["models"]["teacher"]
    (run_dir / "metrics.json").write_text(json.dumps(doc))
    shutil.rmtree(run_dir / "models" / "teacher")
    with client_for(run_dir) as c:
        r = c.get("/v1/users/u/recommendations", params={"model": "teacher"})
        assert r.status_code == 422 and "teacher" in r.json()["detail"]
        assert "teacher" not in c.get("/health").json()["models"]


# -- events ----------------------------------------------------------------------------


def test_events_need_a_configured_token(run_dir: Path) -> None:  # noqa: F811
    with client_for(run_dir, token=None) as c:
        r = c.post("/v1/events", json={"user_id": "u", "item_id": "x"}, headers=AUTH)
        assert r.status_code == 503 and "RECDISTILL_API_TOKEN" in r.json()["detail"]
        assert c.get("/health").json()["writes"].startswith("disabled")
        # Reads still work.
        assert c.get("/v1/users/u/recommendations").status_code == 200


def test_events_refuse_missing_or_wrong_token(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    body = {"user_id": "u", "item_id": items_of(run_dir)[0]}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        r = client.post("/v1/events", json=body, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert client.get("/v1/users/u").json()["known"] is False  # nothing was written


def test_event_updates_the_next_answer_at_once(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[4]
    before = recs(client, user, k=10)
    length = client.get(f"/v1/users/{user}").json()["length"]
    picked = before["items"][0]["item_id"]
    r = client.post("/v1/events", json={"user_id": user, "item_id": picked,
                                        "timestamp": "2024-05-01T12:00:00Z"}, headers=AUTH)
    assert r.status_code == 201
    ack = r.json()
    assert ack["duplicate"] is False and ack["new_user"] is False and ack["seq"] >= 1
    assert ack["timestamp"] == 1714564800 and len(ack["event_id"]) >= 16
    after = recs(client, user, k=10)
    assert picked not in ids(after) and after["items"] != before["items"]
    u = client.get(f"/v1/users/{user}").json()
    assert u["length"] == length + 1 and u["live_events"] == 1
    assert u["history"][-1]["item_id"] == picked
    # The teacher reflects it as well.
    assert picked not in ids(recs(client, user, k=10, model="teacher"))


def test_event_id_makes_retries_idempotent(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user, items = users_of(run_dir)[5], items_of(run_dir)
    body = {"user_id": user, "item_id": items[7], "event_id": "click-42", "timestamp": 1000}
    first = client.post("/v1/events", json=body, headers=AUTH)
    again = client.post("/v1/events", json={**body, "timestamp": 2000}, headers=AUTH)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert client.get(f"/v1/users/{user}").json()["live_events"] == 1
    clash = client.post("/v1/events", json={**body, "item_id": items[8]}, headers=AUTH)
    assert clash.status_code == 409 and "click-42" in clash.json()["detail"]
    m = client.get("/metrics").text
    assert 'recdistill_events_ingested_total{outcome="created"} 1.0' in m
    assert 'recdistill_events_ingested_total{outcome="duplicate"} 1.0' in m


def test_unknown_item_is_422_naming_it(client: TestClient) -> None:
    r = client.post("/v1/events", json={"user_id": "u", "item_id": "NOT-AN-ITEM"}, headers=AUTH)
    assert r.status_code == 422 and "'NOT-AN-ITEM'" in r.json()["detail"]
    r = client.post("/v1/events", json={"user_id": "", "item_id": "x"}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"].startswith("user_id:")


def test_restart_rebuilds_users_from_the_store(run_dir: Path) -> None:  # noqa: F811
    user, items = users_of(run_dir)[6], items_of(run_dir)
    with client_for(run_dir) as c:
        for i, item in enumerate(items[10:13]):
            assert c.post("/v1/events", json={"user_id": user, "item_id": item,
                                              "event_id": f"r{i}"}, headers=AUTH).status_code == 201
        c.post("/v1/events", json={"user_id": "brand-new", "item_id": items[20]}, headers=AUTH)
        before = recs(c, user, k=10)
        hist = c.get(f"/v1/users/{user}?limit=1000").json()
    with client_for(run_dir) as c:  # a new process, the same store
        assert c.get(f"/v1/users/{user}?limit=1000").json() == hist
        assert recs(c, user, k=10) == before
        assert recs(c, "brand-new")["policy"] == "known_user"
        assert c.get("/health").json()["events_applied"] == 4


# -- catalogue, run, operations ---------------------------------------------------------


def test_items_lookup_and_search(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    item = items_of(run_dir)[0]
    doc = client.get(f"/v1/items/{item}").json()
    assert doc["item_id"] == item and doc["title"] and "interactions" in doc
    assert client.get("/v1/items/nope").status_code == 404
    word = doc["title"].split()[0]
    found = client.get("/v1/items", params={"q": word.lower(), "limit": 5}).json()["items"]
    assert found and len(found) <= 5 and all(word.lower() in f["title"].lower() for f in found)


def test_run_info_health_and_metrics(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    info = client.get("/v1/run").json()
    assert info["dataset"]["name"] == "tiny-shop" and info["sample_users"]
    assert info["models"]["student"]["kd"] == "listwise"
    assert info["models"]["teacher"]["headline"]["ndcg@10"] is not None
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["store"]["backend"] == "sqlite"
    assert h["store"]["revision"] == "0001_events" and h["note"] is None
    assert h["models"]["student"]["name"] == "student"
    recs(client, users_of(run_dir)[0])
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    v = h["models"]["student"]["version"]
    info = 'kd="listwise",kind="itemknn",name="student",slot="student"'
    assert f'recdistill_model_info{{{info},version="{v}"}} 1.0' in m.text
    route = 'route="/v1/users/{user_id}/recommendations"'
    assert f'recdistill_http_request_seconds_bucket{{le="0.005",{route}}}' in m.text
    assert 'recdistill_recommendations_total{model="student",policy="known_user"}' in m.text


def test_openapi_docs_and_page(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/v1/users/{user_id}/recommendations", "/v1/recommendations", "/v1/events",
              "/v1/items/{item_id}", "/v1/items", "/health", "/metrics", "/v1/admin/reload"):
        assert p in paths, p
    params = {p["name"] for p in paths["/v1/users/{user_id}/recommendations"]["get"]["parameters"]}
    assert {"k", "model", "exclude", "category"} <= params
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers[
        "content-security-policy"]
    assert 'src="/static/page.js"' in page.text
    js = client.get("/static/page.js")
    assert js.status_code == 200 and 'data-testid": "rec-item"' in js.text
    assert "http://" not in js.text and "https://" not in js.text  # no network at run time


def test_reload_swaps_the_model_atomically(client: TestClient, run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[3]
    old = recs(client, user)
    # A new student appears in the run folder (a retrain): reload picks it up.
    add_student(run_dir, "student_v2", source="teacher", kd="listwise", ndcg=0.9)
    r = client.post("/v1/admin/reload", headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["models"]["student"]["name"] == "student_v2"
    assert body["users_rebuilt"] is False
    new = recs(client, user)
    assert new["model_name"] == "student_v2" and new["model_version"] != old["model_version"]
    assert 'recdistill_model_reloads_total{outcome="ok"} 1.0' in client.get("/metrics").text
    # A broken run folder keeps the old models serving.
    (run_dir / "metrics.json").write_text("{not json")
    RunFolder.open(run_dir)
    r = client.post("/v1/admin/reload", headers=AUTH)
    assert r.status_code == 500 and "previous models kept" in r.json()["detail"]
    assert recs(client, user)["model_name"] == "student_v2"


def test_no_student_serves_the_best_other_model_and_says_so(run_dir: Path) -> None:  # noqa: F811
    doc = json.loads((run_dir / "metrics.json").read_text())
    del doc["models"]["student"]
    (run_dir / "metrics.json").write_text(json.dumps(doc))
    with client_for(run_dir) as c:
        h = c.get("/health").json()
        assert "no student" in h["note"] and h["models"]["student"]["role"] == "baseline"
    with client_for(run_dir, model="popularity") as c:
        assert recs(c, "x")["model_name"] == "popularity"


def test_cache_never_serves_a_stale_list(run_dir: Path) -> None:  # noqa: F811
    user, items = users_of(run_dir)[8], items_of(run_dir)
    with client_for(run_dir, cache_size=0) as plain, client_for(run_dir) as cached:
        for _ in range(2):
            assert recs(cached, user, k=7) == recs(plain, user, k=7)
        first = recs(cached, user, k=20)
        ex = [("exclude", i) for i in ids(first)[:3]]
        a = cached.get(f"/v1/users/{user}/recommendations", params=[("k", 10), *ex]).json()
        b = plain.get(f"/v1/users/{user}/recommendations", params=[("k", 10), *ex]).json()
        assert a == b
        assert cached.get("/health").json()["cache"]["hits"] >= 2
        body = {"user_id": user, "item_id": ids(first)[0], "event_id": "c1"}
        assert cached.post("/v1/events", json=body, headers=AUTH).status_code == 201
    with client_for(run_dir, cache_size=0) as plain, client_for(run_dir) as cached:
        assert recs(cached, user, k=7) == recs(plain, user, k=7)
        assert ids(first)[0] not in ids(recs(cached, user, k=20))
    _ = items


def test_warm_up_fills_the_cache_with_the_models_own_lists(run_dir: Path) -> None:  # noqa: F811
    user = users_of(run_dir)[9]
    with client_for(run_dir, warm=1000) as c, client_for(run_dir, cache_size=0) as plain:
        deadline = time.monotonic() + 30
        while c.get("/health").json()["cache"]["warming"] and time.monotonic() < deadline:
            time.sleep(0.05)
        cache = c.get("/health").json()["cache"]
        assert cache["warmed"] >= 150 and cache["entries"] == cache["warmed"]
        hits = cache["hits"]
        for slot in ("student", "teacher"):
            # Scored in a batch of 16 vs alone: the same list, scores equal to float32 rounding.
            warm, alone = recs(c, user, k=10, model=slot), recs(plain, user, k=10, model=slot)
            assert ids(warm) == ids(alone)
            assert [it["score"] for it in warm["items"]] == pytest.approx(
                [it["score"] for it in alone["items"]], rel=1e-5)
        assert c.get("/health").json()["cache"]["hits"] == hits + 2


# -- one schema for the hot route ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["k=5", "k=3&model=teacher&exclude_seen=false", "k=0", "k=101", "k=abc", "model=giant",
     "exclude_seen=maybe", "category=nope"],
)
def test_fast_path_and_fastapi_route_answer_alike(
    client: TestClient, run_dir: Path, query: str  # noqa: F811
) -> None:
    """The fast path and the FastAPI route it shadows validate with one schema and answer alike."""
    user = users_of(run_dir)[0]
    fast = client.get(f"/v1/users/{user}/recommendations?{query}")
    api = client.app.api  # type: ignore[attr-defined]  # the FastAPI app behind the fast path
    slow = TestClient(api).get(f"/v1/users/{user}/recommendations?{query}")  # no 2nd lifespan
    assert fast.status_code == slow.status_code
    assert fast.json()["detail" if fast.status_code != 200 else "items"] == slow.json()[
        "detail" if slow.status_code != 200 else "items"
    ]


def test_openapi_bounds_come_from_the_query_schema(client: TestClient) -> None:
    from recdistill.serve.schemas import MAX_EXCLUDE, MAX_K

    spec = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in
              spec["paths"]["/v1/users/{user_id}/recommendations"]["get"]["parameters"]}
    assert params["k"]["maximum"] == MAX_K and params["k"]["minimum"] == 1
    assert params["exclude"]["maxItems"] == MAX_EXCLUDE
    assert params["model"]["enum"] == ["student", "teacher"]

"""The hot path, ``GET /v1/users/{user_id}/recommendations``, as a pure ASGI front.

:class:`ServingApp` answers that one route itself and hands every other
request to the FastAPI app. FastAPI's middleware stack and per-parameter
dependency solving cost more than scoring a small student, so this route
parses its few parameters by hand (:func:`parse_query`, the same bounds as
the schemas), and is described in ``/openapi.json`` by
:data:`OPENAPI_USER_RECS`. Errors are the same one-line JSON ``detail`` with
a 4xx status; an unexpected error is logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive, Scope, Send

from recdistill.serve.metrics import Metrics
from recdistill.serve.schemas import MAX_EXCLUDE, MAX_K
from recdistill.serve.service import Query as RecQuery
from recdistill.serve.service import ServeError, Service

log = logging.getLogger("recdistill.serve")

_HOT = re.compile(r"^/v1/users/([^/]+)/recommendations/?$")
_JSON = (b"content-type", b"application/json")

USER_RECS = "/v1/users/{user_id}/recommendations"

OPENAPI_USER_RECS: dict[str, Any] = {
    "get": {
        "tags": ["recommendations"],
        "summary": "Top-k for a user (known user, or the fallback for an unknown one)",
        "operationId": "user_recommendations",
        "parameters": [
            {"name": "user_id", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 256}},
            {"name": "k", "in": "query", "schema": {
                "type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}},
            {"name": "model", "in": "query", "schema": {
                "type": "string", "enum": ["student", "teacher"], "default": "student"}},
            {"name": "exclude", "in": "query", "description": "Item id never to return "
             "(repeatable).", "schema": {"type": "array", "items": {"type": "string"},
                                         "maxItems": MAX_EXCLUDE}},
            {"name": "category", "in": "query", "description": "Only items in this "
             "category or below it.", "schema": {"type": "string", "maxLength": 256}},
            {"name": "exclude_seen", "in": "query", "schema": {
                "type": "boolean", "default": True}},
        ],
        "responses": {
            "200": {"description": "Recommendations", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Recommendations"}}}},
            "422": {"description": "Invalid parameter (one-line detail)."},
        },
    }
}

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def parse_query(query_string: bytes) -> RecQuery:
    """Query string of the GET recommendations route -> :class:`Query` (422 on error)."""
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        raise ServeError(422, "query: malformed query string") from None
    params: dict[str, str] = {}
    exclude: list[str] = []
    for key, value in pairs:
        if key == "exclude":
            exclude.append(value)
        else:
            params[key] = value
    raw_k = params.get("k", "10")
    try:
        k = int(raw_k)
    except ValueError:
        raise ServeError(422, f"k: expected an integer, got '{raw_k[:20]}'") from None
    if not 1 <= k <= MAX_K:
        raise ServeError(422, f"k: expected 1 to {MAX_K}, got {k}")
    model = params.get("model", "student")
    if model not in ("student", "teacher"):
        raise ServeError(422, f"model: expected 'student' or 'teacher', got '{model[:40]}'")
    if len(exclude) > MAX_EXCLUDE:
        raise ServeError(422, f"exclude: at most {MAX_EXCLUDE} items")
    category = params.get("category")
    if category is not None and len(category) > 256:
        raise ServeError(422, "category: at most 256 characters")
    seen = params.get("exclude_seen", "true").lower()
    if seen not in _TRUE | _FALSE:
        raise ServeError(422, f"exclude_seen: expected true or false, got '{seen[:20]}'")
    return RecQuery(k, model, tuple(exclude), category or None, seen in _TRUE)



class ServingApp:
    """ASGI app: the hot route here, everything else (``api``) in FastAPI."""

    def __init__(self, api: Any, service: Service, metrics: Metrics) -> None:
        self.api = api
        self.state = api.state
        self.service = service
        self.metrics = metrics
        self._latency = metrics.latency.labels(USER_RECS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            m = _HOT.match(scope["path"])
            if m is not None:
                await self._recommend(m.group(1), scope, send)
                return
        await self.api(scope, receive, send)

    async def _recommend(self, user_id: str, scope: Scope, send: Send) -> None:
        start = time.perf_counter()
        service = self.service
        status = 200
        headers = [_JSON]
        try:
            if len(user_id) > 256:
                raise ServeError(422, "user_id: at most 256 characters")
            q = parse_query(scope.get("query_string", b""))
            doc = await service.for_user_async(user_id, q)
            self.metrics.recommendations.labels(q.model, doc["policy"]).inc()
            headers.append((b"x-model-version", doc["model_version"].encode()))
        except ServeError as exc:
            status, doc = exc.status, {"detail": exc.message}
        except Exception:
            log.exception("serve: error answering GET %s", scope["path"])
            status, doc = 500, {"detail": "internal server error"}
        body = orjson.dumps(doc)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self._latency.observe(time.perf_counter() - start)
        self.metrics.requests.labels(USER_RECS, "GET", str(status)).inc()

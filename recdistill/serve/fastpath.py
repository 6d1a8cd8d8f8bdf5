"""The hot path, ``GET /v1/users/{user_id}/recommendations``, as a pure ASGI front.

:class:`ServingApp` answers that one route itself and hands every other
request to the FastAPI app. FastAPI's middleware stack and per-parameter
dependency solving cost more than scoring a small student, so this route
parses its query string itself (:func:`parse_query`) and validates it with
the schema the FastAPI route declares and ``/openapi.json`` shows
(:class:`~recdistill.serve.schemas.UserRecsQuery`). Errors are the same
one-line JSON ``detail`` with a 4xx status; an unexpected error is logged and
answered with a bare 500.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from recdistill.serve.metrics import Metrics
from recdistill.serve.schemas import MAX_ID, Options, UserRecsQuery, error_detail
from recdistill.serve.service import Query as RecQuery
from recdistill.serve.service import ServeError, Service

log = logging.getLogger("recdistill.serve")

_HOT = re.compile(r"^/v1/users/([^/]+)/recommendations/?$")
_JSON = (b"content-type", b"application/json")

USER_RECS = "/v1/users/{user_id}/recommendations"
_QUERIES = 1024  # distinct query strings remembered (then forgotten all at once)


def parse_query(query_string: bytes) -> RecQuery:
    """Query string of the GET recommendations route -> :class:`Query` (422 on error).

    Validated by :class:`~recdistill.serve.schemas.UserRecsQuery`, the schema the
    FastAPI route declares (so ``/openapi.json`` and this parser cannot disagree);
    ``exclude`` may repeat, other parameters keep their last value.
    """
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        raise ServeError(422, "query: malformed query string") from None
    params: dict[str, Any] = {}
    exclude: list[str] = []
    for key, value in pairs:
        if key == "exclude":
            exclude.append(value)
        else:
            params[key] = value
    if exclude:
        params["exclude"] = exclude
    try:
        q = UserRecsQuery.model_validate(params)
    except ValidationError as exc:
        raise ServeError(422, *error_detail(exc.errors())) from None
    return to_query(q)


def to_query(q: Options) -> RecQuery:
    """The service's :class:`Query` for validated request options."""
    return RecQuery(q.k, q.model, tuple(q.exclude), q.category or None, q.exclude_seen)


class ServingApp:
    """ASGI app: the hot route here, everything else (``api``) in FastAPI."""

    def __init__(self, api: Any, service: Service, metrics: Metrics) -> None:
        self.api = api
        self.state = api.state
        self.service = service
        self.metrics = metrics
        self._latency = metrics.latency.labels(USER_RECS)
        self._queries: dict[bytes, RecQuery] = {}
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

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
            if len(user_id) > MAX_ID:
                raise ServeError(422, f"user_id: at most {MAX_ID} characters")
            q = self._query(scope.get("query_string", b""))
            doc = await service.for_user_async(user_id, q)
            self._child(self.metrics.recommendations, q.model, doc["policy"]).inc()
            headers.append((b"x-model-version", doc["model_version"].encode()))
        except ServeError as exc:
            status, doc = exc.status, exc.body()
        except Exception:
            log.exception("serve: error answering GET %s", scope["path"])
            status, doc = 500, {"detail": "internal server error"}
        body = orjson.dumps(doc)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self._latency.observe(time.perf_counter() - start)
        self._child(self.metrics.requests, USER_RECS, "GET", str(status)).inc()

    def _query(self, query_string: bytes) -> RecQuery:
        """:func:`parse_query`, remembered for the query strings seen most (clients send
        the same few; a :class:`Query` is immutable, so one serves every request)."""
        q = self._queries.get(query_string)
        if q is None:
            q = parse_query(query_string)  # a 422 is raised here, never remembered
            if len(self._queries) >= _QUERIES:
                self._queries.clear()
            self._queries[query_string] = q
        return q

    def _child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, remembered (``labels()`` costs microseconds)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

"""The hot paths, ``GET /v1/users/{user_id}/recommendations`` and ``POST /v1/events``,
as a pure ASGI front.

:class:`ServingApp` answers those routes itself and hands every other request
to the FastAPI app. FastAPI's middleware stack and per-parameter dependency
solving cost more than scoring a small student (or committing an event), so
the GET route parses its query string itself (:func:`parse_query`) and
validates it with the schema the FastAPI route declares and ``/openapi.json``
shows (:class:`~recdistill.serve.schemas.UserRecsQuery`). Errors are the same
one-line JSON ``detail`` with a 4xx status; an unexpected error is logged and
answered with a bare 500.

``POST /v1/events`` is answered here only when the request is the common,
well-formed case: the right bearer token, a JSON ``Content-Type`` and
``Content-Length`` within the body limit, and a body that validates as
:class:`~recdistill.serve.schemas.EventIn`; it is then recorded by the same
function as the FastAPI route (:func:`~recdistill.serve.routes.events.ingest`).
Any other request goes, with its body replayed, to the FastAPI route, so every
refusal (400, 401, 413, 422, 503 for writes disabled) is the route's own.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from recdistill.serve.limits import read_body, replay
from recdistill.serve.metrics import Metrics
from recdistill.serve.schemas import MAX_ID, EventIn, Options, UserRecsQuery, error_detail
from recdistill.serve.service import Query as RecQuery
from recdistill.serve.service import ServeError, Service

log = logging.getLogger("recdistill.serve")

_HOT = re.compile(r"^/v1/users/([^/]+)/recommendations/?$")
_JSON = (b"content-type", b"application/json")

USER_RECS = "/v1/users/{user_id}/recommendations"
EVENTS = "/v1/events"
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


async def ingest(service: Service, metrics: Metrics, event: EventIn) -> tuple[dict[str, Any], int]:
    """Record one validated event: ``(ack, 201)``, or ``(the first ack, 200)`` for a retry
    (:class:`ServeError` for a refusal); also the FastAPI route's (``routes/events.py``)."""
    try:
        stored, created, new_user = await service.record(
            event.user_id, event.item_id, unix(event.timestamp), event.event_id
        )
    except ServeError:
        metrics.event_outcomes["rejected"].inc()
        raise
    metrics.event_outcomes["created" if created else "duplicate"].inc()
    metrics.users.set(len(service.runtime.users))
    return {**stored.ack(duplicate=not created), "new_user": new_user}, 201 if created else 200


def unix(ts: int | None) -> int:
    """Unix seconds of an event's timestamp (validated by the schema; receipt time when absent)."""
    return int(time.time()) if ts is None else ts


def bearer_ok(authorization: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (constant-time compare)."""
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def _event(body: bytes) -> EventIn | None:
    """The body as a valid event, or None (then the FastAPI route gives the answer)."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    try:
        return EventIn.model_validate(obj)
    except ValidationError:
        return None


def to_query(q: Options) -> RecQuery:
    """The service's :class:`Query` for validated request options."""
    return RecQuery(q.k, q.model, tuple(q.exclude), q.category or None, q.exclude_seen)


class ServingApp:
    """ASGI app: the hot route here, everything else (``api``) in FastAPI."""

    def __init__(
        self, api: Any, service: Service, metrics: Metrics, token: str | None, max_body: int
    ) -> None:
        self.api = api
        self.state = api.state
        self.service = service
        self.metrics = metrics
        self.token = token
        self.max_body = max_body
        self._latency = metrics.latency.labels(USER_RECS)
        self._events_latency = metrics.latency.labels(EVENTS)
        self._queries: dict[bytes, RecQuery] = {}
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "GET":
                m = _HOT.match(scope["path"])
                if m is not None:
                    await self._recommend(m.group(1), scope, send)
                    return
            elif scope["method"] == "POST" and scope["path"] == EVENTS:
                await self._ingest(scope, receive, send)
                return
        await self.api(scope, receive, send)

    async def _ingest(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /v1/events`` when well-formed and authorised, else the FastAPI route."""
        start = time.perf_counter()
        length = self._declared(scope)
        if length is None:
            await self.api(scope, receive, send)
            return
        got = await read_body(receive, length)
        if got is None:  # the client went away
            return
        body, ended = got
        event = _event(body) if ended and len(body) == length else None
        if event is None:  # the route answers (and refuses) it
            await self.api(scope, replay(body, receive, not ended), send)
            return
        try:
            doc, status = await ingest(self.service, self.metrics, event)
        except ServeError as exc:
            status, doc = exc.status, exc.body()
        except Exception:
            log.exception("serve: error answering POST %s", EVENTS)
            status, doc = 500, {"detail": "internal server error"}
        out = orjson.dumps(doc)
        headers = [_JSON, (b"content-length", str(len(out)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})
        self._events_latency.observe(time.perf_counter() - start)
        self._child(self.metrics.requests, EVENTS, "POST", str(status)).inc()

    def _declared(self, scope: Scope) -> int | None:
        """The body's declared length when this request may take the fast path."""
        if self.token is None:
            return None
        length = auth = ctype = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"authorization":
                auth = value
            elif name == b"content-type":
                ctype = value
        if length is None or auth is None or ctype is None or not length.isdigit():
            return None
        if ctype.split(b";")[0].strip().lower() != b"application/json":
            return None
        if int(length) > self.max_body or not bearer_ok(auth.decode("latin-1"), self.token):
            return None
        return int(length)

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

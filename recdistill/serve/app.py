"""The HTTP app: FastAPI routes over :class:`~recdistill.serve.service.Service`.

Hot paths return pre-serialised JSON (orjson) and skip response-model
validation; the response schemas still describe them in ``/openapi.json``.
Scoring runs on the event loop when the model answers in well under a
millisecond, else in a worker thread (``registry.INLINE_SCORING_MS``).
Errors are JSON ``{"detail": "..."}`` with a 4xx status and a one-line
message; unexpected errors are logged and answered with a bare 500.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from recdistill.serve import page
from recdistill.serve.fastpath import OPENAPI_USER_RECS, USER_RECS, ServingApp
from recdistill.serve.limits import BodyLimit
from recdistill.serve.metrics import Metrics, MetricsMiddleware
from recdistill.serve.options import TOKEN_ENV, ServeOptions, api_token
from recdistill.serve.schemas import (
    BatchRecommendations,
    EventAck,
    EventIn,
    Item,
    ItemList,
    Recommendations,
    RecRequest,
    RecRequestBody,
    UserHistory,
)
from recdistill.serve.service import Query as RecQuery
from recdistill.serve.service import ServeError, Service
from recdistill.serve.store import EventStore, safe_url

log = logging.getLogger("recdistill.serve")

JSON = "application/json"


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=JSON, headers=headers)


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"detail": detail}, status, headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def create_app(options: ServeOptions, *, token: str | None = None) -> ServingApp:
    """Build the app: open and migrate the store, load the run, wire the routes.

    ``token`` defaults to ``RECDISTILL_API_TOKEN``, else the run config's
    ``serve.token_file`` / ``serve.token`` (``""``: none); without one the
    write endpoints answer 503.
    """
    token = api_token(options.run_dir) if token is None else (token.strip() or None)
    store = EventStore(options.store_url())
    revision = store.migrate()
    service = Service(
        options.run_dir,
        store,
        model=options.model,
        sync=options.syncing(),
        cache_size=options.cache_size,
    )
    metrics = Metrics()
    metrics.observe_models(
        lambda: [{**m.info(), "slot": m.slot} for m in service.runtime.models.slots()]
    )
    metrics.observe_cache(
        lambda: (
            service.runtime.cache.hits,
            service.runtime.cache.misses,
            len(service.runtime.cache),
        )
    )
    _log_startup(service, revision, token is not None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        hup = False
        try:
            loop.add_signal_handler(
                signal.SIGHUP,
                lambda: asyncio.ensure_future(_reload(service, metrics, "SIGHUP", options.warm)),
            )
            hup = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests), or no signals on this platform
        start_warm(service, options.warm)
        try:
            yield
        finally:
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)
            service.runtime.models.close()
            store.dispose()

    app = FastAPI(
        title="recdistill",
        summary="Real-time recommendations from a distilled student (and its teacher).",
        version="1",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.metrics = metrics

    # -- errors ----------------------------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": _loc(tuple(e["loc"])), "msg": str(e["msg"]).removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": "body", "msg": "invalid request"}
        return json_response({"detail": f"{first['loc']}: {first['msg']}", "errors": errors}, 422)

    @app.exception_handler(ServeError)
    async def _refused(request: Request, exc: ServeError) -> Response:
        return error(exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("serve: error answering %s %s", request.method, request.url.path)
        return error(500, "internal server error")

    # -- auth ------------------------------------------------------------------
    def require_token(request: Request) -> None:
        if token is None:
            raise ServeError(
                503,
                f"write endpoints are disabled: start the server with {TOKEN_ENV} set "
                "(see docs/serving.md)",
            )
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), token.encode()
        ):
            raise HTTPException(
                401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"}
            )

    authed = [Depends(require_token)]

    # -- recommendations -----------------------------------------------------
    @app.post(
        "/v1/recommendations",
        response_model=Recommendations | BatchRecommendations,
        tags=["recommendations"],
        summary="Top-k for a user_id, an ad-hoc history, or a batch of those",
    )
    async def post_recommendations(body: RecRequestBody) -> Response:
        reqs = body.items()
        docs = await run_in_threadpool(_answer_all, service, reqs)
        for d in docs:
            metrics.recommendations.labels(d["model"], d["policy"]).inc()
        if body.requests is None:
            return json_response(docs[0], headers={"X-Model-Version": docs[0]["model_version"]})
        return json_response({"results": docs})

    # -- events ----------------------------------------------------------------
    @app.post(
        "/v1/events",
        response_model=EventAck,
        status_code=201,
        dependencies=authed,
        tags=["events"],
        summary="Record an interaction (durable before the ack; idempotent by event_id)",
        responses={
            200: {"description": "A retry: the event_id was already stored (original ack)."},
            401: {"description": "Missing or wrong bearer token."},
            409: {"description": "The event_id was used for another user or item."},
            422: {"description": "Unknown item or invalid body."},
            503: {"description": f"Writes disabled ({TOKEN_ENV} not set)."},
        },
    )
    async def post_event(event: EventIn) -> Response:
        ts = _unix(event.timestamp)
        try:
            stored, created = await run_in_threadpool(
                service.record, event.user_id, event.item_id, ts, event.event_id
            )
        except ServeError:
            metrics.events.labels("rejected").inc()
            raise
        new_user = service.apply(stored)
        metrics.events.labels("created" if created else "duplicate").inc()
        metrics.users.set(len(service.runtime.users))
        return json_response(
            {**stored.ack(duplicate=not created), "new_user": new_user and created},
            201 if created else 200,
        )

    # -- catalogue and users ---------------------------------------------------
    @app.get("/v1/items/{item_id}", response_model=Item, tags=["catalogue"])
    async def get_item(item_id: Annotated[str, Path(max_length=256)]) -> Response:
        rt = service.runtime
        i = rt.catalogue.items.get(item_id)
        if i < 0:
            raise ServeError(404, f"unknown item '{item_id}'")
        return json_response(_item(service, i))

    @app.get(
        "/v1/items", response_model=ItemList, tags=["catalogue"], summary="Search titles"
    )
    async def search_items(
        q: Annotated[str, Query(min_length=1, max_length=100, description="Title text")],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        found = service.runtime.catalogue.search(q, limit)
        return json_response({"items": [_item(service, i) for i in found]})

    @app.get("/v1/users/{user_id}", response_model=UserHistory, tags=["users"])
    async def get_user(
        user_id: Annotated[str, Path(max_length=256)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> Response:
        rt = service.runtime
        if service.sync:
            await run_in_threadpool(rt.users.catch_up, service.store, rt.catalogue)
        u = rt.users.index.get(user_id)
        hist = rt.users.history(u) if u is not None else None
        n = 0 if hist is None else int(hist.size)
        shown = [] if hist is None else hist[-limit:].tolist()
        return json_response(
            {
                "user_id": user_id,
                "known": n > 0,
                "length": n,
                "live_events": len(rt.users.live.get(u, ())) if u is not None else 0,
                "history": [rt.catalogue.describe(i) for i in shown],
            }
        )

    @app.get("/v1/run", tags=["run"], summary="The run's dataset, models and headline numbers")
    async def run_info() -> Response:
        rt = service.runtime
        ds = rt.run.metrics.get("dataset", {})
        return json_response(
            {
                "run_dir": str(rt.run.path),
                "dataset": {
                    k: ds.get(k) for k in ("name", "users", "items", "interactions", "split")
                },
                "sample_users": ds.get("sample_users") or rt.users.ids[:5],
                "models": {
                    m.slot: {**m.info(), "headline": m.headline} for m in rt.models.slots()
                },
                "note": rt.models.note,
                "categories": rt.catalogue.category_names(),
            }
        )

    # -- operations ------------------------------------------------------------
    @app.post(
        "/v1/admin/reload",
        dependencies=authed,
        tags=["operations"],
        summary="Reload models from the run folder; switch atomically",
    )
    async def reload_models() -> Response:
        return json_response(await _reload(service, metrics, "api", options.warm))

    @app.get("/health", tags=["operations"])
    async def health() -> Response:
        rt = service.runtime
        try:
            events = await run_in_threadpool(store.count)
            store_state: dict[str, Any] = {"reachable": True, "events": events}
        except Exception as exc:  # the database is down: say so, don't crash
            store_state = {"reachable": False, "error": type(exc).__name__}
        ok = store_state["reachable"]
        return json_response(
            {
                "status": "ok" if ok else "degraded",
                "models": {m.slot: m.info() for m in rt.models.slots()},
                "note": rt.models.note,
                "users": len(rt.users),
                "events_applied": rt.users.applied,
                "store": {
                    "backend": store.backend,
                    "url": safe_url(store.url),
                    "revision": revision,
                    **store_state,
                },
                "writes": "enabled" if token else f"disabled ({TOKEN_ENV} not set)",
                "sync": service.sync,
                "cache": {
                    "size": rt.cache.size,
                    "entries": len(rt.cache),
                    "hits": rt.cache.hits,
                    "misses": rt.cache.misses,
                    "warming": service.warming,
                    "warmed": service.warmed,
                },
                "reloads": service.reloads,
                "uptime_s": round(time.time() - service.started, 1),
            },
            200 if ok else 503,
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def prometheus() -> Response:
        metrics.users.set(len(service.runtime.users))
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    # -- the page --------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> Response:
        return page.index()

    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return ServingApp(app, service, metrics)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schema["paths"] = {USER_RECS: OPENAPI_USER_RECS, **schema["paths"]}
        app.openapi_schema = schema
    return app.openapi_schema


def _answer_all(service: Service, reqs: list[RecRequest]) -> list[dict[str, Any]]:
    out = []
    for r in reqs:
        q = RecQuery(r.k, r.model, r.exclude, r.category, r.exclude_seen)
        if r.history is not None:
            out.append(service.for_history(r.history, q))
        else:
            assert r.user_id is not None
            out.append(service.for_user(r.user_id, q))
    return out


def _item(service: Service, i: int) -> dict[str, Any]:
    rt = service.runtime
    return {**rt.catalogue.describe(i), "interactions": int(rt.users.counts[i])}


def _unix(ts: int | datetime | None) -> int:
    if ts is None:
        return int(time.time())
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return int(ts.timestamp())
    return int(ts)


def start_warm(service: Service, users: int) -> None:
    """Fill the result cache on a background thread (see :meth:`Service.warm`)."""
    if users <= 0 or service.cache_size <= 0:
        return

    def run() -> None:
        try:
            service.warm(users)
        except Exception:
            log.exception("serve: cache warm-up failed (requests are scored as they come)")
        finally:
            service.warming = False

    service.warming = True  # before the thread starts: /health never shows a gap
    threading.Thread(target=run, name="cache-warm", daemon=True).start()


async def _reload(service: Service, metrics: Metrics, why: str, warm: int) -> dict[str, Any]:
    try:
        result = await service.reload()
    except Exception as exc:
        metrics.reloads.labels("failed").inc()
        log.error("serve: reload (%s) failed, still serving the previous models: %s", why, exc)
        if isinstance(exc, ServeError):
            raise
        raise ServeError(500, f"reload failed, previous models kept: {exc}") from None
    metrics.reloads.labels("ok").inc()
    start_warm(service, warm)
    return result


def _log_startup(service: Service, revision: str | None, writes: bool) -> None:
    rt = service.runtime
    for m in rt.models.slots():
        log.info(
            "serve: %s slot: '%s' (%s, role %s, kd %s, version %s, %.3f ms per user, %s)",
            m.slot, m.name, m.kind, m.role, m.kd, m.version, m.latency_ms,
            "scored on the event loop" if m.inline else "scored in worker threads",
        )
    if rt.models.note:
        log.warning("serve: %s", rt.models.note)
    log.info(
        "serve: %d users, store %s at revision %s, writes %s%s",
        len(rt.users), safe_url(service.store.url), revision,
        "enabled" if writes else f"disabled (set {TOKEN_ENV})",
        ", syncing events from other processes before each answer" if service.sync else "",
    )

"""The HTTP app: the routers of :mod:`recdistill.serve.routes` over one :class:`Service`.

:func:`create_app` opens and migrates the event store, loads the run, and
mounts the routers; the result is a :class:`~recdistill.serve.fastpath.ServingApp`,
which answers the hot GET route itself and hands everything else to FastAPI.
Hot paths return pre-serialised JSON (orjson) and skip response-model
validation; the response schemas still describe them in ``/openapi.json``.
Errors are JSON ``{"detail": "..."}`` with a 4xx status and a one-line
message; unexpected errors are logged and answered with a bare 500.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from recdistill.serve import page
from recdistill.serve.fastpath import ServingApp
from recdistill.serve.limits import BodyLimit
from recdistill.serve.metrics import Metrics, MetricsMiddleware
from recdistill.serve.options import TOKEN_ENV, ServeOptions, api_token
from recdistill.serve.routes import ROUTERS
from recdistill.serve.routes.deps import AppState, error, json_response
from recdistill.serve.routes.operations import reload, start_warm
from recdistill.serve.schemas import error_detail
from recdistill.serve.service import ServeError, Service
from recdistill.serve.store import EventStore, safe_url

log = logging.getLogger("recdistill.serve")


def create_app(options: ServeOptions, *, token: str | None = None) -> ServingApp:
    """Build the app: open and migrate the store, load the run, mount the routers.

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
    serving = AppState(service, metrics, token, options.warm, revision)
    _log_startup(service, revision, token is not None)
    # Swagger UI (/docs) and ReDoc (/redoc) from assets inside the fastapi-offline
    # package, not a CDN: the docs work without network.
    app = FastAPIOffline(
        title="recdistill",
        summary="Real-time recommendations from a distilled student (and its teacher).",
        version="1",
        lifespan=_lifespan(serving),
    )
    app.state.serving = serving
    app.state.service = service
    app.state.metrics = metrics
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return ServingApp(app, service, metrics, token, options.max_body_bytes)


def _lifespan(serving: AppState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start: SIGHUP reloads, the cache warms. Stop: models and the store close."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        hup = False
        try:
            loop.add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(reload(serving, "SIGHUP"))
            )
            hup = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests), or no signals on this platform
        start_warm(serving.service, serving.warm)
        try:
            yield
        finally:
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)
            serving.service.close()
            serving.service.store.dispose()

    return lifespan


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is ``{"detail": one line}`` (422s also list every ``errors`` entry)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail, errors = error_detail(exc.errors())
        return json_response({"detail": detail, "errors": errors}, 422)

    @app.exception_handler(ServeError)
    async def _refused(request: Request, exc: ServeError) -> Response:
        return json_response(exc.body(), exc.status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("serve: error answering %s %s", request.method, request.url.path)
        return error(500, "internal server error")


def _log_startup(service: Service, revision: str | None, writes: bool) -> None:
    rt = service.runtime
    for m in rt.models.slots():
        log.info(
            "serve: %s slot: '%s' (%s, role %s, kd %s, version %s, %.3f ms per user, %s)",
            m.slot, m.name, m.kind, m.role, m.kd, m.version, m.latency_ms,
            "scored on the event loop" if m.inline else "scored in worker threads",
        )  # fmt: skip
    if rt.models.note:
        log.warning("serve: %s", rt.models.note)
    log.info(
        "serve: %d users, store %s at revision %s, writes %s%s",
        len(rt.users), safe_url(service.store.url), revision,
        "enabled" if writes else f"disabled (set {TOKEN_ENV})",
        ", following events other processes commit" if service.sync else "",
    )  # fmt: skip

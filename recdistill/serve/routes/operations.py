"""Operations: health, Prometheus metrics, hot reload (and the cache warm-up after it)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from recdistill.serve.options import TOKEN_ENV
from recdistill.serve.routes.deps import AUTHED, AppState, State, json_response
from recdistill.serve.schemas import errors
from recdistill.serve.service import ServeError, Service
from recdistill.serve.store import safe_url

log = logging.getLogger("recdistill.serve")

router = APIRouter(tags=["operations"])


@router.post(
    "/v1/admin/reload",
    dependencies=AUTHED,
    summary="Reload models from the run folder; switch atomically",
    responses=errors(
        401, 500, 503,
        s500="The reload failed; the previous models keep serving.",
        s503=f"Writes disabled ({TOKEN_ENV} not set).",
    ),
)
async def reload_models(st: State) -> Response:
    return json_response(await reload(st, "api"))


@router.get(
    "/health",
    responses={503: {"description": "Degraded: the event store is unreachable (same body)."}},
)
async def health(st: State) -> Response:
    service = st.service
    store = service.store
    try:
        events = await run_in_threadpool(store.count)
        store_state: dict[str, Any] = {"reachable": True, "events": events}
    except Exception as exc:  # the database is down: say so, don't crash
        store_state = {"reachable": False, "error": type(exc).__name__}
    ok = store_state["reachable"]
    rt = service.runtime
    doc = {
        "status": "ok" if ok else "degraded",
        "models": {m.slot: m.info() for m in rt.models.slots()},
        "note": rt.models.note,
        "users": len(rt.users),
        "events_applied": rt.users.applied,
        "store": {
            "backend": store.backend,
            "url": safe_url(store.url),
            "revision": st.revision,
            **store_state,
        },
        "writes": "enabled" if st.token else f"disabled ({TOKEN_ENV} not set)",
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
    }
    return json_response(doc, 200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def prometheus(st: State) -> Response:
    st.metrics.users.set(len(st.service.runtime.users))
    return Response(st.metrics.render(), media_type="text/plain; version=0.0.4")


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


async def reload(st: AppState, why: str) -> dict[str, Any]:
    """Reload the models (keeping the old ones on failure), then warm the cache again."""
    try:
        result = await st.service.reload()
    except Exception as exc:
        st.metrics.reloads.labels("failed").inc()
        log.error("serve: reload (%s) failed, still serving the previous models: %s", why, exc)
        if isinstance(exc, ServeError):
            raise
        raise ServeError(500, f"reload failed, previous models kept: {exc}") from None
    st.metrics.reloads.labels("ok").inc()
    start_warm(st.service, st.warm)
    return result

"""Ingestion: ``POST /v1/events``, durable before the ack, idempotent by ``event_id``."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from recdistill.serve.options import TOKEN_ENV
from recdistill.serve.routes.deps import AUTHED, State, json_response
from recdistill.serve.schemas import EventAck, EventIn
from recdistill.serve.service import ServeError

router = APIRouter(tags=["events"])


@router.post(
    "/v1/events",
    response_model=EventAck,
    status_code=201,
    dependencies=AUTHED,
    summary="Record an interaction (durable before the ack; idempotent by event_id)",
    responses={
        200: {"description": "A retry: the event_id was already stored (original ack)."},
        401: {"description": "Missing or wrong bearer token."},
        409: {"description": "The event_id was used for another user or item."},
        422: {"description": "Unknown item or invalid body."},
        503: {"description": f"Writes disabled ({TOKEN_ENV} not set)."},
    },
)
async def post_event(st: State, event: EventIn) -> Response:
    service, metrics = st.service, st.metrics
    try:
        stored, created = await run_in_threadpool(
            service.record, event.user_id, event.item_id, unix(event.timestamp), event.event_id
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


def unix(ts: int | datetime | None) -> int:
    """Unix seconds of an event's timestamp (the time of receipt when absent)."""
    if ts is None:
        return int(time.time())
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return int(ts.timestamp())
    return int(ts)

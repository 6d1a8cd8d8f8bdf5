"""Ingestion: ``POST /v1/events``, durable before the ack, idempotent by ``event_id``."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response

from recdistill.serve.options import TOKEN_ENV
from recdistill.serve.routes.deps import AUTHED, State, json_response
from recdistill.serve.schemas import EventAck, EventIn, errors
from recdistill.serve.service import ServeError

router = APIRouter(tags=["events"])


@router.post(
    "/v1/events",
    response_model=EventAck,
    status_code=201,
    dependencies=AUTHED,
    summary="Record an interaction (durable before the ack; idempotent by event_id)",
    responses={
        200: {"model": EventAck, "description": "A retry: the event_id was already stored "
              "(the original ack)."},
        **errors(
            400, 401, 409, 413, 422, 503,
            s409="The event_id was used for another user or item.",
            s422="Unknown item or invalid body.",
            s503=f"Writes disabled ({TOKEN_ENV} not set), or the event store is down.",
        ),
    },
)
async def post_event(st: State, event: EventIn) -> Response:
    service, metrics = st.service, st.metrics
    try:
        stored, created, new_user = await service.record(
            event.user_id, event.item_id, unix(event.timestamp), event.event_id
        )
    except ServeError:
        metrics.events.labels("rejected").inc()
        raise
    metrics.events.labels("created" if created else "duplicate").inc()
    metrics.users.set(len(service.runtime.users))
    return json_response(
        {**stored.ack(duplicate=not created), "new_user": new_user},
        201 if created else 200,
    )


def unix(ts: int | None) -> int:
    """Unix seconds of an event's timestamp (validated by the schema; receipt time when absent)."""
    return int(time.time()) if ts is None else ts

"""Ingestion: ``POST /v1/events``, durable before the ack, idempotent by ``event_id``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from recdistill.serve.fastpath import ingest
from recdistill.serve.options import TOKEN_ENV
from recdistill.serve.routes.deps import AUTHED, State, json_response
from recdistill.serve.schemas import EventAck, EventIn, errors

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
    doc, status = await ingest(st.service, st.metrics, event)
    return json_response(doc, status)

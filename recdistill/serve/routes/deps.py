"""What every route reads from the app (its state), and the JSON responses they send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from recdistill.serve.fastpath import bearer_ok
from recdistill.serve.metrics import Metrics
from recdistill.serve.options import TOKEN_ENV
from recdistill.serve.service import ServeError, Service

JSON = "application/json"


@dataclass
class AppState:
    """The state one app serves from (``app.state.serving``)."""

    service: Service
    metrics: Metrics
    token: str | None  # the bearer token of write endpoints (None: writes disabled)
    warm: int  # users whose lists are precomputed after start and each reload
    revision: str | None  # the event store's migration revision


# Dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in a worker
# thread, a thread hop per dependency per request.
async def state(request: Request) -> AppState:
    return _state(request)


def _state(request: Request) -> AppState:
    out: AppState = request.app.state.serving
    return out


State = Annotated[AppState, Depends(state)]


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=JSON, headers=headers)


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"detail": detail}, status, headers)


async def require_token(request: Request) -> None:
    """Refuse a write without the bearer token (503 when writes are disabled)."""
    token = _state(request).token
    if token is None:
        raise ServeError(
            503,
            f"write endpoints are disabled: start the server with {TOKEN_ENV} set "
            "(see docs/serving.md)",
        )
    if not bearer_ok(request.headers.get("authorization", ""), token):
        raise HTTPException(401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"})



AUTHED = [Depends(require_token)]

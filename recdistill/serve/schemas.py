"""Request and response bodies of the HTTP API (they make up ``/openapi.json``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import WithJsonSchema

MAX_K = 100
MAX_BATCH = 64
MAX_HISTORY = 1000
MAX_EXCLUDE = 1000
MAX_ID = 256  # characters of a user or item id
# Unix seconds of 0001-01-01 and 9999-12-31T23:59:59 UTC: what an ISO-8601 date can say,
# and inside the store's 64-bit column.
MIN_TIMESTAMP = -62_135_596_800
MAX_TIMESTAMP = 253_402_300_799
# A stored id holds no control characters (a NUL byte cannot be stored in PostgreSQL).
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"

Slot = Literal["student", "teacher"]
Policy = Literal["known_user", "history", "fallback"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecItem(BaseModel):
    item_id: str = Field(description="Item id as in the source data.")
    score: float = Field(description="The model's score (popularity count under fallback).")
    title: str
    category: str


class Recommendations(BaseModel):
    user_id: str | None = Field(description="The user asked about (null for an ad-hoc history).")
    model: Slot = Field(description="The slot that answered.")
    model_name: str = Field(description="The run's name of the model in that slot.")
    model_version: str = Field(description="SHA-256 prefix of the model artifact.")
    policy: Policy = Field(
        description="known_user: scored from the user's history; history: scored from the "
        "request's ad-hoc history; fallback: no history, most popular items."
    )
    items: list[RecItem]


def _unix_seconds(value: Any) -> int | None:
    """An event's ``timestamp`` as Unix seconds: a whole number in range, or an ISO-8601
    string (UTC when it names no zone); never a boolean or a fraction (as the schema says:
    an integer or a date-time string)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be Unix seconds or an ISO-8601 string, not a boolean")
    if isinstance(value, str):
        text = value.strip()
        try:
            ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO-8601 date-time: {text[:40]!r}") from None
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return math.floor(ts.timestamp())
    if isinstance(value, int | float):
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise ValueError("must be whole Unix seconds (an integer)")
        if not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP:  # exact for ints of any size
            raise ValueError(
                f"Unix seconds must be within {MIN_TIMESTAMP}..{MAX_TIMESTAMP} (years 1 to 9999)"
            )
        return int(value)
    raise ValueError("must be Unix seconds or an ISO-8601 string")


Timestamp = Annotated[
    int | None,
    BeforeValidator(_unix_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": MIN_TIMESTAMP, "maximum": MAX_TIMESTAMP},
                {"type": "string", "format": "date-time"},
                {"type": "null"},
            ]
        }
    ),
]


class Options(_Strict):
    k: int = Field(10, ge=1, le=MAX_K, description=f"List length, 1..{MAX_K}.")
    model: Slot = "student"
    exclude: list[str] = Field(
        default_factory=list, max_length=MAX_EXCLUDE, description="Item ids never to return."
    )
    category: str | None = Field(
        None, max_length=MAX_ID, description="Only items in this category or below it."
    )
    exclude_seen: bool = Field(True, description="Drop items already in the history.")

    @field_validator("k", mode="before")
    @classmethod
    def _k_not_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be an integer, not a boolean")
        return value


class UserRecsQuery(Options):
    """The query of ``GET /v1/users/{user_id}/recommendations`` (unknown parameters ignored).

    One schema for the FastAPI route (and so ``/openapi.json``) and the hand-written
    fast path (:mod:`recdistill.serve.fastpath`): a bound changes in one place.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def error_loc(loc: tuple[Any, ...]) -> str:
    """A validation error's field, without FastAPI's ``body`` / ``query`` / ``path`` prefix."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def error_detail(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """``(one-line detail, [{loc, msg}, ...])`` of pydantic / FastAPI validation errors."""
    listed = [
        {"loc": error_loc(tuple(e["loc"])), "msg": str(e["msg"]).removeprefix("Value error, ")}
        for e in errors
    ]
    first = listed[0] if listed else {"loc": "body", "msg": "invalid request"}
    return f"{first['loc']}: {first['msg']}", listed


class RecRequest(Options):
    """Recommendations for a user (``user_id``) or an ad-hoc ``history``; exactly one."""

    user_id: str | None = Field(None, min_length=1, max_length=MAX_ID)
    history: list[str] | None = Field(
        None, max_length=MAX_HISTORY, description="Item ids, oldest first (a user we don't know)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.user_id is None) == (self.history is None):
            raise ValueError("give exactly one of 'user_id' or 'history'")
        return self


class RecRequestBody(Options):
    """One request (``user_id`` or ``history``), or a batch: ``{"requests": [...]}``."""

    user_id: str | None = Field(None, min_length=1, max_length=MAX_ID)
    history: list[str] | None = Field(None, max_length=MAX_HISTORY)
    requests: list[RecRequest] | None = Field(None, min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _single_or_batch(self) -> Self:
        if self.requests is not None:
            if self.user_id is not None or self.history is not None:
                raise ValueError("a batch ('requests') cannot also have 'user_id' or 'history'")
        elif (self.user_id is None) == (self.history is None):
            raise ValueError("give exactly one of 'user_id', 'history' or 'requests'")
        return self

    def items(self) -> list[RecRequest]:
        if self.requests is not None:
            return self.requests
        return [RecRequest.model_validate(self.model_dump(exclude={"requests"}))]


class BatchRecommendations(BaseModel):
    results: list[Recommendations]


class EventIn(_Strict):
    user_id: str = Field(
        min_length=1, max_length=MAX_ID, pattern=ID_PATTERN,
        description="User id (new users allowed; no control characters).",
    )
    item_id: str = Field(
        min_length=1, max_length=MAX_ID, pattern=ID_PATTERN, description="A catalogue item id."
    )
    timestamp: Timestamp = Field(
        None,
        description="Unix seconds (years 1 to 9999) or ISO-8601 (UTC unless a zone is given); "
        "default: the server's time of receipt.",
    )
    event_id: str | None = Field(
        None, min_length=1, max_length=128, pattern=ID_PATTERN,
        description="Client-chosen unique id; a retry with the same id is acknowledged once.",
    )


class EventAck(BaseModel):
    event_id: str
    seq: int = Field(description="Position in the store's log.")
    user_id: str
    item_id: str
    timestamp: int
    duplicate: bool = Field(description="True when this event_id was already stored (a retry).")
    new_user: bool = Field(description="True when this event made the user known.")


class Item(BaseModel):
    item_id: str
    title: str
    category: str
    interactions: int = Field(description="Interactions counted so far (run data + events).")


class ItemList(BaseModel):
    items: list[Item]


class UserHistory(BaseModel):
    user_id: str
    known: bool
    length: int
    live_events: int = Field(description="Items added by events since the run's data.")
    history: list[dict[str, Any]] = Field(description="The newest items, oldest first.")


# -- errors ------------------------------------------------------------------------------
class ErrorBody(BaseModel):
    """Every refusal: one line saying what was wrong."""

    detail: str


class FieldError(BaseModel):
    loc: str = Field(description="The field, e.g. 'k' or 'requests.0.user_id'.")
    msg: str


class ValidationErrorBody(ErrorBody):
    """A request that failed validation (422): the first error in ``detail``, all in ``errors``."""

    errors: list[FieldError] = Field(default_factory=list)


ERROR_TEXT = {
    400: "Malformed request: a body that is not UTF-8 JSON, or a bad Content-Length.",
    401: "Missing or wrong bearer token.",
    404: "Not found.",
    409: "Conflict with what is stored.",
    413: "Request body too large.",
    422: "Invalid request: the first error in 'detail', every error in 'errors'.",
    500: "Internal error (logged).",
    503: "Unavailable.",
}


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route answers (``ErrorBody`` JSON).

    ``described`` overrides a status's description: ``errors(404, s409="...")``.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationErrorBody if status == 422 else ErrorBody
        text = described.get(f"s{status}", ERROR_TEXT[status])
        out[status] = {"model": model, "description": text}
    return out

"""Request and response bodies of the HTTP API (they make up ``/openapi.json``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_K = 100
MAX_BATCH = 64
MAX_HISTORY = 1000
MAX_EXCLUDE = 1000
MAX_ID = 256  # characters of a user or item id

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
        min_length=1, max_length=MAX_ID, description="User id (new users allowed)."
    )
    item_id: str = Field(min_length=1, max_length=MAX_ID, description="A catalogue item id.")
    timestamp: int | datetime | None = Field(
        None, description="Unix seconds or ISO-8601; default: the server's time of receipt."
    )
    event_id: str | None = Field(
        None, min_length=1, max_length=128,
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

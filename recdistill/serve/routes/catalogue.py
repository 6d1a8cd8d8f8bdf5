"""The catalogue and the users: items by id or title, a user's history, the run's summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from recdistill.serve.routes.deps import State, json_response
from recdistill.serve.schemas import MAX_ID, Item, ItemList, UserHistory, errors
from recdistill.serve.service import ServeError, Service

router = APIRouter()


def item_doc(service: Service, i: int) -> dict[str, Any]:
    rt = service.runtime
    return {**rt.catalogue.describe(i), "interactions": int(rt.users.counts[i])}


@router.get(
    "/v1/items/{item_id}",
    response_model=Item,
    tags=["catalogue"],
    responses=errors(404, 422, s404="No item with this id in the catalogue."),
)
async def get_item(st: State, item_id: Annotated[str, Path(max_length=MAX_ID)]) -> Response:
    i = st.service.runtime.catalogue.items.get(item_id)
    if i < 0:
        raise ServeError(404, f"unknown item '{item_id}'")
    return json_response(item_doc(st.service, i))


@router.get(
    "/v1/items",
    response_model=ItemList,
    tags=["catalogue"],
    summary="Search titles",
    responses=errors(422),
)
async def search_items(
    st: State,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Title text")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    found = st.service.runtime.catalogue.search(q, limit)
    return json_response({"items": [item_doc(st.service, i) for i in found]})


@router.get(
    "/v1/users/{user_id}", response_model=UserHistory, tags=["users"], responses=errors(422)
)
async def get_user(
    st: State,
    user_id: Annotated[str, Path(max_length=MAX_ID)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    service = st.service
    rt = service.runtime
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


@router.get("/v1/run", tags=["run"], summary="The run's dataset, models and headline numbers")
async def run_info(st: State) -> Response:
    rt = st.service.runtime
    ds = rt.run.metrics.get("dataset", {})
    return json_response(
        {
            "run_dir": str(rt.run.path),
            "dataset": {k: ds.get(k) for k in ("name", "users", "items", "interactions", "split")},
            "sample_users": ds.get("sample_users") or rt.users.ids[:5],
            "models": {m.slot: {**m.info(), "headline": m.headline} for m in rt.models.slots()},
            "note": rt.models.note,
            "categories": rt.catalogue.category_names(),
        }
    )

"""Recommendations: for a user (the hot GET route) and for requests in a body (POST)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from recdistill.serve.fastpath import USER_RECS, to_query
from recdistill.serve.routes.deps import State, json_response
from recdistill.serve.schemas import (
    MAX_ID,
    BatchRecommendations,
    Recommendations,
    RecRequest,
    RecRequestBody,
    UserRecsQuery,
    errors,
)
from recdistill.serve.service import Service

router = APIRouter(tags=["recommendations"])


@router.get(
    USER_RECS,
    response_model=Recommendations,
    summary="Top-k for a user (known user, or the fallback for an unknown one)",
    operation_id="user_recommendations",
    responses=errors(422),
)
async def user_recommendations(
    st: State,
    user_id: Annotated[str, Path(max_length=MAX_ID)],
    query: Annotated[UserRecsQuery, Query()],
) -> Response:
    """The same answer as the fast path (:class:`~recdistill.serve.fastpath.ServingApp`),
    which serves this route ahead of FastAPI; this declaration is its schema."""
    doc = await st.service.for_user_async(user_id, to_query(query))
    st.metrics.recommendations.labels(query.model, doc["policy"]).inc()
    return json_response(doc, headers={"X-Model-Version": doc["model_version"]})


@router.post(
    "/v1/recommendations",
    response_model=Recommendations | BatchRecommendations,
    summary="Top-k for a user_id, an ad-hoc history, or a batch of those",
    responses=errors(400, 413, 422),
)
async def post_recommendations(st: State, body: RecRequestBody) -> Response:
    docs = await run_in_threadpool(answer_all, st.service, body.items())
    for d in docs:
        st.metrics.recommendations.labels(d["model"], d["policy"]).inc()
    if body.requests is None:
        return json_response(docs[0], headers={"X-Model-Version": docs[0]["model_version"]})
    return json_response({"results": docs})


def answer_all(service: Service, reqs: list[RecRequest]) -> list[dict[str, Any]]:
    """Answer each request of a body in turn (blocking: a worker thread)."""
    out = []
    for r in reqs:
        q = to_query(r)
        if r.history is not None:
            out.append(service.for_history(r.history, q))
        else:
            assert r.user_id is not None
            out.append(service.for_user(r.user_id, q))
    return out

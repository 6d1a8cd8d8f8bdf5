"""The page at ``/`` and its static files (:mod:`recdistill.serve.page`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from recdistill.serve import page

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> Response:
    return page.index()

"""The recommendation page at ``/``: plain HTML, CSS and JavaScript, no build step.

Everything it needs is in ``static/`` and is served by this process; it loads
nothing from the network. A strict Content-Security-Policy allows only this
origin's scripts and styles (no inline code).

Writing an event needs the API token. The page asks for it once, when the
first click needs it, and keeps it in ``sessionStorage`` (this tab only,
gone when the tab closes); the server never puts a token into the page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.responses import Response

STATIC = Path(__file__).with_name("static")

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _html() -> bytes:
    return (STATIC / "index.html").read_bytes()


def index() -> Response:
    return Response(_html(), media_type="text/html; charset=utf-8", headers=HEADERS)

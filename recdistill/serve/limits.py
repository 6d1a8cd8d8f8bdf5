"""Request body size limit (pure ASGI, so it costs nothing on bodiless requests)."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The request body, read until it ends or passes ``limit`` bytes: ``(body, ended)``
    (``ended`` False: reading stopped early, the rest is still to come); None when the
    client disconnected."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more and size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
    return b"".join(chunks), not more


def replay(body: bytes, receive: Receive, more: bool = False) -> Receive:
    """A ``receive`` that gives ``body`` (already read; ``more``: the rest is still to
    come) first, then what ``receive`` gives."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return again


class BodyLimit:
    """Answer 413 to a request whose body is larger than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before reading;
    a chunked body is counted as it arrives and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "invalid Content-Length")
                    return
                if declared > self.max_bytes:
                    await self._refuse(send, 413, self._too_large())
                    return
        # Read the body up front (bounded), then replay it to the app.
        got = await read_body(receive, self.max_bytes)
        if got is None:  # the client went away
            return
        body, _ = got
        if len(body) > self.max_bytes:
            await self._refuse(send, 413, self._too_large())
            return
        await self.app(scope, replay(body, receive), send)

    def _too_large(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = orjson.dumps({"detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

"""Refuse websocket connections from another Origin (Solara does not check it itself:
PITFALLS.md). A page on another site could otherwise open a student's or the teacher's session
in the background (cross-site websocket hijacking)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse


class SameOriginWebsockets:
    """ASGI middleware: a websocket whose ``Origin`` header names another host than its
    ``Host`` header is closed before it is accepted (the browser sees HTTP 403)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
            origin = headers.get("origin")
            if origin and urlparse(origin).netloc != headers.get("host", ""):
                await send({"type": "websocket.close", "code": 4403})
                return
        await self.app(scope, receive, send)


def install() -> None:
    """Add the check to Solara's Starlette app (before the server starts)."""
    from solara.server import starlette as solara_starlette

    solara_starlette.app.add_middleware(SameOriginWebsockets)

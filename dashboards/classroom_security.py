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
    """Put the check in front of the running Solara server's Starlette app.

    Called when the server loads the classroom app: Starlette has built its middleware stack by
    then (it refuses ``add_middleware``), so the built stack is wrapped; importing Solara's
    Starlette module any earlier breaks its app loading. Does nothing outside a server.
    """
    import sys

    module = sys.modules.get("solara.server.starlette")
    if module is None:
        return
    app = module.app
    if app.middleware_stack is None:
        app.add_middleware(SameOriginWebsockets)
    elif not isinstance(app.middleware_stack, SameOriginWebsockets):
        app.middleware_stack = SameOriginWebsockets(app.middleware_stack)

"""ASGI middleware for the Airflow API server (installed by the ghTrader plugin).

Trap: Airflow's simple auth manager parses ``POST /auth/token`` bodies with ``request.json()``; an
empty or non-JSON body raises ``JSONDecodeError`` and surfaces as HTTP 500. A client error must be a
4xx, so such requests are answered 400 with a one-line reason before they reach the route.
"""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]


class EmptyLoginBodyMiddleware:
    """Answer 400 to ``POST …/auth/token`` whose JSON body is empty or not JSON."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if not (
            scope.get("type") == "http"
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).rstrip("/").endswith("/auth/token")
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        ctype = headers.get("content-type", "application/json")
        chunks, more = [], True
        while more:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        if "json" in ctype:
            try:
                json.loads(body or b"")
            except ValueError:
                await _reply(send, 400, "request body must be JSON with username and password")
                return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _reply(send: Any, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})

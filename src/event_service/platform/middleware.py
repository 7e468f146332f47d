"""Pure ASGI middleware: request id, last-resort 500, one access line per request."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_service.platform.context import bind_request
from event_service.platform.errors import error_body
from event_service.platform.logging import get_logger
from event_service.platform.responses import dumps

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
access_log = get_logger("access")
log = get_logger("errors")


API_PREFIX = "/api/v1"


def route_template(scope: Scope) -> str | None:
    """The matched route's template, e.g. /api/v1/events/{event_id}, or None when nothing matched.

    FastAPI keeps an included router's routes with their own paths, so the
    /api/v1 mount prefix is restored here from the request path.
    """
    path: str | None = getattr(scope.get("route"), "path", None)
    if path is None:
        return None
    if scope["path"].startswith(API_PREFIX) and not path.startswith(API_PREFIX):
        return API_PREFIX + path
    return path


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        # A declared Content-Length over the limit is refused before routing; a
        # streamed body is counted as it arrives (see _limited).
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        bind_request(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        declared = headers.get(b"content-length", b"")
        try:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._send_error(send_with_id, 413, "Request body is too large", "PAYLOAD_TOO_LARGE", request_id)
            else:
                await self.app(scope, self._limited(receive), send_with_id)
        except Exception as exc:
            # Full detail goes to the log; the client gets no stack trace and no SQL.
            log.error("unhandled_error", exc_info=exc, path=scope["path"])
            if started_response:
                raise
            await self._send_error(send_with_id, 500, "Internal server error", "INTERNAL_ERROR", request_id)
        self._log(scope, status, started)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    # An HTTPException passes through FastAPI's body parsing to our handler.
                    raise HTTPException(413, "Request body is too large")
            return message

        return limited_receive

    @staticmethod
    async def _send_error(send: Send, status: int, message: str, code: str, request_id: str) -> None:
        body = dumps(error_body(message, code, request_id))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        principal: Any = scope.get("state", {}).get("principal")
        access_log.info(
            "request",
            method=scope["method"],
            route=route_template(scope) or scope["path"],
            status=status,
            durationMs=round((time.perf_counter() - started) * 1000, 2),
            tenantId=str(principal.tenant_id) if principal else None,
            userId=principal.user_id if principal else None,
        )

"""The request context: request id, tenant and user, visible to every layer and log line."""

from __future__ import annotations

from contextvars import ContextVar

import structlog

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def bind_request(request_id: str) -> None:
    request_id_var.set(request_id)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(requestId=request_id)


def bind_principal(tenant_id: str, user_id: str | None) -> None:
    structlog.contextvars.bind_contextvars(tenantId=tenant_id, userId=user_id)


def current_request_id() -> str | None:
    return request_id_var.get()

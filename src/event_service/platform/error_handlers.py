"""The one place errors become HTTP responses, all in the documented body."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from event_service.platform.errors import AppError, error_body
from event_service.platform.responses import JSON

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
}


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value else None


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        message = str(err.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        details.append({"field": _field_name(tuple(err.get("loc", ()))), "message": message})
    return details


async def on_app_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, AppError)
    return JSON(
        error_body(exc.message, exc.code, _request_id(request), exc.details),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def on_validation_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return JSON(
            error_body("Malformed JSON in request body", "INVALID_JSON", _request_id(request)),
            status_code=400,
        )
    return JSON(
        error_body("Validation failed", "VALIDATION_ERROR", _request_id(request), validation_details(errors)),
        status_code=422,
    )


async def on_http_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    if status == 404 and message == "Not Found":
        message = f"Route {request.method} {request.url.path} not found"
    return JSON(
        error_body(message, _HTTP_CODES.get(status, "HTTP_ERROR"), _request_id(request)),
        status_code=status,
        headers=getattr(exc, "headers", None),
    )


# Failures that mean "the database is unreachable or refusing connections right now":
# the request may succeed if retried, so they answer 503 with Retry-After, never 500.
_DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    ConnectionError,
    OSError,
    TimeoutError,
)
# A value the database cannot store (an integer beyond its column, a NUL byte in text ...):
# SQLSTATE class 22 from the server, or asyncpg refusing to encode an argument. Bad input: 422.
_UNSTORABLE_VALUE: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # server side, class 22
    asyncpg.exceptions._base.DataError,  # client side: argument out of the column type's range
)


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(found) < 6:
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found


def unstorable_value(exc: BaseException) -> bool:
    return any(isinstance(e, _UNSTORABLE_VALUE) for e in _chain(exc))


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) says the database cannot be reached, not that the SQL was wrong."""
    if isinstance(exc, sa_exc.TimeoutError):  # waited too long for a pooled connection
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return any(isinstance(e, _DATABASE_UNAVAILABLE) for e in _chain(exc))


async def on_database_error(request: Request, exc: Exception) -> JSON:
    if unstorable_value(exc):
        return JSON(
            error_body(
                "Validation failed",
                "VALIDATION_ERROR",
                _request_id(request),
                [{"field": "body", "message": "a value is out of range or cannot be stored"}],
            ),
            status_code=422,
        )
    if not database_unavailable(exc):
        raise exc  # a bug: the middleware logs it and answers 500
    return JSON(
        error_body("Database temporarily unavailable", "SERVICE_UNAVAILABLE", _request_id(request)),
        status_code=503,
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # The pool re-raises a refused connection as the raw OSError or asyncpg error, not a DBAPIError.
    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        app.add_exception_handler(kind, on_database_error)

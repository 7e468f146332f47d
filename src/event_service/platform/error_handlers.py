"""The one place errors become HTTP responses, all in the documented body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

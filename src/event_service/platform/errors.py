"""AppError and its subclasses: domain code raises these, one handler renders them.

Body of every error (CONTRACT.md):
    {"success": false, "error": "...", "code": "...", "details": [...]?, "requestId": "..."}
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 500
    code = "INTERNAL_ERROR"
    message = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status_code = 400
    code = "BAD_REQUEST"
    message = "Bad request"


class ValidationFailed(AppError):
    status_code = 422
    code = "VALIDATION_ERROR"
    message = "Validation failed"

    def __init__(self, details: list[dict[str, Any]], message: str | None = None) -> None:
        super().__init__(message, details=details)

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls([{"field": field, "message": message}])


class Unauthorized(AppError):
    status_code = 401
    code = "UNAUTHORIZED"
    message = "Unauthorized"


class MissingTenant(AppError):
    status_code = 400
    code = "MISSING_TENANT_ID"
    message = "Tenant ID not found in authentication token"


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"
    message = "Forbidden"


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"

    def __init__(self, resource: str = "Resource") -> None:
        super().__init__(f"{resource} not found")


class Conflict(AppError):
    status_code = 409
    code = "CONFLICT"
    message = "Conflict"


class BusinessRuleViolation(AppError):
    """A well-formed request the domain refuses (422 with a specific code)."""

    status_code = 422
    code = "BUSINESS_RULE_VIOLATION"


class InsufficientCapacity(AppError):
    status_code = 400
    code = "INSUFFICIENT_CAPACITY"
    message = "Insufficient capacity"


class VenueCapacityExceeded(AppError):
    status_code = 422
    code = "VENUE_CAPACITY_EXCEEDED"
    message = "Total capacity would exceed the venue's maximum capacity"


class ReservationExpired(AppError):
    status_code = 409
    code = "RESERVATION_EXPIRED"
    message = "Reservation has expired or was released"


class InvalidDateRange(AppError):
    status_code = 422
    code = "INVALID_DATE_RANGE"
    message = "Invalid date range"


class EventAlreadyPublished(AppError):
    status_code = 409
    code = "EVENT_ALREADY_PUBLISHED"
    message = "Event is already published"


class RateLimited(AppError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"
    message = "Too many requests"


class NotImplementedYet(AppError):
    status_code = 501
    code = "NOT_IMPLEMENTED"
    message = "Not implemented"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    message = "Service temporarily unavailable"


def error_body(
    message: str, code: str, request_id: str | None, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if details:
        body["details"] = details
    body["requestId"] = request_id
    return body

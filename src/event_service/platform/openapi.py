"""The OpenAPI document made to tell the truth about errors and auth.

FastAPI documents only each route's success status and a 422 in its own
`HTTPValidationError` shape. Every operation under /api/v1 can also answer the
platform's errors (CONTRACT.md), always in one body:
`{"success": false, "error", "code", "details"?, "requestId"}`. This module
adds those responses and a bearer (JWT) security scheme to every /api/v1
operation, so clients and contract fuzzers (tests/security) see what the
service really answers. Domain routers stay untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from event_service.platform.middleware import API_PREFIX

ERROR_SCHEMA_NAME = "ErrorResponse"
SECURITY_SCHEME_NAME = "bearerAuth"

ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["success", "error", "code"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "string", "description": "A human-readable message"},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. VALIDATION_ERROR"},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "requestId": {"type": "string"},
    },
}

# Status -> description of what makes any /api/v1 operation answer it.
ERROR_RESPONSES: dict[str, str] = {
    "400": "Malformed JSON, a token without tenant_id (MISSING_TENANT_ID) or a refused business request",
    "401": "Missing, malformed, expired or wrongly signed bearer token (UNAUTHORIZED)",
    "403": "The caller's role may not do this (FORBIDDEN)",
    "404": "No such resource in the caller's tenant (NOT_FOUND)",
    "409": "Conflicts with the resource's current state",
    "413": "Request body over the configured limit (PAYLOAD_TOO_LARGE)",
    "422": "Validation failed (VALIDATION_ERROR, details name each field) or a business rule refused it",
    "429": "Rate limit exceeded (RATE_LIMIT_EXCEEDED), with Retry-After",
    "503": "A dependency (database, venue service) is unavailable (SERVICE_UNAVAILABLE); retry later",
}

# Operations that are placeholders and answer 501 NOT_IMPLEMENTED (seed endpoints 32-34).
NOT_IMPLEMENTED_PATH_PARTS = ("/notifications",)

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}},
    }


def _offers_csv(operation: dict[str, Any]) -> bool:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == "format":
            schema = parameter.get("schema", {})
            options = [schema, *schema.get("anyOf", [])]
            if any("csv" in option.get("enum", []) or option.get("const") == "csv" for option in options):
                return True
            return "csv" in str(schema.get("pattern", ""))
    return False


def augment(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses and the bearer scheme to every /api/v1 operation, in place."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME_NAME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "HS256 (JWT_SECRET) or RS256 (JWT_PUBLIC_KEY); claims sub, tenant_id, role/roles, exp",
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                # Routes answer through our own JSON response class, which FastAPI
                # documents as a JSON *string*; every JSON success body is an object.
                body = response.get("content", {}).get("application/json")
                if status.startswith("2") and body is not None and body.get("schema") == {"type": "string"}:
                    body["schema"] = {"type": "object"}
                if status.startswith("2") and body is not None and _offers_csv(operation):
                    # `?format=csv` (reports) answers the same rows as text/csv.
                    response["content"]["text/csv"] = {"schema": {"type": "string"}}
            if not path.startswith(API_PREFIX):
                continue
            operation["security"] = [{SECURITY_SCHEME_NAME: []}]
            for status, description in ERROR_RESPONSES.items():
                # FastAPI's own 422 describes its HTTPValidationError shape, which the
                # service never sends: the error body replaces it.
                if status == "422" or status not in responses:
                    responses[status] = _error_response(description)
            if any(part in path for part in NOT_IMPLEMENTED_PATH_PARTS):
                responses["501"] = _error_response("Not implemented yet (NOT_IMPLEMENTED)")
    return schema


def install(app: FastAPI) -> None:
    """Make app.openapi() return the augmented document (built once, then cached)."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        app.openapi_schema = augment(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

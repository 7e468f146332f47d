"""Every error answers in the documented body, with the request id."""

from __future__ import annotations

import httpx
from fastapi import Body

from event_service.app import create_app
from tests.conftest import make_settings
from tests.support import Tenant


def _assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    assert body["requestId"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


async def test_unknown_route_is_404_in_the_error_format(client: httpx.AsyncClient) -> None:
    _assert_error(await client.get("/nowhere"), 404, "NOT_FOUND")


async def test_wrong_method_is_405_in_the_error_format(client: httpx.AsyncClient) -> None:
    _assert_error(await client.delete("/health"), 405, "METHOD_NOT_ALLOWED")


async def test_request_id_is_echoed_when_given_and_generated_otherwise(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health")
    assert generated.headers["x-request-id"].startswith("req_")
    unsafe = await client.get("/health", headers={"X-Request-ID": "a b\tc"})
    assert unsafe.headers["x-request-id"].startswith("req_")


async def _probe_app(database_url: str):  # type: ignore[no-untyped-def]
    """An app with two extra routes: one that validates a body, one that crashes."""
    app = create_app(make_settings(database_url))

    async def echo(payload: dict[str, int] = Body(...)) -> dict[str, int]:
        return payload

    async def crash() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    app.add_api_route("/probe/echo", echo, methods=["POST"])
    app.add_api_route("/probe/crash", crash, methods=["GET"])
    return app


async def test_malformed_json_is_400_validation_is_422_crash_is_500_without_detail(database_url: str) -> None:
    app = await _probe_app(database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            bad_json = await http.post(
                "/probe/echo", content=b"{not json", headers={"content-type": "application/json"}
            )
            _assert_error(bad_json, 400, "INVALID_JSON")

            invalid = await http.post("/probe/echo", json={"n": "many"})
            body = _assert_error(invalid, 422, "VALIDATION_ERROR")
            assert body["details"] == [
                {
                    "field": "n",
                    "message": "Input should be a valid integer, unable to parse string as an integer",
                }
            ]

            crashed = await http.get("/probe/crash")
            body = _assert_error(crashed, 500, "INTERNAL_ERROR")
            assert "SELECT" not in crashed.text and "Traceback" not in crashed.text


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient, tenant: Tenant) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await client.post(
        "/api/v1/me", content=big, headers={**tenant.headers(), "content-type": "application/json"}
    )
    _assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_chunked_body_over_the_limit_is_413(database_url: str) -> None:
    app = await _probe_app(database_url)

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"n": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post("/probe/echo", content=chunks(), headers={"content-type": "application/json"})
            _assert_error(response, 413, "PAYLOAD_TOO_LARGE")

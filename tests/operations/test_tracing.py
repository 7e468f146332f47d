"""OpenTelemetry: spans reach an OTLP/HTTP receiver with the request id; nothing is loaded when unset."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.operations.support import SHARED_REDIS, unique_prefix
from tests.support import auth, free_port, server_process


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny OTLP/HTTP collector: every span POSTed to /v1/traces, as {name, attributes}."""
    spans: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path == "/v1/traces":
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                            spans.append({"name": span.name, "attributes": attributes})
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", spans
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_spans_for_requests_sql_and_redis_reach_the_collector_with_the_request_id(database_url: str) -> None:
    request_id = f"trace-{uuid.uuid4().hex}"
    with otlp_receiver() as (endpoint, spans):
        env: dict[str, str] = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "REDIS_URL": SHARED_REDIS,
            "REDIS_KEY_PREFIX": unique_prefix(),
        }
        with server_process(database_url, 1, **env) as (base, _):
            me = httpx.get(f"{base}/api/v1/me", headers={**auth(uuid.uuid4()), "X-Request-ID": request_id})
            assert me.status_code == 200
            assert httpx.get(f"{base}/health/ready").status_code == 200  # SELECT 1
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                server = [s for s in spans if s["attributes"].get("request.id") == request_id]
                sql = [s for s in spans if s["attributes"].get("db.system") == "postgresql"]
                redis = [s for s in spans if s["attributes"].get("db.system") == "redis"]
                if server and sql and redis:
                    break
                time.sleep(0.1)
    assert server, "no server span with the request id"
    assert server[0]["name"] == "GET /api/v1/me"
    assert sql, "no SQL span"
    assert redis, "no Redis span"


def test_tracing_is_not_even_imported_without_an_endpoint(database_url: str) -> None:
    code = (
        "import sys\n"
        "from event_service.app import create_app\n"
        "from tests.conftest import make_settings\n"
        f"app = create_app(make_settings({database_url!r}))\n"
        "prefixes = ('opentelemetry.sdk.trace', 'opentelemetry.instrumentation', 'opentelemetry.exporter')\n"
        "loaded = [m for m in sys.modules if m.startswith(prefixes)]\n"
        "print(len(loaded), hasattr(app.state, 'tracer_provider'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    # (redis-py itself imports the OpenTelemetry API for its own optional observability; no tracer is set up)
    assert result.stdout.strip() == "0 False"

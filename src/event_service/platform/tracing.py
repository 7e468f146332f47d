"""OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Unset, this module imports nothing from OpenTelemetry and adds no middleware:
tracing costs nothing. Set, it exports over OTLP/HTTP (protobuf) to
`{endpoint}/v1/traces` with a batch processor and traces
- incoming requests (FastAPI; /health* and /metrics excluded), each server
  span carrying the request id as `request.id`;
- SQL (the SQLAlchemy engine, instrumented once the database is up);
- outgoing httpx calls (the venue and auth services) and Redis commands.
The standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_BSP_SCHEDULE_DELAY,
OTEL_TRACES_SAMPLER ...) apply as usual.

Test hook: `app.state.tracer_provider` is the SDK TracerProvider, so a test may
add e.g. an in-memory span processor to it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_service import __version__
from event_service.settings import Settings


class RequestIdSpanMiddleware:
    """Puts the request id (set by RequestContextMiddleware) on the current server span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from opentelemetry import trace

        span = trace.get_current_span()

        async def send_tagged(message: Message) -> None:
            # At the response start the id exists and the server span is still open.
            if message["type"] == "http.response.start" and span.is_recording():
                request_id = scope.get("state", {}).get("request_id")
                if request_id:
                    span.set_attribute("request.id", request_id)
            await send(message)

        await self.app(scope, receive, send_tagged)


def traces_endpoint(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def install(app: FastAPI, settings: Settings) -> None:
    """Call last in create_app: the request-id middleware must wrap RequestContextMiddleware."""
    if not settings.otel_exporter_otlp_endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": settings.service_name, "service.version": __version__})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_endpoint(settings.otel_exporter_otlp_endpoint)))
    )
    app.state.tracer_provider = provider
    app.add_middleware(RequestIdSpanMiddleware)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="/health,/metrics", exclude_spans=["receive", "send"]
    )
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)

    async def instrument_engine(app: FastAPI) -> None:
        engine: Any = app.state.db.engine
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True)

    async def flush(app: FastAPI) -> None:
        await asyncio.to_thread(provider.shutdown)  # exports what is still batched

    app.state.on_startup.append(instrument_engine)
    app.state.on_shutdown.append(flush)

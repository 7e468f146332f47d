"""Where the relay publishes outbox rows: nowhere, RabbitMQ, NATS JetStream or a Redis stream.

Chosen by EVENT_BUS_URL's scheme. Each sink connects lazily and, after any
error, drops its connection so the next attempt reconnects: the relay's
retry with backoff is the one reconnection policy, for every broker alike.
`publish` returns only once the broker has the message (publisher confirm,
JetStream ack, XADD reply), which is what lets the relay mark a row delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aio_pika
import nats
import redis.asyncio as aioredis
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from nats.aio.client import Client as NatsClient
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from event_service.outbox.queries import Pending
from event_service.platform.logging import get_logger
from event_service.platform.responses import dumps
from event_service.settings import Settings

log = get_logger("outbox.sinks")


def encode(message: dict[str, Any]) -> bytes:
    # The API's renderer: JSONB money reads back as Decimal and goes out as the exact JSON number.
    return dumps(message)


class Sink:
    """No bus: rows are only marked delivered; they stay readable at /api/v1/admin/outbox and /api/v1/changes."""

    name = "none"

    async def publish(self, item: Pending) -> None:
        return None

    async def close(self) -> None:
        return None


class RabbitMqSink(Sink):
    """A durable topic exchange; routing key = event type; persistent messages; publisher confirms."""

    name = "amqp"

    def __init__(self, url: str, exchange: str, timeout: float) -> None:
        self.url = url
        self.exchange_name = exchange
        self.timeout = timeout
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def _ready(self) -> AbstractExchange:
        if self._exchange is None or self._connection is None or self._connection.is_closed:
            await self.close()
            self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
            self._channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await self._channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        return self._exchange

    async def publish(self, item: Pending) -> None:
        try:
            exchange = await self._ready()
            message = aio_pika.Message(
                encode(item.message),
                content_type="application/cloudevents+json",
                message_id=str(item.id),
                type=item.type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers={"tenantid": str(item.tenant_id), "subject": item.subject, "seq": item.seq},
            )
            await exchange.publish(message, routing_key=item.type, timeout=self.timeout)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        connection, self._connection, self._channel, self._exchange = self._connection, None, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)


class NatsJetStreamSink(Sink):
    """JetStream subject `<prefix>.<type>`; Nats-Msg-Id = event id, so the stream drops retried duplicates."""

    name = "nats"

    def __init__(self, url: str, stream: str, prefix: str, timeout: float) -> None:
        self.url = url
        self.stream = stream
        self.prefix = prefix
        self.timeout = timeout
        self._client: NatsClient | None = None
        self._js: JetStreamContext | None = None

    async def _ready(self) -> JetStreamContext:
        if self._js is None or self._client is None or not self._client.is_connected:
            await self.close()

            async def on_error(exc: Exception) -> None:
                log.debug("nats_error", error=f"{type(exc).__name__}: {exc}")

            self._client = await nats.connect(
                self.url, allow_reconnect=False, connect_timeout=self.timeout, error_cb=on_error
            )
            self._js = self._client.jetstream(timeout=self.timeout)
            try:
                await self._js.stream_info(self.stream)
            except NotFoundError:
                await self._js.add_stream(name=self.stream, subjects=[f"{self.prefix}.>"])
        return self._js

    async def publish(self, item: Pending) -> None:
        try:
            js = await self._ready()
            await js.publish(
                f"{self.prefix}.{item.type}",
                encode(item.message),
                timeout=self.timeout,
                headers={"Nats-Msg-Id": str(item.id), "Content-Type": "application/cloudevents+json"},
            )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), timeout=2)


class RedisStreamSink(Sink):
    """XADD to one stream; fields id, type, subject, tenantid, seq and the envelope as JSON."""

    name = "redis"

    def __init__(self, url: str, stream: str, maxlen: int | None, timeout: float) -> None:
        self.stream = stream
        self.maxlen = maxlen
        self._client = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    async def publish(self, item: Pending) -> None:
        fields: dict[str | bytes, str | bytes | int] = {
            "id": str(item.id),
            "type": item.type,
            "subject": item.subject,
            "tenantid": str(item.tenant_id),
            "seq": item.seq,
            "envelope": encode(item.message),
        }
        try:
            await self._client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        except BaseException:
            # Drop pooled sockets that may be half-dead; the next call opens new ones.
            await self._client.connection_pool.disconnect()
            raise

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()


def make_sink(settings: Settings) -> Sink:
    url = (settings.event_bus_url or "").strip()
    timeout = settings.event_bus_publish_timeout_seconds
    scheme = url.split("://", 1)[0].lower() if "://" in url else url.lower()
    if scheme in {"", "none"}:
        return Sink()
    if scheme in {"amqp", "amqps"}:
        return RabbitMqSink(url, settings.event_bus_exchange, timeout)
    if scheme in {"nats", "tls"}:
        return NatsJetStreamSink(url, settings.event_bus_nats_stream, settings.event_bus_subject_prefix, timeout)
    if scheme in {"redis", "rediss", "unix"}:
        return RedisStreamSink(url, settings.event_bus_stream, settings.event_bus_stream_maxlen, timeout)
    raise ValueError(f"EVENT_BUS_URL: unsupported scheme {scheme!r} (use none, amqp://, nats:// or redis://)")

"""Each sink on the CI's real brokers: every change arrives once, also across a broker outage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import nats
import orjson
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from event_service.db.engine import Database
from tests.outbox.conftest import RelayApp, all_delivered, emit_changes, wait_for
from tests.outbox.tcp_proxy import TcpProxy

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
NATS = "nats://127.0.0.1:4222"
REDIS = "redis://127.0.0.1:6379/0"


class RabbitConsumer:
    """A queue bound with '#' to the relay's topic exchange, declared before anything is published."""

    def __init__(self, exchange: str) -> None:
        self.exchange = exchange
        self.messages: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def __aenter__(self) -> RabbitConsumer:
        self.connection = await aio_pika.connect(AMQP)
        channel = await self.connection.channel()
        self._exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(self._exchange, "#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            self.messages.append(message)

        await queue.consume(on_message)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._exchange.delete()
        await self.connection.close()

    def bodies(self) -> list[dict[str, Any]]:
        return [orjson.loads(m.body) for m in self.messages]


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitConsumer]:
    async with RabbitConsumer(f"test.outbox.{uuid.uuid4().hex[:10]}") as consumer:
        yield consumer


def check_arrived_once(received: list[dict[str, Any]], emitted: list[uuid.UUID], tenant_id: uuid.UUID) -> None:
    ids = [uuid.UUID(m["id"]) for m in received]
    assert sorted(ids) == sorted(emitted), "every change exactly once"
    assert all(m["tenantid"] == str(tenant_id) and m["specversion"] == "1.0" for m in received)


def check_subject_order(received: list[dict[str, Any]]) -> None:
    by_subject: dict[str, list[int]] = {}
    for message in received:
        by_subject.setdefault(message["subject"], []).append(message["seq"])
    for seqs in by_subject.values():
        assert seqs == sorted(seqs), "per-subject order"


async def test_rabbitmq_receives_each_change_once_on_the_topic_exchange_with_routing_key_type(
    relay_app: RelayApp, outbox_db: Database, rabbit: RabbitConsumer
) -> None:
    tenant_id = uuid.uuid4()
    emitted = await emit_changes(outbox_db, tenant_id, 12, subjects=3, event_type="event.created")
    async with relay_app(event_bus_url=AMQP, event_bus_exchange=rabbit.exchange) as app:
        await all_delivered(outbox_db, tenant_id)
        await wait_for(lambda: asyncio.sleep(0, len(rabbit.messages) >= 12), what="12 messages")
        await asyncio.sleep(0.3)
        ready = app.state.outbox_relay.probe()
    check_arrived_once(rabbit.bodies(), emitted, tenant_id)
    check_subject_order(rabbit.bodies())
    first = rabbit.messages[0]
    assert first.routing_key == "event.created" and first.type == "event.created"
    assert first.message_id == rabbit.bodies()[0]["id"]
    assert rabbit.bodies()[0]["data"] == {"n": 0, "name": "Change 0"}
    assert ready["sink"] == "amqp" and ready["status"] == "healthy" and ready["pending"] == 0


@pytest.mark.slow
async def test_rabbitmq_outage_loses_nothing_and_delivers_once_it_returns(
    relay_app: RelayApp, outbox_db: Database, rabbit: RabbitConsumer
) -> None:
    tenant_id = uuid.uuid4()
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    try:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
        async with relay_app(event_bus_url=url, event_bus_exchange=rabbit.exchange) as app:
            emitted = await emit_changes(outbox_db, tenant_id, 5, subjects=2)
            await all_delivered(outbox_db, tenant_id)
            await proxy.cut()
            emitted += await emit_changes(outbox_db, tenant_id, 8, subjects=2)
            await wait_for(lambda: failing_rows(outbox_db, tenant_id), what="failed attempts to be recorded")
            assert app.state.outbox_relay.probe()["lastError"]
            await proxy.restore()
            await all_delivered(outbox_db, tenant_id, within=20)
            await wait_for(lambda: asyncio.sleep(0, len(rabbit.messages) >= 13), what="13 messages")
            await asyncio.sleep(0.3)
    finally:
        await proxy.close()
    check_arrived_once(rabbit.bodies(), emitted, tenant_id)
    check_subject_order(rabbit.bodies())


async def failing_rows(db: Database, tenant_id: uuid.UUID) -> bool:
    async with db.read() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE attempts >= 2 AND last_error IS NOT NULL "
                    "AND next_attempt_at > created_at) AS failing FROM outbox "
                    "WHERE tenant_id = :t AND delivered_at IS NULL"
                ),
                {"t": tenant_id},
            )
        ).one()
    return int(row.failing) > 0


@pytest.mark.slow
async def test_two_relays_at_once_deliver_each_change_once_in_subject_order(
    relay_app: RelayApp, outbox_db: Database, rabbit: RabbitConsumer
) -> None:
    tenant_id = uuid.uuid4()
    settings = {"event_bus_url": AMQP, "event_bus_exchange": rabbit.exchange, "outbox_relay_interval_seconds": 0.01}
    async with relay_app(**settings, outbox_batch_size=7), relay_app(**settings, outbox_batch_size=5):
        emitted = await asyncio.gather(
            *(emit_changes(outbox_db, tenant_id, 20, subjects=4, event_type=f"event.k{k}") for k in range(5))
        )
        flat = [i for ids in emitted for i in ids]
        await all_delivered(outbox_db, tenant_id, within=30)
        await wait_for(lambda: asyncio.sleep(0, len(rabbit.messages) >= 100), what="100 messages")
        await asyncio.sleep(0.5)
    check_arrived_once(rabbit.bodies(), flat, tenant_id)
    check_subject_order(rabbit.bodies())


async def nats_messages(stream: str) -> list[tuple[str | None, dict[str, Any]]]:
    client = await nats.connect(NATS)
    try:
        js = client.jetstream()
        info = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            out.append((msg.subject, orjson.loads(msg.data or b"{}")))
        return out
    finally:
        await client.close()


async def delete_nats_stream(stream: str) -> None:
    client = await nats.connect(NATS)
    try:
        await client.jetstream().delete_stream(stream)
    finally:
        await client.close()


@pytest.mark.slow
async def test_nats_jetstream_receives_each_change_once_on_events_type_subjects_across_an_outage(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id, tag = uuid.uuid4(), uuid.uuid4().hex[:10]
    stream, prefix = f"TEST_OUTBOX_{tag}", f"test_outbox_{tag}"
    proxy = TcpProxy("127.0.0.1", 4222)
    await proxy.start()
    try:
        overrides = {
            "event_bus_url": f"nats://127.0.0.1:{proxy.port}",
            "event_bus_nats_stream": stream,
            "event_bus_subject_prefix": prefix,
        }
        async with relay_app(**overrides):
            emitted = await emit_changes(outbox_db, tenant_id, 6, subjects=2, event_type="event.published")
            await all_delivered(outbox_db, tenant_id)
            await proxy.cut()
            emitted += await emit_changes(outbox_db, tenant_id, 6, subjects=2, event_type="event.published")
            await wait_for(lambda: failing_rows(outbox_db, tenant_id), what="failed attempts to be recorded")
            await proxy.restore()
            await all_delivered(outbox_db, tenant_id, within=20)
        received = await nats_messages(stream)
    finally:
        await proxy.close()
        await delete_nats_stream(stream)
    assert {subject for subject, _ in received} == {f"{prefix}.event.published"}
    bodies = [body for _, body in received]
    check_arrived_once(bodies, emitted, tenant_id)
    check_subject_order(bodies)
    assert bodies[0]["type"] == "event.published" and bodies[0]["data"]["n"] == 0


@pytest.mark.slow
async def test_redis_stream_receives_each_change_once_across_an_outage(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id, stream = uuid.uuid4(), f"test:outbox:{uuid.uuid4().hex[:10]}"
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    reader = aioredis.from_url(REDIS)
    try:
        overrides = {"event_bus_url": f"redis://127.0.0.1:{proxy.port}/0", "event_bus_stream": stream}
        async with relay_app(**overrides):
            emitted = await emit_changes(outbox_db, tenant_id, 6, subjects=3, event_type="event.cancelled")
            await all_delivered(outbox_db, tenant_id)
            await proxy.cut()
            emitted += await emit_changes(outbox_db, tenant_id, 6, subjects=3, event_type="event.cancelled")
            await wait_for(lambda: failing_rows(outbox_db, tenant_id), what="failed attempts to be recorded")
            await proxy.restore()
            await all_delivered(outbox_db, tenant_id, within=20)
        entries: Any = await reader.xread({stream: "0-0"}, count=1000)
    finally:
        await proxy.close()
        await reader.delete(stream)
        await reader.aclose()
    [(_, items)] = entries
    fields = [{k.decode(): v for k, v in item.items()} for _, item in items]
    bodies = [orjson.loads(f["envelope"]) for f in fields]
    check_arrived_once(bodies, emitted, tenant_id)
    check_subject_order(bodies)
    assert {f["type"] for f in fields} == {b"event.cancelled"}
    assert [int(f["seq"]) for f in fields] == list(range(1, 13))

"""Writing domain events into the outbox, inside the caller's transaction.

The envelope is CloudEvents 1.0 JSON. Delivery (relay, sinks, change feed) is
the outbox relay's job; a service only calls `emit` next to its change, so a
change and its event commit together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import outbox, outbox_sequences, webhook_deliveries, webhooks
from event_service.platform.responses import dumps

SOURCE = "/event-service"


def envelope(tenant_id: uuid.UUID, event_type: str, subject: str, data: Any) -> dict[str, Any]:
    # Round-trip through our JSON renderer so that money, times and UUIDs appear
    # exactly as the API shows them.
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": event_type,
        "subject": subject,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "tenantid": str(tenant_id),
        "datacontenttype": "application/json",
        "data": orjson.loads(dumps(data)),
    }


async def emit(conn: AsyncConnection, tenant_id: uuid.UUID, event_type: str, subject: str, data: Any) -> uuid.UUID:
    """Record `event_type` (e.g. "event.created") about `subject` (e.g. "events/<id>")."""
    env = envelope(tenant_id, event_type, subject, data)
    event_id = uuid.UUID(env["id"])
    await conn.execute(
        insert(outbox).values(id=event_id, tenant_id=tenant_id, type=event_type, subject=subject, envelope=env)
    )
    return event_id


async def emit_many(conn: AsyncConnection, tenant_id: uuid.UUID, events: list[tuple[str, str, Any]]) -> None:
    """`emit` for several (event_type, subject, data) at once: one multi-row INSERT (coalesced reserves)."""
    if not events:
        return
    rows = []
    for event_type, subject, data in events:
        env = envelope(tenant_id, event_type, subject, data)
        rows.append(
            {
                "id": uuid.UUID(env["id"]),
                "tenant_id": tenant_id,
                "type": event_type,
                "subject": subject,
                "envelope": env,
            }
        )
    await conn.execute(insert(outbox).values(rows))


# --- Sequencer -------------------------------------------------------------

# Any constant shared by every instance; only one sequencer runs at a time.
SEQUENCER_LOCK_KEY = 0x6F7574626F78  # "outbox"

_SEQUENCE = text(
    """
    WITH batch AS (
        SELECT id, tenant_id, created_at
        FROM outbox
        WHERE seq IS NULL
        ORDER BY created_at, id
        LIMIT :batch
    ),
    numbered AS (
        SELECT b.id, b.tenant_id, b.type, b.subject,
               coalesce(s.last_seq, 0)
               + row_number() OVER (PARTITION BY b.tenant_id ORDER BY b.created_at, b.id) AS seq
        FROM (SELECT batch.*, o.type, o.subject FROM batch JOIN outbox o USING (id)) b
        LEFT JOIN outbox_sequences s ON s.tenant_id = b.tenant_id
    ),
    assigned AS (
        UPDATE outbox o SET seq = n.seq FROM numbered n WHERE o.id = n.id
        RETURNING o.id, o.tenant_id, o.type, o.subject, o.seq
    ),
    counters AS (
        INSERT INTO outbox_sequences AS s (tenant_id, last_seq)
        SELECT tenant_id, max(seq) FROM assigned GROUP BY tenant_id
        ON CONFLICT (tenant_id) DO UPDATE SET last_seq = excluded.last_seq
        RETURNING 1
    ),
    fanned AS (
        INSERT INTO webhook_deliveries (tenant_id, webhook_id, outbox_id, seq, subject)
        SELECT a.tenant_id, w.id, a.id, a.seq, a.subject
        FROM assigned a
        JOIN webhooks w ON w.tenant_id = a.tenant_id AND w.disabled_at IS NULL
             AND (w.event_types IS NULL OR a.type = ANY (w.event_types))
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM assigned) AS sequenced,
           (SELECT count(*) FROM counters) AS tenants,
           (SELECT count(*) FROM fanned) AS webhook_deliveries
    """
)


async def sequence(conn: AsyncConnection, batch: int) -> int:
    """Give the committed, unsequenced rows their per-tenant seq; returns how many.

    Must run in its own short transaction (the caller commits right after):
    the advisory lock is held until that commit, so two sequencers never
    interleave, and the UPDATE's snapshot, taken after the lock is granted,
    already sees the previous sequencer's numbers. Rows whose transaction has
    not committed yet are invisible here and are numbered by a later run, after
    everything numbered now: a reader therefore only ever sees 1..n.
    The same statement fans each row out to the tenant's active webhooks.
    """
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK_KEY})
    row = (await conn.execute(_SEQUENCE, {"batch": batch})).one()
    return int(row.sequenced)


# --- Relay to the bus ------------------------------------------------------

_CLAIM = text(
    """
    WITH claimed AS (
        SELECT o.id
        FROM outbox o
        WHERE o.delivered_at IS NULL
          AND o.seq IS NOT NULL
          AND o.next_attempt_at <= now()
          AND NOT EXISTS (
              SELECT 1 FROM outbox e
              WHERE e.tenant_id = o.tenant_id AND e.subject = o.subject
                AND e.delivered_at IS NULL AND e.seq < o.seq
          )
        ORDER BY o.next_attempt_at, o.created_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox o
    SET attempts = o.attempts + 1,
        next_attempt_at = now() + make_interval(secs => :lease)
    FROM claimed c
    WHERE o.id = c.id
    RETURNING o.id, o.tenant_id, o.seq, o.type, o.subject, o.envelope, o.attempts
    """
)


@dataclass(frozen=True)
class Pending:
    id: uuid.UUID
    tenant_id: uuid.UUID
    seq: int
    type: str
    subject: str
    envelope: dict[str, Any]
    attempts: int

    @property
    def message(self) -> dict[str, Any]:
        """The envelope as consumers receive it: CloudEvents plus the `seq` extension."""
        return {**self.envelope, "seq": self.seq}


async def claim(conn: AsyncConnection, batch: int, lease_seconds: float) -> list[Pending]:
    """Lease the next deliverable rows: the oldest undelivered row of each subject.

    Leasing (pushing next_attempt_at past the lease) instead of holding the row
    lock keeps the transaction short and the network call outside it; a relay
    that dies mid-delivery lets the lease run out and another one retries.
    A leased row is still undelivered, so no relay takes the next row of the
    same subject until it is marked delivered: per-subject order holds.
    """
    rows = (await conn.execute(_CLAIM, {"batch": batch, "lease": lease_seconds})).all()
    claimed = [Pending(r.id, r.tenant_id, r.seq, r.type, r.subject, r.envelope, r.attempts) for r in rows]
    claimed.sort(key=lambda p: (p.tenant_id, p.seq))
    return claimed


async def mark_delivered(conn: AsyncConnection, ids: list[uuid.UUID]) -> None:
    if ids:
        await conn.execute(
            text("UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = ANY(:ids)"), {"ids": ids}
        )


async def mark_failed(conn: AsyncConnection, failures: dict[uuid.UUID, str], base: float, cap: float) -> None:
    """Record the error and push the next attempt back: base * 2^(attempts-1), at most cap."""
    for row_id, error in failures.items():
        await conn.execute(
            text(
                "UPDATE outbox SET last_error = :error, next_attempt_at = now() + make_interval(secs => "
                "least(:cap, :base * power(2, greatest(attempts - 1, 0)))) WHERE id = :id"
            ),
            {"id": row_id, "error": error[:2000], "base": base, "cap": cap},
        )


# --- Retention and backlog -------------------------------------------------

_PRUNE = text(
    """
    WITH keep AS (
        SELECT tenant_id, min(seq) AS first_kept
        FROM outbox
        WHERE seq IS NOT NULL AND (delivered_at IS NULL OR created_at >= :cutoff)
        GROUP BY tenant_id
    ),
    doomed AS (
        SELECT o.id
        FROM outbox o LEFT JOIN keep k ON k.tenant_id = o.tenant_id
        WHERE o.seq IS NOT NULL AND o.delivered_at IS NOT NULL AND o.created_at < :cutoff
          AND (k.first_kept IS NULL OR o.seq < k.first_kept)
        LIMIT :batch
    ),
    deleted AS (
        DELETE FROM outbox o USING doomed d WHERE o.id = d.id RETURNING o.tenant_id, o.seq
    ),
    marked AS (
        UPDATE outbox_sequences s SET pruned_through = greatest(s.pruned_through, m.through)
        FROM (SELECT tenant_id, max(seq) AS through FROM deleted GROUP BY tenant_id) m
        WHERE s.tenant_id = m.tenant_id
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM deleted) AS pruned, (SELECT count(*) FROM marked) AS tenants
    """
)


async def prune(conn: AsyncConnection, cutoff: datetime, batch: int = 10_000) -> int:
    """Delete delivered rows older than `cutoff`, only ever a prefix (in seq) of each tenant's feed.

    A row still undelivered (or younger than the cutoff) keeps every later row
    of its tenant, so the change feed never has a hole in the middle.
    """
    row = (await conn.execute(_PRUNE, {"cutoff": cutoff, "batch": batch})).one()
    return int(row.pruned)


async def backlog(conn: AsyncConnection) -> tuple[int, float]:
    """(undelivered rows, age in seconds of the oldest one): what /health/ready and /metrics show."""
    row = (
        await conn.execute(
            text(
                "SELECT count(*) AS pending, "
                "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest "
                "FROM outbox WHERE delivered_at IS NULL"
            )
        )
    ).one()
    return int(row.pending), float(row.oldest)


# --- Change feed and the admin view ---------------------------------------


async def pruned_through(conn: AsyncConnection, tenant_id: uuid.UUID) -> int:
    value = (
        await conn.execute(select(outbox_sequences.c.pruned_through).where(outbox_sequences.c.tenant_id == tenant_id))
    ).scalar_one_or_none()
    return int(value or 0)


async def changes_after(conn: AsyncConnection, tenant_id: uuid.UUID, after: int, limit: int) -> list[tuple[int, Any]]:
    """Sequenced rows of one tenant with seq > after, in seq order (only numbered rows are visible)."""
    rows = (
        await conn.execute(
            select(outbox.c.seq, outbox.c.envelope)
            .where(outbox.c.tenant_id == tenant_id, outbox.c.seq.is_not(None), outbox.c.seq > after)
            .order_by(outbox.c.seq)
            .limit(limit)
        )
    ).all()
    return [(int(r.seq), r.envelope) for r in rows]


async def list_rows(
    conn: AsyncConnection, tenant_id: uuid.UUID, status: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The tenant's outbox rows, newest first, for the admin view."""
    query = select(outbox).where(outbox.c.tenant_id == tenant_id)
    if status == "pending":
        query = query.where(outbox.c.delivered_at.is_(None))
    elif status == "delivered":
        query = query.where(outbox.c.delivered_at.is_not(None))
    query = query.order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit).offset(offset)
    return [dict(r._mapping) for r in (await conn.execute(query)).all()]


# --- Webhooks --------------------------------------------------------------

_WEBHOOK_COLUMNS = (
    webhooks.c.id,
    webhooks.c.url,
    webhooks.c.event_types,
    webhooks.c.consecutive_failures,
    webhooks.c.disabled_at,
    webhooks.c.last_error,
    webhooks.c.last_success_at,
    webhooks.c.created_at,
)


async def insert_webhook(
    conn: AsyncConnection, tenant_id: uuid.UUID, url: str, event_types: list[str] | None, secret: str
) -> dict[str, Any]:
    row = (
        await conn.execute(
            insert(webhooks)
            .values(tenant_id=tenant_id, url=url, event_types=event_types, secret=secret)
            .returning(*_WEBHOOK_COLUMNS)
        )
    ).one()
    return dict(row._mapping)


async def list_webhooks(conn: AsyncConnection, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(*_WEBHOOK_COLUMNS).where(webhooks.c.tenant_id == tenant_id).order_by(webhooks.c.created_at)
    )
    return [dict(r._mapping) for r in rows.all()]


async def get_webhook(conn: AsyncConnection, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(*_WEBHOOK_COLUMNS).where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
        )
    ).one_or_none()
    return dict(row._mapping) if row else None


async def delete_webhook(conn: AsyncConnection, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> bool:
    result = await conn.execute(
        delete(webhooks).where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id).returning(webhooks.c.id)
    )
    return result.one_or_none() is not None


async def enable_webhook(conn: AsyncConnection, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            update(webhooks)
            .where(webhooks.c.tenant_id == tenant_id, webhooks.c.id == webhook_id)
            .values(disabled_at=None, consecutive_failures=0)
            .returning(*_WEBHOOK_COLUMNS)
        )
    ).one_or_none()
    if row is None:
        return None
    # Deliveries left waiting while it was disabled go out again now, in order.
    await conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.delivered_at.is_(None))
        .values(next_attempt_at=func.now())
    )
    return dict(row._mapping)


_CLAIM_DELIVERIES = text(
    """
    WITH claimed AS (
        SELECT d.id
        FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id AND w.disabled_at IS NULL
        WHERE d.delivered_at IS NULL
          AND d.next_attempt_at <= now()
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries e
              WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject
                AND e.delivered_at IS NULL AND e.seq < d.seq
          )
        ORDER BY d.next_attempt_at, d.seq
        LIMIT :batch
        FOR UPDATE OF d SKIP LOCKED
    ),
    leased AS (
        UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => :lease)
        FROM claimed c
        WHERE d.id = c.id
        RETURNING d.id, d.webhook_id, d.outbox_id, d.seq, d.attempts
    )
    SELECT l.id, l.webhook_id, l.seq, l.attempts, w.url, w.secret, o.envelope
    FROM leased l
    JOIN webhooks w ON w.id = l.webhook_id
    JOIN outbox o ON o.id = l.outbox_id
    ORDER BY l.webhook_id, l.seq
    """
)


@dataclass(frozen=True)
class WebhookDelivery:
    id: uuid.UUID
    webhook_id: uuid.UUID
    url: str
    secret: str
    seq: int
    attempts: int
    envelope: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        return {**self.envelope, "seq": self.seq}


async def claim_webhook_deliveries(conn: AsyncConnection, batch: int, lease_seconds: float) -> list[WebhookDelivery]:
    """Lease due deliveries of enabled webhooks: per webhook and subject, only the oldest undelivered one."""
    rows = (await conn.execute(_CLAIM_DELIVERIES, {"batch": batch, "lease": lease_seconds})).all()
    return [WebhookDelivery(r.id, r.webhook_id, r.url, r.secret, r.seq, r.attempts, r.envelope) for r in rows]


async def webhook_delivered(conn: AsyncConnection, delivery_id: uuid.UUID, webhook_id: uuid.UUID, status: int) -> None:
    await conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(delivered_at=func.now(), last_status=status, last_error=None)
    )
    await conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id)
        .values(consecutive_failures=0, last_success_at=func.now(), last_error=None)
    )


async def webhook_failed(
    conn: AsyncConnection,
    delivery_id: uuid.UUID,
    webhook_id: uuid.UUID,
    status: int | None,
    error: str,
    *,
    base: float,
    cap: float,
    max_failures: int,
) -> bool:
    """Back the delivery off; count the failure on the webhook. True when this failure disabled it."""
    await conn.execute(
        text(
            "UPDATE webhook_deliveries SET last_status = :status, last_error = :error, "
            "next_attempt_at = now() + make_interval(secs => least(:cap, :base * power(2, greatest(attempts - 1, 0)))) "
            "WHERE id = :id"
        ),
        {"id": delivery_id, "status": status, "error": error[:2000], "base": base, "cap": cap},
    )
    row = (
        await conn.execute(
            text(
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, last_error = :error, "
                "disabled_at = CASE WHEN disabled_at IS NULL AND consecutive_failures + 1 >= :max THEN now() "
                "ELSE disabled_at END "
                "WHERE id = :id RETURNING disabled_at IS NOT NULL AND consecutive_failures = :max AS just_disabled"
            ),
            {"id": webhook_id, "error": error[:2000], "max": max_failures},
        )
    ).one_or_none()
    return bool(row and row.just_disabled)

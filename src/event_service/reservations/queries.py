"""SQL of the reservation ledger: the hot reserve statement, the ledger rows, idempotency keys,
expiry and reconciliation. No rules here; services decide what to do with the answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, and_, case, cast, delete, func, insert, literal, null, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import capacity_reservations, event_capacity, idempotency_keys
from event_service.platform.responses import dumps

Row = RowMapping
R = capacity_reservations.c
C = event_capacity.c


def jsonb(data: Any) -> Any:
    """A JSONB value from our own renderer, so money keeps its exact digits (50.00 stays 50.00)."""
    return cast(literal(dumps(data).decode(), Text), JSONB)


# --- the hot path -----------------------------------------------------------------------------


async def hold_seats(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    capacity_id: uuid.UUID,
    quantity: int,
    minutes: int,
    locked_price_data: dict[str, Any] | None,
) -> Row | None:
    """THE reserve decision: one conditional UPDATE of the section.

    The WHERE clause is the whole rule (active, within purchase limits, enough
    available), evaluated by PostgreSQL on the latest committed row version
    while holding the row lock: two concurrent reserves queue on the row and
    the second re-checks `available_capacity` after the first commits, so there
    is no read-then-write window and no oversell. `available_capacity` is a
    generated column (total - sold - pending - reserved - buffer) with a CHECK
    >= 0 as the last guard. No rows back means "no such section" or "not
    allowed/not enough": the caller reads the row again to say which.
    """
    return await hold_seats_for_batch(conn, tenant_id, capacity_id, [quantity], minutes, locked_price_data)


async def hold_seats_for_batch(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    capacity_id: uuid.UUID,
    quantities: Sequence[int],
    minutes: int,
    locked_price_data: dict[str, Any] | None,
) -> Row | None:
    """`hold_seats` for several requests at once (reserve coalescing): the same single UPDATE for
    their summed quantity, each quantity within the purchase limits (checked via the smallest and
    the largest). `minutes` is the longest hold and `locked_price_data` the last lock of the batch,
    so the section ends as if the requests had been applied one by one in arrival order."""
    total, smallest, largest = sum(quantities), min(quantities), max(quantities)
    values: dict[str, Any] = {
        "reserved_capacity": C.reserved_capacity + total,
        "reserved_at": func.now(),
        # greatest() ignores NULL: the section shows its latest active expiry.
        "reserved_expires_at": func.greatest(C.reserved_expires_at, func.now() + timedelta(minutes=minutes)),
    }
    if locked_price_data is not None:
        values["locked_price_data"] = jsonb(locked_price_data)  # the latest lock, as the seed shows
    statement = (
        update(event_capacity)
        .where(
            C.id == capacity_id,
            C.tenant_id == tenant_id,
            C.is_active.is_(True),
            C.available_capacity >= total,
            C.minimum_purchase <= smallest,
            (C.maximum_purchase.is_(None)) | (C.maximum_purchase >= largest),
        )
        .values(**values)
        .returning(*event_capacity.c)
    )
    return (await conn.execute(statement)).mappings().one_or_none()


async def insert_reservation(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    section: Row,
    *,
    user_id: uuid.UUID | None,
    quantity: int,
    minutes: int,
    pricing_id: uuid.UUID | None,
    locked_price_data: dict[str, Any] | None,
    unit_price: Decimal | None,
    total_amount: Decimal | None,
    currency: str | None,
    idempotency_key: str | None,
) -> Row:
    statement = (
        insert(capacity_reservations)
        .values(
            tenant_id=tenant_id,
            capacity_id=section["id"],
            event_id=section["event_id"],
            schedule_id=section["schedule_id"],
            pricing_id=pricing_id,
            user_id=user_id,
            quantity=quantity,
            status="ACTIVE",
            # now() is the transaction's start, the same instant the section's expiry used.
            expires_at=func.now() + timedelta(minutes=minutes),
            locked_price_data=jsonb(locked_price_data) if locked_price_data is not None else None,
            unit_price=unit_price,
            total_amount=total_amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )
        .returning(*capacity_reservations.c)
    )
    return (await conn.execute(statement)).mappings().one()


async def insert_reservations(
    conn: AsyncConnection, tenant_id: uuid.UUID, section: Mapping[Any, Any], holds: Sequence[Mapping[str, Any]]
) -> list[Row]:
    """The ledger rows of a coalesced batch in ONE multi-row INSERT, returned in the order of `holds`.

    Each hold: user_id, quantity, minutes, pricing_id, locked_price_data (or None). Ids are
    made here, so the rows come back matched to their requests whatever order RETURNING uses.
    """
    ids = [uuid.uuid4() for _ in holds]
    rows = [
        {
            "id": row_id,
            "tenant_id": tenant_id,
            "capacity_id": section["id"],
            "event_id": section["event_id"],
            "schedule_id": section["schedule_id"],
            "pricing_id": hold["pricing_id"],
            "user_id": hold["user_id"],
            "quantity": hold["quantity"],
            "status": "ACTIVE",
            "expires_at": func.now() + timedelta(minutes=hold["minutes"]),
            "locked_price_data": jsonb(hold["locked_price_data"]) if hold["locked_price_data"] is not None else None,
            "unit_price": hold["locked_price_data"]["locked_price"] if hold["locked_price_data"] else None,
            "total_amount": hold["locked_price_data"]["total"] if hold["locked_price_data"] else None,
            "currency": hold["locked_price_data"]["currency"] if hold["locked_price_data"] else None,
            "idempotency_key": None,
        }
        for row_id, hold in zip(ids, holds, strict=True)
    ]
    statement = insert(capacity_reservations).values(rows).returning(*capacity_reservations.c)
    by_id = {row["id"]: row for row in (await conn.execute(statement)).mappings().all()}
    return [by_id[row_id] for row_id in ids]


async def count_active_holds_by_user(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """`count_active_holds` for several users in one query (users without holds are absent)."""
    if not user_ids:
        return {}
    query = (
        select(R.user_id, func.count())
        .where(
            R.tenant_id == tenant_id,
            R.user_id.in_(sorted(set(user_ids))),
            R.event_id == event_id,
            R.status == "ACTIVE",
            R.expires_at > func.now(),
        )
        .group_by(R.user_id)
    )
    return {row[0]: int(row[1]) for row in (await conn.execute(query)).all()}


async def count_active_holds(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    query = select(func.count()).where(
        R.tenant_id == tenant_id,
        R.user_id == user_id,
        R.event_id == event_id,
        R.status == "ACTIVE",
        R.expires_at > func.now(),
    )
    return int((await conn.execute(query)).scalar_one())


# --- the ledger ---------------------------------------------------------------------------------


def _owned(tenant_id: uuid.UUID, reservation_id: uuid.UUID, owner: uuid.UUID | None) -> Any:
    clause = and_(R.id == reservation_id, R.tenant_id == tenant_id)
    if owner is not None:
        clause = and_(clause, R.user_id == owner)
    return clause


async def get_reservation(
    conn: AsyncConnection, tenant_id: uuid.UUID, reservation_id: uuid.UUID, owner: uuid.UUID | None
) -> Row | None:
    """`owner` limits the lookup to one user's reservations (customers); None = the whole tenant."""
    query = select(capacity_reservations).where(_owned(tenant_id, reservation_id, owner))
    return (await conn.execute(query)).mappings().one_or_none()


async def confirm_reservation(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    owner: uuid.UUID | None,
    price: Mapping[str, Any] | None,
) -> Row | None:
    """ACTIVE and not yet due -> CONFIRMED, decided by the row itself (the expiry job may race us)."""
    values: dict[str, Any] = {"status": "CONFIRMED", "confirmed_at": func.now()}
    if price is not None:
        values.update(price)
        if "locked_price_data" in values:
            values["locked_price_data"] = jsonb(values["locked_price_data"])
    statement = (
        update(capacity_reservations)
        .where(_owned(tenant_id, reservation_id, owner), R.status == "ACTIVE", R.expires_at > func.now())
        .values(**values)
        .returning(*capacity_reservations.c)
    )
    return (await conn.execute(statement)).mappings().one_or_none()


async def release_reservation(
    conn: AsyncConnection, tenant_id: uuid.UUID, reservation_id: uuid.UUID, owner: uuid.UUID | None
) -> Row | None:
    statement = (
        update(capacity_reservations)
        .where(_owned(tenant_id, reservation_id, owner), R.status == "ACTIVE")
        .values(status="RELEASED", released_at=func.now())
        .returning(*capacity_reservations.c)
    )
    return (await conn.execute(statement)).mappings().one_or_none()


async def extend_reservation(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    owner: uuid.UUID | None,
    minutes: int,
    max_hold_minutes: int,
) -> Row | None:
    new_expiry = R.expires_at + timedelta(minutes=minutes)
    statement = (
        update(capacity_reservations)
        .where(
            _owned(tenant_id, reservation_id, owner),
            R.status == "ACTIVE",
            R.expires_at > func.now(),
            new_expiry <= func.now() + timedelta(minutes=max_hold_minutes),
        )
        .values(expires_at=new_expiry)
        .returning(*capacity_reservations.c)
    )
    return (await conn.execute(statement)).mappings().one_or_none()


async def extend_section_expiry(
    conn: AsyncConnection, tenant_id: uuid.UUID, capacity_id: uuid.UUID, expires_at: datetime
) -> Row:
    statement = (
        update(event_capacity)
        .where(C.id == capacity_id, C.tenant_id == tenant_id)
        .values(reserved_expires_at=func.greatest(C.reserved_expires_at, expires_at))
        .returning(*event_capacity.c)
    )
    return (await conn.execute(statement)).mappings().one()


async def take_off_hold(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    capacity_id: uuid.UUID,
    quantity: int,
    *,
    sell: bool,
) -> Row:
    """Return `quantity` held seats of a section: to the pool (release/expiry) or to sold (confirm).

    Called after the reservation rows left ACTIVE in this same transaction.
    Keeps `reserved_expires_at` = the latest expiry among ACTIVE reservations
    (NULL, and the section's price lock cleared, when none is left).
    """
    emptied = C.reserved_capacity - quantity == 0
    values: dict[str, Any] = {
        "reserved_capacity": C.reserved_capacity - quantity,
        "reserved_expires_at": case((emptied, null()), else_=C.reserved_expires_at),
        "locked_price_data": case((emptied, null()), else_=C.locked_price_data),
    }
    if sell:
        values["sold_count"] = C.sold_count + quantity
    statement = (
        update(event_capacity)
        .where(C.id == capacity_id, C.tenant_id == tenant_id)
        .values(**values)
        .returning(*event_capacity.c)
    )
    row = (await conn.execute(statement)).mappings().one()
    if row["reserved_capacity"] > 0:
        # Recompute the latest ACTIVE expiry (one lookup in ix_capacity_reservations_active_section).
        # A new statement under the row lock we now hold sees every reservation committed
        # before it, so this is exact.
        latest = (
            select(func.max(R.expires_at))
            .where(R.capacity_id == capacity_id, R.tenant_id == tenant_id, R.status == "ACTIVE")
            .scalar_subquery()
        )
        statement = (
            update(event_capacity)
            .where(C.id == capacity_id, C.tenant_id == tenant_id)
            .values(reserved_expires_at=latest)
            .returning(*event_capacity.c)
        )
        row = (await conn.execute(statement)).mappings().one()
    return row


# --- expiry (a system job: it works across tenants, each row carrying its own) ---------------


_EXPIRE_DUE = text(
    """
    WITH due AS (
        SELECT id FROM capacity_reservations
         WHERE status = 'ACTIVE' AND expires_at <= now()
         ORDER BY expires_at
         LIMIT :limit
         FOR UPDATE SKIP LOCKED
    )
    UPDATE capacity_reservations r
       SET status = 'EXPIRED', released_at = now()
      FROM due
     WHERE r.id = due.id
    RETURNING r.id, r.tenant_id, r.capacity_id, r.event_id, r.user_id, r.quantity, r.expires_at, r.pricing_id
    """
)


async def expire_due(conn: AsyncConnection, limit: int) -> Sequence[Row]:
    """Mark up to `limit` due ACTIVE reservations EXPIRED. SKIP LOCKED: several instances
    (or a confirm holding a row) never wait on each other and never expire a row twice."""
    return (await conn.execute(_EXPIRE_DUE, {"limit": limit})).mappings().all()


# --- idempotency keys ---------------------------------------------------------------------------


async def claim_idempotency_key(
    conn: AsyncConnection, tenant_id: uuid.UUID, scope: str, key: str, request_hash: str
) -> bool:
    """Insert the key row first; False when it already exists (committed).

    If another transaction holds an uncommitted row with this key, the INSERT
    waits for it: the caller bounds that wait with a short lock_timeout.
    """
    statement = (
        pg_insert(idempotency_keys)
        .values(tenant_id=tenant_id, scope=scope, key=key, request_hash=request_hash)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return (await conn.execute(statement)).first() is not None


async def prune_idempotency_keys(conn: AsyncConnection, older_than: timedelta) -> int:
    """Forget Idempotency-Key answers older than the retention; a later repeat is a new request."""
    result = await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < func.now() - older_than))
    return int(result.rowcount or 0)


async def get_idempotency_key(
    conn: AsyncConnection, tenant_id: uuid.UUID, scope: str, key: str
) -> dict[str, Any] | None:
    K = idempotency_keys.c
    query = select(
        K.request_hash,
        K.status_code,
        K.completed_at,
        cast(K.response, Text).label("response_text"),
    ).where(K.tenant_id == tenant_id, K.scope == scope, K.key == key)
    row = (await conn.execute(query)).mappings().one_or_none()
    if row is None:
        return None
    data = dict(row)
    text_value = data.pop("response_text")
    data["response"] = json.loads(text_value, parse_float=Decimal) if text_value is not None else None
    return data


async def complete_idempotency_key(
    conn: AsyncConnection, tenant_id: uuid.UUID, scope: str, key: str, status_code: int, response: Any
) -> None:
    K = idempotency_keys.c
    await conn.execute(
        update(idempotency_keys)
        .where(K.tenant_id == tenant_id, K.scope == scope, K.key == key)
        .values(status_code=status_code, response=jsonb(response), completed_at=func.now())
    )


# --- reconciliation -----------------------------------------------------------------------------

_LEDGER = """
    SELECT c.id AS capacity_id, c.tenant_id, c.event_id,
           c.reserved_capacity, c.sold_count, c.available_capacity, c.reserved_expires_at,
           coalesce(l.active, 0)::int AS ledger_reserved,
           coalesce(l.confirmed, 0)::int AS ledger_sold,
           l.latest_active_expiry
      FROM event_capacity c
      LEFT JOIN LATERAL (
            SELECT sum(r.quantity) FILTER (WHERE r.status = 'ACTIVE') AS active,
                   sum(r.quantity) FILTER (WHERE r.status = 'CONFIRMED') AS confirmed,
                   max(r.expires_at) FILTER (WHERE r.status = 'ACTIVE') AS latest_active_expiry
              FROM capacity_reservations r
             WHERE r.capacity_id = c.id AND r.tenant_id = c.tenant_id
      ) l ON true
     WHERE (CAST(:tenant_id AS uuid) IS NULL OR c.tenant_id = CAST(:tenant_id AS uuid))
       AND (CAST(:event_id AS uuid) IS NULL OR c.event_id = CAST(:event_id AS uuid))
"""


async def ledger_drift(
    conn: AsyncConnection, tenant_id: uuid.UUID | None, event_id: uuid.UUID | None = None
) -> tuple[int, Sequence[Row]]:
    """(sections checked, sections whose counters differ from their ledger).

    `tenant_id` None = every tenant: for the operator's `event-service reconcile` only.
    """
    params = {"tenant_id": tenant_id, "event_id": event_id}
    checked = (await conn.execute(text(f"SELECT count(*) FROM ({_LEDGER}) s"), params)).scalar_one()
    drift = (
        (
            await conn.execute(
                text(
                    f"SELECT * FROM ({_LEDGER}) s WHERE s.reserved_capacity <> s.ledger_reserved "
                    "OR s.sold_count <> s.ledger_sold "
                    "OR s.reserved_expires_at IS DISTINCT FROM s.latest_active_expiry "
                    "ORDER BY s.capacity_id"
                ),
                params,
            )
        )
        .mappings()
        .all()
    )
    return int(checked), drift


async def lock_sections(conn: AsyncConnection, tenant_id: uuid.UUID, capacity_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(
        select(C.id).where(C.tenant_id == tenant_id, C.id.in_(capacity_ids)).order_by(C.id).with_for_update()
    )


async def set_counters_from_ledger(conn: AsyncConnection, tenant_id: uuid.UUID, capacity_id: uuid.UUID) -> None:
    """Overwrite a section's counters with its ledger's sums (caller holds the row lock)."""
    await conn.execute(
        text(
            """
            UPDATE event_capacity c
               SET reserved_capacity = l.active, sold_count = l.confirmed, reserved_expires_at = l.latest
              FROM (SELECT coalesce(sum(quantity) FILTER (WHERE status = 'ACTIVE'), 0) AS active,
                           coalesce(sum(quantity) FILTER (WHERE status = 'CONFIRMED'), 0) AS confirmed,
                           max(expires_at) FILTER (WHERE status = 'ACTIVE') AS latest
                      FROM capacity_reservations
                     WHERE capacity_id = :capacity_id AND tenant_id = :tenant_id) l
             WHERE c.id = :capacity_id AND c.tenant_id = :tenant_id
            """
        ),
        {"capacity_id": capacity_id, "tenant_id": tenant_id},
    )

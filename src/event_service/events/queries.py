"""SQL for events, their first schedule, their capacity summary and metadata; no rules here.

Every function takes the tenant id, and every statement filters on it.
`get_event_row` is the one other domains import to look an event up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import event_capacity, event_categories, event_metadata, event_schedules, events

EVENT_COLUMNS = tuple(c for c in events.c if c.name != "search_vector")
SLUG_CONSTRAINT = "uq_events_venue_slug"


async def get_event_row(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Row[Any] | None:
    """The tenant's event (without the search vector), or None; deleted ones only when asked."""
    stmt = select(*EVENT_COLUMNS).where(events.c.id == event_id, events.c.tenant_id == tenant_id)
    if not include_deleted:
        stmt = stmt.where(events.c.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).one_or_none()


# ---- slugs --------------------------------------------------------------------------------------


async def taken_slugs(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    venue_id: uuid.UUID,
    base: str,
    *,
    except_event: uuid.UUID | None = None,
) -> set[str]:
    """Slugs at this venue that are `base` or `base-<something>` (deleted events keep theirs)."""
    stmt = select(events.c.slug).where(
        events.c.tenant_id == tenant_id,
        events.c.venue_id == venue_id,
        or_(events.c.slug == base, events.c.slug.startswith(base + "-", autoescape=True)),
    )
    if except_event is not None:
        stmt = stmt.where(events.c.id != except_event)
    return set((await conn.execute(stmt)).scalars().all())


def is_slug_collision(exc: IntegrityError) -> bool:
    return SLUG_CONSTRAINT in str(exc.orig)


# ---- writes -------------------------------------------------------------------------------------


async def insert_event(conn: AsyncConnection, values: dict[str, Any]) -> Row[Any]:
    return (await conn.execute(insert(events).values(**values).returning(*EVENT_COLUMNS))).one()


async def update_event(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    return (
        await conn.execute(
            update(events)
            .where(events.c.id == event_id, events.c.tenant_id == tenant_id)
            .values(**values)
            .returning(*EVENT_COLUMNS)
        )
    ).one()


async def insert_schedule(conn: AsyncConnection, values: dict[str, Any]) -> Row[Any]:
    return (await conn.execute(insert(event_schedules).values(**values).returning(*event_schedules.c))).one()


async def update_schedule(
    conn: AsyncConnection, tenant_id: uuid.UUID, schedule_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    return (
        await conn.execute(
            update(event_schedules)
            .where(event_schedules.c.id == schedule_id, event_schedules.c.tenant_id == tenant_id)
            .values(**values)
            .returning(*event_schedules.c)
        )
    ).one()


async def insert_section(conn: AsyncConnection, values: dict[str, Any]) -> Row[Any]:
    return (await conn.execute(insert(event_capacity).values(**values).returning(*event_capacity.c))).one()


async def resize_section(
    conn: AsyncConnection, tenant_id: uuid.UUID, section_id: uuid.UUID, total_capacity: int
) -> Row[Any] | None:
    """Set a section's total, but only if it still covers what is sold, pending, held and buffered.

    One conditional UPDATE, so a reservation landing at the same moment cannot
    slip under the new total (the CHECK on available_capacity is the last guard).
    """
    used = (
        event_capacity.c.sold_count
        + event_capacity.c.pending_count
        + event_capacity.c.reserved_capacity
        + event_capacity.c.buffer_capacity
    )
    return (
        await conn.execute(
            update(event_capacity)
            .where(
                event_capacity.c.id == section_id,
                event_capacity.c.tenant_id == tenant_id,
                used <= total_capacity,
            )
            .values(total_capacity=total_capacity)
            .returning(*event_capacity.c)
        )
    ).one_or_none()


async def insert_metadata(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> None:
    await conn.execute(insert(event_metadata).values(tenant_id=tenant_id, event_id=event_id))


async def get_metadata(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row[Any] | None:
    return (
        await conn.execute(
            select(event_metadata).where(event_metadata.c.event_id == event_id, event_metadata.c.tenant_id == tenant_id)
        )
    ).one_or_none()


async def upsert_metadata(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    """Change the event's metadata row (creating it if an older event lacks one)."""
    stmt = pg_insert(event_metadata).values(tenant_id=tenant_id, event_id=event_id, **values)
    if values:
        stmt = stmt.on_conflict_do_update(index_elements=[event_metadata.c.event_id], set_=values)
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=[event_metadata.c.event_id], set_={"event_id": stmt.excluded.event_id}
        )
    return (await conn.execute(stmt.returning(*event_metadata.c))).one()


# ---- derived data for the response ----------------------------------------------------------------


def _first_schedule_order() -> tuple[Any, ...]:
    # The first schedule: the earliest one that is not cancelled (else the earliest of all).
    return (
        event_schedules.c.event_id,
        case((event_schedules.c.status == "CANCELLED", 1), else_=0),
        event_schedules.c.starts_at,
        event_schedules.c.created_at,
    )


async def first_schedules(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    if not event_ids:
        return {}
    rows = await conn.execute(
        select(event_schedules)
        .ext(distinct_on(event_schedules.c.event_id))
        .where(event_schedules.c.tenant_id == tenant_id, event_schedules.c.event_id.in_(event_ids))
        .order_by(*_first_schedule_order())
    )
    return {row.event_id: row for row in rows}


async def capacity_totals(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(total, available) summed over each event's active sections."""
    if not event_ids:
        return {}
    rows = await conn.execute(
        select(
            event_capacity.c.event_id,
            func.sum(event_capacity.c.total_capacity),
            func.sum(event_capacity.c.available_capacity),
        )
        .where(
            event_capacity.c.tenant_id == tenant_id,
            event_capacity.c.event_id.in_(event_ids),
            event_capacity.c.is_active.is_(True),
        )
        .group_by(event_capacity.c.event_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


async def first_sections(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """Each event's General Admission section if it has one, else its oldest section."""
    if not event_ids:
        return {}
    rows = await conn.execute(
        select(event_capacity)
        .ext(distinct_on(event_capacity.c.event_id))
        .where(event_capacity.c.tenant_id == tenant_id, event_capacity.c.event_id.in_(event_ids))
        .order_by(
            event_capacity.c.event_id,
            case((event_capacity.c.section_code == "GA", 0), else_=1),
            event_capacity.c.created_at,
        )
    )
    return {row.event_id: row for row in rows}


SECTION_PREFIX = "section__"  # how live_state labels the first section's columns


def _live_state_statement() -> Select[Any]:
    c = event_capacity.c
    of_event = (c.tenant_id == events.c.tenant_id, c.event_id == events.c.id)
    totals = (
        select(func.sum(c.total_capacity).label("capacity"), func.sum(c.available_capacity).label("available"))
        .where(*of_event, c.is_active.is_(True))
        .lateral("totals")
    )
    first = (
        select(event_capacity)
        .where(*of_event)
        .order_by(case((c.section_code == "GA", 0), else_=1), c.created_at)
        .limit(1)
        .lateral("first_section")
    )
    return (
        select(
            events.c.status,
            events.c.visibility,
            events.c.updated_at,
            totals.c.capacity,
            totals.c.available.label("available_capacity"),
            *(col.label(SECTION_PREFIX + col.name) for col in first.c),
        )
        .select_from(events.join(totals, true()).outerjoin(first, true()))
        .where(
            events.c.id == bindparam("event_id"),
            events.c.tenant_id == bindparam("tenant_id"),
            events.c.deleted_at.is_(None),
        )
    )


# Built once: GET event runs it on every request, and building this statement (two
# laterals, one label per section column) costs more than executing it.
LIVE_STATE = _live_state_statement()


async def live_state(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row[Any] | None:
    """What may change without the events domain knowing (reservations), in one statement; None if deleted.

    The event's status, visibility and updated_at; `capacity` and `available_capacity` summed over its
    active sections (NULL without any); its first section (as `first_sections` picks it), every column
    labelled SECTION_PREFIX + name and all NULL when it has none.
    """
    row: Row[Any] | None = (
        await conn.execute(LIVE_STATE, {"event_id": event_id, "tenant_id": tenant_id})
    ).one_or_none()
    return row


async def general_admission(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row[Any] | None:
    return (
        await conn.execute(
            select(event_capacity)
            .where(
                event_capacity.c.tenant_id == tenant_id,
                event_capacity.c.event_id == event_id,
                event_capacity.c.section_code == "GA",
                event_capacity.c.schedule_id.is_(None),
            )
            .with_for_update()
        )
    ).one_or_none()


async def active_capacity(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, *, except_section: uuid.UUID | None = None
) -> int:
    stmt = select(func.coalesce(func.sum(event_capacity.c.total_capacity), 0)).where(
        event_capacity.c.tenant_id == tenant_id,
        event_capacity.c.event_id == event_id,
        event_capacity.c.is_active.is_(True),
    )
    if except_section is not None:
        stmt = stmt.where(event_capacity.c.id != except_section)
    return int((await conn.execute(stmt)).scalar_one())


async def has_tickets_sold(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> bool:
    """True when any section has sold tickets or tickets in payment."""
    stmt = select(
        exists().where(
            event_capacity.c.tenant_id == tenant_id,
            event_capacity.c.event_id == event_id,
            or_(event_capacity.c.sold_count > 0, event_capacity.c.pending_count > 0),
        )
    )
    return bool((await conn.execute(stmt)).scalar_one())


def _visible_categories(tenant_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(event_categories.c.tenant_id.is_(None), event_categories.c.tenant_id == tenant_id)


async def unknown_categories(
    conn: AsyncConnection, tenant_id: uuid.UUID, category_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """The ids among `category_ids` that are not categories this tenant can use."""
    if not category_ids:
        return set()
    found = (
        await conn.execute(
            select(event_categories.c.id).where(event_categories.c.id.in_(category_ids), _visible_categories(tenant_id))
        )
    ).scalars()
    return set(category_ids) - set(found)


# ---- listing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    statuses: tuple[str, ...] | None = None
    venue_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    category_slug: str | None = None
    visibility: str | None = None
    is_featured: bool | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    q: str | None = None
    # Customers: only these visibilities and statuses.
    only_visibility: tuple[str, ...] | None = None
    only_statuses: tuple[str, ...] | None = None
    sort: str = "created_at"


def _conditions(tenant_id: uuid.UUID, f: EventFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [events.c.tenant_id == tenant_id, events.c.deleted_at.is_(None)]
    if f.only_visibility is not None:
        conds.append(events.c.visibility.in_(f.only_visibility))
    if f.only_statuses is not None:
        conds.append(events.c.status.in_(f.only_statuses))
    if f.statuses:
        conds.append(events.c.status.in_(f.statuses))
    if f.venue_id is not None:
        conds.append(events.c.venue_id == f.venue_id)
    if f.visibility is not None:
        conds.append(events.c.visibility == f.visibility)
    if f.is_featured is not None:
        conds.append(events.c.is_featured.is_(f.is_featured))
    if f.category_id is not None:
        conds.append(
            or_(
                events.c.primary_category_id == f.category_id,
                events.c.secondary_category_ids.contains([f.category_id]),
            )
        )
    if f.category_slug is not None:
        conds.append(
            exists().where(
                event_categories.c.slug == f.category_slug,
                _visible_categories(tenant_id),
                or_(
                    event_categories.c.id == events.c.primary_category_id,
                    event_categories.c.id == any_(events.c.secondary_category_ids),
                ),
            )
        )
    if f.starts_from is not None or f.starts_to is not None:
        window = [
            event_schedules.c.tenant_id == tenant_id,
            event_schedules.c.event_id == events.c.id,
            event_schedules.c.status != "CANCELLED",
        ]
        if f.starts_from is not None:
            window.append(event_schedules.c.starts_at >= f.starts_from)
        if f.starts_to is not None:
            window.append(event_schedules.c.starts_at <= f.starts_to)
        conds.append(exists().where(and_(*window)))
    if f.q:
        conds.append(events.c.search_vector.op("@@")(_tsquery(f.q)))
    return conds


def _tsquery(q: str) -> Any:
    return func.websearch_to_tsquery(literal_column("'simple'::regconfig"), q)


def _order(f: EventFilters) -> list[Any]:
    newest = [events.c.created_at.desc(), events.c.id.desc()]
    if f.sort == "relevance" and f.q:
        return [func.ts_rank(events.c.search_vector, _tsquery(f.q)).desc(), *newest]
    if f.sort == "priority":
        return [events.c.is_featured.desc(), events.c.priority_score.desc(), *newest]
    if f.sort == "starts_at":
        first_start = (
            select(func.min(event_schedules.c.starts_at))
            .where(event_schedules.c.event_id == events.c.id, event_schedules.c.status != "CANCELLED")
            .scalar_subquery()
        )
        return [first_start.asc().nulls_last(), *newest]
    return newest


async def list_events(
    conn: AsyncConnection, tenant_id: uuid.UUID, filters: EventFilters, *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    conds = _conditions(tenant_id, filters)
    rows = (
        await conn.execute(select(*EVENT_COLUMNS).where(*conds).order_by(*_order(filters)).limit(limit).offset(offset))
    ).all()
    total = (await conn.execute(select(func.count()).select_from(events).where(*conds))).scalar_one()
    return list(rows), int(total)

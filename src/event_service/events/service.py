"""Events use cases: create, read, list, update, publish, delete, restore, metadata, audit trail.

Each function is one use case with one transaction; the audit row and the
outbox rows are written inside it. Venue lookups (possibly a network call)
happen before the transaction opens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slugify import slugify
from sqlalchemy import Row, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.audit import queries as audit
from event_service.db.engine import Database
from event_service.db.tables import EVENT_STATUSES, event_metadata
from event_service.events import queries as q
from event_service.events.lifecycle import (
    CUSTOMER_VISIBLE,
    check_initial,
    check_publish,
    check_transition,
    is_published,
)
from event_service.events.schemas import (
    EventCreate,
    EventUpdate,
    MetadataUpdate,
    audit_json,
    event_json,
    metadata_json,
    plain_dict,
    row_dict,
)
from event_service.outbox.queries import emit
from event_service.platform.auth import ORGANIZER, Principal
from event_service.platform.cache import Cache, keys
from event_service.platform.deps import RequestMeta
from event_service.platform.errors import (
    Conflict,
    Forbidden,
    InvalidDateRange,
    NotFound,
    ValidationFailed,
    VenueCapacityExceeded,
)
from event_service.venues.service import Venue, VenueDirectory

DEFAULT_DURATION = timedelta(hours=3)
SLUG_MAX = 280  # leaves room for "-<n>" within the 300-character column
SLUG_ATTEMPTS = 50
GA_NAME, GA_CODE = "General Admission", "GA"
LEGACY_SCHEDULE_FIELDS = frozenset({"starts_at", "event_date", "ends_at", "doors_open", "doors_open_at", "timezone"})
LEGACY_FIELDS = LEGACY_SCHEDULE_FIELDS | {"capacity"}
EVENT_FIELDS = frozenset(c.name for c in q.EVENT_COLUMNS)
RESOURCE = "event"
# Fields of an event document read fresh on every GET, never from the cache: a reservation changes
# them (capacity counters, ON_SALE <-> SOLD_OUT and with it updated_at) without the events domain.
LIVE_FIELDS = ("status", "visibility", "updated_at", "capacity", "available_capacity", "capacity_info")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    def body(self, key: str) -> dict[str, Any]:
        return {key: self.items, "pagination": {"limit": self.limit, "offset": self.offset, "total": self.total}}


# ---- shared pieces ------------------------------------------------------------------------------


def _may_see(principal: Principal, row: Row[Any]) -> bool:
    """Staff see every event of their tenant; customers public and unlisted ones once published."""
    if principal.is_staff:
        return True
    return row.visibility in ("PUBLIC", "UNLISTED") and row.status in CUSTOMER_VISIBLE


async def _views(conn: AsyncConnection, tenant_id: uuid.UUID, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    schedules = await q.first_schedules(conn, tenant_id, ids)
    totals = await q.capacity_totals(conn, tenant_id, ids)
    sections = await q.first_sections(conn, tenant_id, ids)
    return [event_json(r, schedules.get(r.id), totals.get(r.id), sections.get(r.id)) for r in rows]


async def _view(conn: AsyncConnection, tenant_id: uuid.UUID, row: Row[Any]) -> dict[str, Any]:
    return (await _views(conn, tenant_id, [row]))[0]


def _subject(event_id: uuid.UUID) -> str:
    return f"events/{event_id}"


def _slug_base(venue_slug: str, name: str) -> str:
    return slugify(f"{venue_slug} {name}", max_length=SLUG_MAX, word_boundary=False) or "event"


def _next_slug(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _fits_base(slug: str, base: str) -> bool:
    suffix = slug.removeprefix(base + "-")
    return slug == base or (suffix != slug and suffix.isdigit())


async def _write_with_free_slug(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    venue_id: uuid.UUID,
    base: str,
    write: Any,
    *,
    except_event: uuid.UUID | None = None,
) -> Row[Any]:
    """Run `write(slug)` with the first free slug; on a concurrent collision, try the next one.

    Each attempt runs in a SAVEPOINT, so losing the race to another create
    (unique violation on uq_events_venue_slug) costs only that attempt.
    """
    tried: set[str] = set()
    for _ in range(SLUG_ATTEMPTS):
        taken = await q.taken_slugs(conn, tenant_id, venue_id, base, except_event=except_event)
        slug = _next_slug(base, taken | tried)
        try:
            async with conn.begin_nested():
                row: Row[Any] = await write(slug)
                return row
        except IntegrityError as exc:
            if not q.is_slug_collision(exc):
                raise
            tried.add(slug)
    raise Conflict("Could not find a free slug for this event; try again")


async def _check_categories(conn: AsyncConnection, tenant_id: uuid.UUID, given: dict[str, Any]) -> None:
    details = []
    primary = given.get("primary_category_id")
    if primary is not None and await q.unknown_categories(conn, tenant_id, [primary]):
        details.append({"field": "primary_category_id", "message": "Unknown category"})
    secondary = given.get("secondary_category_ids") or []
    unknown = await q.unknown_categories(conn, tenant_id, secondary)
    if unknown:
        details.append(
            {"field": "secondary_category_ids", "message": f"Unknown categories: {sorted(map(str, unknown))}"}
        )
    if details:
        raise ValidationFailed(details)


def _check_capacity(total: int, venue: Venue, field: str = "capacity") -> None:
    if total > venue.max_capacity:
        message = f"Total capacity ({total}) would exceed the venue's maximum ({venue.max_capacity})"
        raise VenueCapacityExceeded(message, details=[{"field": field, "message": message}])


async def _venue_if_known(venues: VenueDirectory, principal: Principal, venue_id: uuid.UUID) -> Venue | None:
    """Access check on an existing event's venue; a venue that no longer exists does not block."""
    try:
        return await venues.get(principal, venue_id)
    except ValidationFailed:
        return None


# ---- schedule from the legacy inline fields -----------------------------------------------------


def _one_of(given: dict[str, Any], a: str, b: str) -> datetime | None:
    first, second = given.get(a), given.get(b)
    if first is not None and second is not None and first != second:
        raise ValidationFailed.field(b, f"must equal {a} when both are given")
    value = first if first is not None else second
    return value if isinstance(value, datetime) else None


def _schedule_values(
    given: dict[str, Any], current: Row[Any] | None, *, now: datetime, max_days: int
) -> dict[str, Any] | None:
    """Validated values for the event's first schedule, or None when no schedule field was given.

    Naive times are read in the given (or current) time zone. Moving the start
    of an existing schedule keeps its length and its doors-open lead.
    """
    if not LEGACY_SCHEDULE_FIELDS & given.keys():
        return None
    tz_name: str = given.get("timezone") or (current.timezone if current is not None else "UTC")
    tz = ZoneInfo(tz_name)

    def aware(value: datetime) -> datetime:
        return (value.replace(tzinfo=tz) if value.tzinfo is None else value).astimezone(UTC)

    starts_in = _one_of(given, "starts_at", "event_date")
    doors_in = _one_of(given, "doors_open", "doors_open_at")
    if starts_in is None and current is None:
        raise ValidationFailed.field("starts_at", "is required to schedule the event (or send event_date)")
    starts = aware(starts_in) if starts_in is not None else current.starts_at  # type: ignore[union-attr]
    if given.get("ends_at") is not None:
        ends = aware(given["ends_at"])
    elif current is not None:
        ends = current.ends_at + (starts - current.starts_at)
    else:
        ends = starts + DEFAULT_DURATION
    if doors_in is not None:
        doors = aware(doors_in)
    elif "doors_open" in given or "doors_open_at" in given:
        doors = None  # explicitly cleared
    elif current is not None and current.doors_open_at is not None:
        doors = current.doors_open_at + (starts - current.starts_at)
    else:
        doors = None

    if starts_in is not None:
        if starts < now:
            raise InvalidDateRange(details=[{"field": "starts_at", "message": "must not be in the past"}])
        if starts > now + timedelta(days=max_days):
            message = f"must be within {max_days} days from now"
            raise InvalidDateRange(details=[{"field": "starts_at", "message": message}])
    if ends <= starts:
        raise InvalidDateRange(details=[{"field": "ends_at", "message": "must be after starts_at"}])
    if doors is not None and doors > starts:
        raise InvalidDateRange(details=[{"field": "doors_open", "message": "must not be after starts_at"}])
    offset = starts.astimezone(tz).utcoffset()
    return {
        "starts_at": starts,
        "ends_at": ends,
        "doors_open_at": doors,
        "timezone": tz_name,
        "utc_offset": int(offset.total_seconds() // 60) if offset is not None else 0,
    }


def _legacy_view(schedule: Row[Any] | None, capacity: int | None) -> dict[str, Any]:
    return {
        "event_date": schedule.starts_at if schedule is not None else None,
        "ends_at": schedule.ends_at if schedule is not None else None,
        "doors_open": schedule.doors_open_at if schedule is not None else None,
        "timezone": schedule.timezone if schedule is not None else None,
        "capacity": capacity,
    }


# ---- use cases ----------------------------------------------------------------------------------


async def create_event(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    meta: RequestMeta,
    body: EventCreate,
    *,
    cache: Cache,
    max_days: int,
) -> dict[str, Any]:
    principal.require(ORGANIZER)
    tenant_id = principal.tenant_id
    given = body.given()
    status = body.status or "DRAFT"
    check_initial(status)
    now = datetime.now(UTC)
    schedule_values = _schedule_values(given, None, now=now, max_days=max_days)
    venue = await venues.get(principal, body.venue_id)
    if body.capacity is not None:
        _check_capacity(body.capacity, venue)

    values = {k: v for k, v in given.items() if k in EVENT_FIELDS and v is not None}
    values.update(tenant_id=tenant_id, status=status, created_by=principal.user_uuid, updated_by=principal.user_uuid)

    async with db.transaction() as conn:
        await _check_categories(conn, tenant_id, given)

        async def insert(slug: str) -> Row[Any]:
            return await q.insert_event(conn, {**values, "slug": slug})

        row = await _write_with_free_slug(conn, tenant_id, venue.id, _slug_base(venue.slug, body.name), insert)
        await q.insert_metadata(conn, tenant_id, row.id)
        schedule = section = None
        if schedule_values is not None:
            schedule = await q.insert_schedule(conn, {"tenant_id": tenant_id, "event_id": row.id, **schedule_values})
        if body.capacity is not None:
            section = await q.insert_section(
                conn,
                {
                    "tenant_id": tenant_id,
                    "event_id": row.id,
                    "section_name": GA_NAME,
                    "section_code": GA_CODE,
                    "total_capacity": body.capacity,
                },
            )
        view = await _view(conn, tenant_id, row)
        await audit.record(
            conn,
            tenant_id,
            principal.user_uuid,
            "event_created",
            RESOURCE,
            row.id,
            meta,
            {"actor": principal.user_id, "before": None, "changes": view},
        )
        await emit(conn, tenant_id, "event.created", _subject(row.id), view)
        if schedule is not None:
            await emit(conn, tenant_id, "schedule.created", f"schedules/{schedule.id}", row_dict(schedule))
        if section is not None:
            await emit(conn, tenant_id, "capacity.created", f"capacity/{section.id}", row_dict(section))
        if status == "PUBLISHED":
            await emit(conn, tenant_id, "event.published", _subject(row.id), view)
    if row.primary_category_id is not None:  # the tree shows each category's event_count
        await cache.invalidate(keys.category_tree(tenant_id))
    return view


async def get_event(db: Database, cache: Cache, principal: Principal, event_id: uuid.UUID) -> dict[str, Any]:
    """Endpoint 2: the cached document (event row and first schedule) merged with LIVE_FIELDS read now."""
    tenant_id = principal.tenant_id
    async with db.read() as conn:
        state = await q.live_state(conn, tenant_id, event_id)
    if state is None or not _may_see(principal, state):
        raise NotFound("Event")

    async def load() -> dict[str, Any]:
        async with db.read() as conn:
            row = await q.get_event_row(conn, tenant_id, event_id)
            if row is None:  # deleted since live_state: nothing is cached
                raise NotFound("Event")
            schedule = (await q.first_schedules(conn, tenant_id, [event_id])).get(event_id)
        # The live fields stay as null placeholders, so the merged document keeps event_json's key order.
        return {**event_json(row, schedule, None, None), **dict.fromkeys(LIVE_FIELDS)}

    document: dict[str, Any] = await cache.get_or_load(keys.event(tenant_id, event_id), load)
    return {**document, **_live_fields(state)}


def _live_fields(state: Row[Any]) -> dict[str, Any]:
    """LIVE_FIELDS from `q.live_state`'s row, rendered as `event_json` renders them."""
    section = {
        name.removeprefix(q.SECTION_PREFIX): value
        for name, value in plain_dict(state).items()
        if name.startswith(q.SECTION_PREFIX)
    }
    return {
        "status": state.status,
        "visibility": state.visibility,
        "updated_at": state.updated_at,
        "capacity": int(state.capacity) if state.capacity is not None else None,
        "available_capacity": int(state.available_capacity) if state.available_capacity is not None else None,
        "capacity_info": section if section["id"] is not None else None,
    }


async def list_events(db: Database, principal: Principal, filters: q.EventFilters, *, limit: int, offset: int) -> Page:
    if not principal.is_staff:
        filters = q.EventFilters(
            **{**filters.__dict__, "only_visibility": ("PUBLIC",), "only_statuses": tuple(sorted(CUSTOMER_VISIBLE))}
        )
    async with db.read() as conn:
        rows, total = await q.list_events(conn, principal.tenant_id, filters, limit=limit, offset=offset)
        items = await _views(conn, principal.tenant_id, rows)
    return Page(items, total, limit, offset)


async def list_venue_events(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    venue_id: uuid.UUID,
    filters: q.EventFilters,
    *,
    limit: int,
    offset: int,
) -> Page:
    try:
        await venues.get(principal, venue_id)
    except ValidationFailed as exc:
        raise NotFound("Venue") from exc
    filters = q.EventFilters(**{**filters.__dict__, "venue_id": venue_id})
    return await list_events(db, principal, filters, limit=limit, offset=offset)


async def update_event(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    meta: RequestMeta,
    event_id: uuid.UUID,
    body: EventUpdate,
    *,
    cache: Cache,
    max_days: int,
) -> dict[str, Any]:
    principal.require(ORGANIZER)
    tenant_id = principal.tenant_id
    given = body.given()
    async with db.read() as conn:
        found = await q.get_event_row(conn, tenant_id, event_id)
    if found is None:
        raise NotFound("Event")
    moving = "venue_id" in given and given["venue_id"] != found.venue_id
    if moving:
        await _venue_if_known(venues, principal, found.venue_id)
    venue = await venues.get(principal, given.get("venue_id", found.venue_id))
    now = datetime.now(UTC)

    async with db.transaction() as conn:
        before = await q.get_event_row(conn, tenant_id, event_id, for_update=True)
        if before is None:
            raise NotFound("Event")
        published = is_published(before.status)
        if published:
            fixed = [
                {"field": f, "message": "cannot change once the event is published"}
                for f in ("venue_id", "event_type")
                if f in given and given[f] != getattr(before, f)
            ]
            if fixed:
                raise ValidationFailed(fixed)
        if "status" in given:
            check_transition(before.status, given["status"])
        await _check_categories(conn, tenant_id, given)

        old = plain_dict(before)
        changes = {k: v for k, v in given.items() if k in EVENT_FIELDS and v != old[k]}
        old_schedule = (await q.first_schedules(conn, tenant_id, [event_id])).get(event_id)
        old_ga = await q.general_admission(conn, tenant_id, event_id) if "capacity" in given else None
        legacy_before = _legacy_view(old_schedule, old_ga.total_capacity if old_ga is not None else None)

        row = before
        if changes:
            base = _slug_base(venue.slug, changes.get("name", before.name))
            values = {**changes, "updated_by": principal.user_uuid}
            if not published and ("name" in changes or moving) and not _fits_base(before.slug, base):

                async def write(slug: str) -> Row[Any]:
                    return await q.update_event(conn, tenant_id, event_id, {**values, "slug": slug})

                row = await _write_with_free_slug(conn, tenant_id, venue.id, base, write, except_event=event_id)
            else:
                row = await q.update_event(conn, tenant_id, event_id, values)

        outbox: list[tuple[str, str, Any]] = []
        schedule_values = _schedule_values(given, old_schedule, now=now, max_days=max_days)
        new_schedule = old_schedule
        if schedule_values is not None:
            if old_schedule is None:
                new_schedule = await q.insert_schedule(
                    conn, {"tenant_id": tenant_id, "event_id": event_id, **schedule_values}
                )
                outbox.append(("schedule.created", f"schedules/{new_schedule.id}", row_dict(new_schedule)))
            elif any(getattr(old_schedule, k) != v for k, v in schedule_values.items()):
                new_schedule = await q.update_schedule(conn, tenant_id, old_schedule.id, schedule_values)
                outbox.append(("schedule.updated", f"schedules/{new_schedule.id}", row_dict(new_schedule)))

        new_capacity = legacy_before["capacity"]
        if "capacity" in given and given["capacity"] != new_capacity:
            new_capacity = given["capacity"]
            if old_ga is None:
                section = await q.insert_section(
                    conn,
                    {
                        "tenant_id": tenant_id,
                        "event_id": event_id,
                        "section_name": GA_NAME,
                        "section_code": GA_CODE,
                        "total_capacity": new_capacity,
                    },
                )
                outbox.append(("capacity.created", f"capacity/{section.id}", row_dict(section)))
            else:
                resized = await q.resize_section(conn, tenant_id, old_ga.id, new_capacity)
                if resized is None:
                    raise ValidationFailed.field(
                        "capacity", "cannot be less than the tickets already sold, pending, held or buffered"
                    )
                outbox.append(("capacity.updated", f"capacity/{resized.id}", row_dict(resized)))
        if moving or "capacity" in given:
            _check_capacity(await q.active_capacity(conn, tenant_id, event_id), venue)

        legacy_after = _legacy_view(new_schedule, new_capacity)
        legacy_changes = {k: v for k, v in legacy_after.items() if v != legacy_before[k]}
        view = await _view(conn, tenant_id, row)
        if not changes and not legacy_changes:
            return view
        if not changes:
            # Only the schedule or capacity changed: the event still records who changed it last.
            row = await q.update_event(conn, tenant_id, event_id, {"updated_by": principal.user_uuid})
            view = await _view(conn, tenant_id, row)
        await audit.record(
            conn,
            tenant_id,
            principal.user_uuid,
            "event_updated",
            RESOURCE,
            event_id,
            meta,
            {
                "actor": principal.user_id,
                "before": {
                    **{k: old[k] for k in changes},
                    **({"slug": before.slug} if row.slug != before.slug else {}),
                    **{k: legacy_before[k] for k in legacy_changes},
                },
                "changes": {**changes, **({"slug": row.slug} if row.slug != before.slug else {}), **legacy_changes},
            },
        )
        await emit(conn, tenant_id, "event.updated", _subject(event_id), view)
        for event_type, subject, data in outbox:
            await emit(conn, tenant_id, event_type, subject, data)
        if changes.get("status") == "PUBLISHED":
            await emit(conn, tenant_id, "event.published", _subject(event_id), view)
        if changes.get("status") == "CANCELLED":
            await emit(conn, tenant_id, "event.cancelled", _subject(event_id), view)
    await cache.invalidate(
        keys.event(tenant_id, event_id),
        *([keys.category_tree(tenant_id)] if "primary_category_id" in changes else []),
    )
    return view


async def _check_venue_access(db: Database, venues: VenueDirectory, principal: Principal, event_id: uuid.UUID) -> None:
    """404 for an unknown event, else the venue check, before (and outside) the change's transaction."""
    async with db.read() as conn:
        found = await q.get_event_row(conn, principal.tenant_id, event_id)
    if found is None:
        raise NotFound("Event")
    await _venue_if_known(venues, principal, found.venue_id)


async def publish_event(
    db: Database, venues: VenueDirectory, principal: Principal, meta: RequestMeta, event_id: uuid.UUID, *, cache: Cache
) -> dict[str, Any]:
    principal.require(ORGANIZER)
    tenant_id = principal.tenant_id
    await _check_venue_access(db, venues, principal, event_id)
    async with db.transaction() as conn:
        before = await q.get_event_row(conn, tenant_id, event_id, for_update=True)
        if before is None:
            raise NotFound("Event")
        check_publish(before.status)
        row = await q.update_event(
            conn, tenant_id, event_id, {"status": "PUBLISHED", "updated_by": principal.user_uuid}
        )
        view = await _view(conn, tenant_id, row)
        await audit.record(
            conn,
            tenant_id,
            principal.user_uuid,
            "event_published",
            RESOURCE,
            event_id,
            meta,
            {"actor": principal.user_id, "before": {"status": before.status}, "changes": {"status": "PUBLISHED"}},
        )
        await emit(conn, tenant_id, "event.published", _subject(event_id), view)
    await cache.invalidate(keys.event(tenant_id, event_id))
    return view


async def delete_event(
    db: Database, venues: VenueDirectory, principal: Principal, meta: RequestMeta, event_id: uuid.UUID, *, cache: Cache
) -> None:
    principal.require(ORGANIZER)
    tenant_id = principal.tenant_id
    await _check_venue_access(db, venues, principal, event_id)
    async with db.transaction() as conn:
        before = await q.get_event_row(conn, tenant_id, event_id, for_update=True)
        if before is None:
            raise NotFound("Event")
        if await q.has_tickets_sold(conn, tenant_id, event_id):
            raise Conflict("Event has sold tickets and cannot be deleted", code="EVENT_HAS_SOLD_TICKETS")
        before_view = await _view(conn, tenant_id, before)
        row = await q.update_event(
            conn,
            tenant_id,
            event_id,
            {"deleted_at": func.now(), "status": "CANCELLED", "updated_by": principal.user_uuid},
        )
        view = await _view(conn, tenant_id, row)
        await audit.record(
            conn,
            tenant_id,
            principal.user_uuid,
            "event_deleted",
            RESOURCE,
            event_id,
            meta,
            {
                "actor": principal.user_id,
                "previous_status": before.status,
                "before": before_view,
                "changes": {"status": "CANCELLED", "deleted_at": row.deleted_at},
            },
        )
        await emit(conn, tenant_id, "event.deleted", _subject(event_id), view)
        if is_published(before.status) and before.status != "CANCELLED":
            await emit(conn, tenant_id, "event.cancelled", _subject(event_id), view)
    await cache.invalidate(
        keys.event(tenant_id, event_id), keys.event_pricing(tenant_id, event_id), keys.category_tree(tenant_id)
    )


async def restore_event(
    db: Database, principal: Principal, meta: RequestMeta, event_id: uuid.UUID, *, cache: Cache
) -> dict[str, Any]:
    if not principal.is_admin:
        raise Forbidden("Restoring a deleted event requires role: admin")
    tenant_id = principal.tenant_id
    async with db.transaction() as conn:
        before = await q.get_event_row(conn, tenant_id, event_id, include_deleted=True, for_update=True)
        if before is None:
            raise NotFound("Event")
        if before.deleted_at is None:
            raise Conflict("Event is not deleted", code="EVENT_NOT_DELETED")
        deletion = await audit.latest(conn, tenant_id, RESOURCE, event_id, "event_deleted")
        recorded = (deletion.metadata or {}).get("previous_status") if deletion is not None else None
        status = recorded if isinstance(recorded, str) and recorded in EVENT_STATUSES else "DRAFT"
        row = await q.update_event(
            conn, tenant_id, event_id, {"deleted_at": None, "status": status, "updated_by": principal.user_uuid}
        )
        view = await _view(conn, tenant_id, row)
        await audit.record(
            conn,
            tenant_id,
            principal.user_uuid,
            "event_restored",
            RESOURCE,
            event_id,
            meta,
            {
                "actor": principal.user_id,
                "before": {"status": before.status, "deleted_at": before.deleted_at},
                "changes": {"status": status, "deleted_at": None},
            },
        )
        await emit(conn, tenant_id, "event.restored", _subject(event_id), view)
    await cache.invalidate(
        keys.event(tenant_id, event_id), keys.event_pricing(tenant_id, event_id), keys.category_tree(tenant_id)
    )
    return view


async def get_metadata(db: Database, principal: Principal, event_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        event = await q.get_event_row(conn, principal.tenant_id, event_id)
        if event is None or not _may_see(principal, event):
            raise NotFound("Event")
        row = await q.get_metadata(conn, principal.tenant_id, event_id)
    if row is None:  # an event inserted without one (e.g. by an import): all fields empty
        blank = {c.name: None for c in event_metadata.c}
        return metadata_json(
            {**blank, "tenant_id": principal.tenant_id, "event_id": event_id}, staff=principal.is_staff
        )
    return metadata_json(plain_dict(row), staff=principal.is_staff)


async def update_metadata(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    meta: RequestMeta,
    event_id: uuid.UUID,
    body: MetadataUpdate,
    *,
    cache: Cache,
) -> dict[str, Any]:
    principal.require(ORGANIZER)
    tenant_id = principal.tenant_id
    given = body.given()
    await _check_venue_access(db, venues, principal, event_id)
    async with db.transaction() as conn:
        event = await q.get_event_row(conn, tenant_id, event_id, for_update=True)
        if event is None:
            raise NotFound("Event")
        before = await q.get_metadata(conn, tenant_id, event_id)
        old_meta = plain_dict(before) if before is not None else {}
        changes = {k: v for k, v in given.items() if before is None or old_meta[k] != v}
        row = await q.upsert_metadata(conn, tenant_id, event_id, changes)
        if changes:
            event = await q.update_event(conn, tenant_id, event_id, {"updated_by": principal.user_uuid})
            await audit.record(
                conn,
                tenant_id,
                principal.user_uuid,
                "event_metadata_updated",
                RESOURCE,
                event_id,
                meta,
                {
                    "actor": principal.user_id,
                    "before": {k: old_meta.get(k) for k in changes},
                    "changes": changes,
                },
            )
            await emit(conn, tenant_id, "event.updated", _subject(event_id), await _view(conn, tenant_id, event))
    if changes:  # the document holds updated_by, which this write sets
        await cache.invalidate(keys.event(tenant_id, event_id))
    return metadata_json(plain_dict(row), staff=True)


async def event_audit(db: Database, principal: Principal, event_id: uuid.UUID, *, limit: int, offset: int) -> Page:
    if not principal.is_admin:
        raise Forbidden("Reading the audit trail requires role: admin")
    async with db.read() as conn:
        event = await q.get_event_row(conn, principal.tenant_id, event_id, include_deleted=True)
        if event is None:
            raise NotFound("Event")
        rows, total = await audit.for_resource(
            conn, principal.tenant_id, RESOURCE, event_id, limit=limit, offset=offset
        )
    return Page([audit_json(r) for r in rows], total, limit, offset)

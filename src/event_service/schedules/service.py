"""Schedule use cases: each one function, one transaction, its outbox rows inside it.

Rules (docs/schedules.md): times in order, IANA timezone with the UTC offset
derived from it, recurrence expanded into occurrence rows in local time, the
status machine in `status.py`, capacity_override between what the performance
already sold and the venue's maximum.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.engine import Database
from event_service.outbox.queries import emit
from event_service.platform.auth import ORGANIZER, Principal
from event_service.platform.cache import Cache, keys
from event_service.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed, VenueCapacityExceeded
from event_service.schedules import calendar, queries
from event_service.schedules.queries import AnyRow
from event_service.schedules.recurrence import expand, localize, to_local, utc_offset_minutes, zone
from event_service.schedules.schemas import TIME_FIELDS, ScheduleCreate, ScheduleUpdate, schedule_view, schedules_view
from event_service.schedules.status import BOOKABLE, CANCELLED, NEEDS_REASON, TERMINAL, can_move
from event_service.venues.service import VenueDirectory

Times = dict[str, datetime | None]
_OFFSET_FIELDS = TIME_FIELDS[1:]  # every time but starts_at, kept relative to it


# --- pure rules -------------------------------------------------------------------------------------------


def time_errors(times: Times, label: str = "") -> list[dict[str, Any]]:
    """Order of a schedule's times: ends after starts, doors and check-in consistent with them."""
    starts, ends = times["starts_at"], times["ends_at"]
    doors, opens, closes = times["doors_open_at"], times["check_in_opens_at"], times["check_in_closes_at"]
    assert starts is not None and ends is not None
    errors: list[tuple[str, str]] = []
    if ends <= starts:
        errors.append(("ends_at", "must be after starts_at"))
    if doors is not None and doors > starts:
        errors.append(("doors_open_at", "must not be after starts_at"))
    if opens is not None and opens > starts:
        errors.append(("check_in_opens_at", "must not be after starts_at"))
    if closes is not None and closes > ends:
        errors.append(("check_in_closes_at", "must not be after ends_at"))
    if opens is not None and closes is not None and opens > closes:
        errors.append(("check_in_closes_at", "must not be before check_in_opens_at"))
    return [{"field": field, "message": f"{label}{message}"} for field, message in errors]


def occurrence_times(
    local_start: datetime, tz: ZoneInfo, offsets: dict[str, timedelta | None], elapsed: timedelta
) -> Times:
    """An occurrence's times: each keeps its wall-clock distance from the local start.

    Near a DST change that can break the order (a 45-minute show starting at
    01:30 on spring-forward night); then the end keeps the template's elapsed
    duration and the doors and check-in times are clamped to the start and end.
    """
    starts = localize(local_start, tz)
    times: Times = {"starts_at": starts}
    for field, offset in offsets.items():
        times[field] = None if offset is None else localize(local_start + offset, tz)
    ends = times["ends_at"]
    if ends is None or ends <= starts:
        ends = times["ends_at"] = starts + elapsed
    for field in ("doors_open_at", "check_in_opens_at"):
        value = times[field]
        if value is not None and value > starts:
            times[field] = starts
    closes = times["check_in_closes_at"]
    if closes is not None and closes > ends:
        closes = times["check_in_closes_at"] = ends
    opens = times["check_in_opens_at"]
    if opens is not None and closes is not None and opens > closes:
        times["check_in_opens_at"] = closes
    return times


def plan_creation(tenant_id: uuid.UUID, event_id: uuid.UUID, body: ScheduleCreate) -> list[dict[str, Any]]:
    """The rows one POST creates: one, or one per occurrence (the first is the series row)."""
    tz = zone(body.timezone)
    times: Times = {f: (v.astimezone(UTC) if (v := getattr(body, f)) is not None else None) for f in TIME_FIELDS}
    errors = time_errors(times)
    if body.is_recurring and not body.recurrence_rule:
        errors.append({"field": "recurrence_rule", "message": "is required when is_recurring is true"})
    if not body.is_recurring and (body.recurrence_rule or body.recurrence_end_date):
        errors.append({"field": "is_recurring", "message": "must be true with recurrence_rule or recurrence_end_date"})
    if errors:
        raise ValidationFailed(errors)
    common: dict[str, Any] = {
        "tenant_id": tenant_id,
        "event_id": event_id,
        "timezone": body.timezone,
        "is_recurring": body.is_recurring,
        "status": body.status,
        "capacity_override": body.capacity_override,
        "notes": body.notes,
        "metadata": body.metadata,
    }
    starts = times["starts_at"]
    assert starts is not None
    if not body.is_recurring:
        return [{**common, **times, "id": uuid.uuid4(), "utc_offset": utc_offset_minutes(starts, tz)}]

    assert body.recurrence_rule is not None
    local_starts = expand(body.recurrence_rule, starts, tz, body.recurrence_end_date)
    first_local = to_local(starts, tz)
    offsets = {f: (to_local(v, tz) - first_local if (v := times[f]) is not None else None) for f in _OFFSET_FIELDS}
    ends = times["ends_at"]
    assert ends is not None
    root_id = uuid.uuid4()
    rows: list[dict[str, Any]] = []
    for number, local_start in enumerate(local_starts, start=1):
        occurrence = occurrence_times(local_start, tz, offsets, ends - starts)
        first = number == 1
        rows.append(
            {
                **common,
                **occurrence,
                "id": root_id if first else uuid.uuid4(),
                "parent_schedule_id": None if first else root_id,
                "occurrence_number": number,
                "recurrence_rule": body.recurrence_rule if first else None,
                "recurrence_end_date": body.recurrence_end_date if first else None,
                "utc_offset": utc_offset_minutes(localize(local_start, tz), tz),
            }
        )
    return rows


def _reason_given(body: ScheduleUpdate) -> str | None:
    if "status_reason" not in body.changes or body.status_reason is None:
        return None
    return body.status_reason.strip() or None


def plan_update(target: AnyRow, rows: list[AnyRow], body: ScheduleUpdate) -> list[tuple[AnyRow, dict[str, Any]]]:
    """The new values of each affected row (the target first), or the reasons it cannot be done.

    Times: the target takes the given values. The other rows (scope
    "following") move by the same wall-clock delta as the target's start, and
    a given end, doors or check-in time keeps, on every row, the local distance
    from the start it has on the target. Times not given move with the start.
    """
    changes = body.changes
    tz = zone(target.timezone)
    if target.status in TERMINAL and (
        (changes - {"notes", "metadata", "status_reason", "status"}) or body.status not in (None, target.status)
    ):
        raise BusinessRuleViolation(
            f"A {target.status} schedule cannot change any more (only notes, metadata and status_reason)",
            code="INVALID_STATUS_TRANSITION",
            details=[{"field": "status", "message": f"{target.status} is final"}],
        )
    new_target_start = body.starts_at.astimezone(UTC) if body.starts_at is not None else target.starts_at
    target_local_start = to_local(new_target_start, tz)
    start_delta = target_local_start - to_local(target.starts_at, tz)
    reason = _reason_given(body)
    errors: list[dict[str, Any]] = []
    transition_errors: list[dict[str, Any]] = []
    plans: list[tuple[AnyRow, dict[str, Any]]] = []
    for row in rows:
        is_target = row.id == target.id
        if not is_target and row.status in TERMINAL:
            continue  # a cancelled or completed occurrence stays as it is
        label = "" if is_target else f"occurrence {row.occurrence_number}: "
        if is_target:
            new_start = new_target_start
        elif start_delta:
            new_start = localize(to_local(row.starts_at, tz) + start_delta, tz)
        else:
            new_start = row.starts_at
        times: Times = {"starts_at": new_start}
        for field in _OFFSET_FIELDS:
            old = getattr(row, field)
            if field in changes:
                given = getattr(body, field)
                if given is None or is_target:
                    times[field] = given.astimezone(UTC) if given is not None else None
                else:
                    times[field] = localize(to_local(new_start, tz) + (to_local(given, tz) - target_local_start), tz)
            elif old is not None and new_start != row.starts_at:
                times[field] = localize(to_local(old, tz) + (to_local(new_start, tz) - to_local(row.starts_at, tz)), tz)
            else:
                times[field] = old
        errors.extend(time_errors(times, label))
        values: dict[str, Any] = {f: v for f, v in times.items() if v != getattr(row, f)}
        if "starts_at" in values:
            values["utc_offset"] = utc_offset_minutes(new_start, tz)

        if body.status is not None and body.status != row.status:
            if not can_move(row.status, body.status):
                transition_errors.append(
                    {"field": "status", "message": f"{label}{row.status} cannot become {body.status}"}
                )
            values["status"] = body.status
            if body.status in NEEDS_REASON and reason is None:
                errors.append({"field": "status_reason", "message": f"is required for status {body.status}"})
            values["status_reason"] = reason
        elif "status_reason" in changes:
            if row.status in NEEDS_REASON and reason is None:
                errors.append({"field": "status_reason", "message": f"is required for status {row.status}"})
            values["status_reason"] = reason
        for field in ("capacity_override", "notes", "metadata"):
            if field in changes:
                values[field] = getattr(body, field)
        plans.append((row, values))
    if transition_errors:
        raise BusinessRuleViolation(
            "Status transition not allowed", code="INVALID_STATUS_TRANSITION", details=transition_errors
        )
    if errors:
        unique = [dict(t) for t in dict.fromkeys(tuple(sorted(e.items())) for e in errors)]
        raise ValidationFailed(unique)
    return plans


# --- use cases --------------------------------------------------------------------------------------------


async def _event_or_404(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, lock: bool = False) -> AnyRow:
    event = await queries.get_event(conn, tenant_id, event_id, lock=lock)
    if event is None:
        raise NotFound("Event")
    return event


def _check_venue_max(capacity_override: int, max_capacity: int) -> None:
    if capacity_override > max_capacity:
        raise VenueCapacityExceeded(
            f"capacity_override {capacity_override} exceeds the venue's maximum capacity {max_capacity}",
            details=[{"field": "capacity_override", "message": f"must not exceed {max_capacity}"}],
        )


async def list_schedules(db: Database, principal: Principal, event_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        await _event_or_404(conn, principal.tenant_id, event_id)
        rows = await queries.list_for_events(conn, principal.tenant_id, [event_id])
    return schedules_view(event_id, list(rows))


async def get_schedule(
    db: Database, principal: Principal, event_id: uuid.UUID, schedule_id: uuid.UUID
) -> dict[str, Any]:
    async with db.read() as conn:
        await _event_or_404(conn, principal.tenant_id, event_id)
        row = await queries.get_schedule(conn, principal.tenant_id, event_id, schedule_id)
    if row is None:
        raise NotFound("Schedule")
    return schedule_view(row)


async def upcoming_schedules(
    db: Database, principal: Principal, event_id: uuid.UUID, now: datetime, limit: int | None = None
) -> dict[str, Any]:
    """Future (starts_at > now) SCHEDULED or CONFIRMED schedules, soonest first."""
    async with db.read() as conn:
        await _event_or_404(conn, principal.tenant_id, event_id)
        rows = await queries.upcoming(conn, principal.tenant_id, event_id, now, BOOKABLE, limit)
    return schedules_view(event_id, list(rows))


async def next_schedule(db: Database, principal: Principal, event_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    found = await upcoming_schedules(db, principal, event_id, now, limit=1)
    if not found["schedules"]:
        raise NotFound("Upcoming schedule")
    first: dict[str, Any] = found["schedules"][0]
    return first


async def create_schedule(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    event_id: uuid.UUID,
    body: ScheduleCreate,
    *,
    cache: Cache,
) -> dict[str, Any]:
    """One schedule, or a recurring series expanded into its occurrence rows."""
    principal.require(ORGANIZER)
    async with db.read() as conn:
        event = await _event_or_404(conn, principal.tenant_id, event_id)
    venue = await venues.get(principal, event.venue_id)  # access check; never inside the transaction
    if body.capacity_override is not None:
        _check_venue_max(body.capacity_override, venue.max_capacity)
    rows = plan_creation(principal.tenant_id, event_id, body)
    async with db.transaction() as conn:
        await _event_or_404(conn, principal.tenant_id, event_id, lock=True)
        created = sorted(await queries.insert_schedules(conn, rows), key=lambda r: r.occurrence_number or 0)
        for row in created:
            await emit(conn, principal.tenant_id, "schedule.created", f"schedules/{row.id}", schedule_view(row))
    await cache.invalidate(keys.event(principal.tenant_id, event_id))  # event_date, doors_open, schedule
    result = schedule_view(created[0])
    if body.is_recurring:
        result["occurrence_count"] = len(created)
        result["occurrences"] = [schedule_view(r) for r in created]
    return result


async def update_schedule(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    event_id: uuid.UUID,
    schedule_id: uuid.UUID,
    body: ScheduleUpdate,
    *,
    cache: Cache,
) -> dict[str, Any]:
    """Change one schedule, or (scope "following") it and the later occurrences of its series."""
    principal.require(ORGANIZER)
    if not body.changes:
        raise ValidationFailed.field("body", "No fields to update")
    async with db.read() as conn:
        event = await _event_or_404(conn, principal.tenant_id, event_id)
        if await queries.get_schedule(conn, principal.tenant_id, event_id, schedule_id) is None:
            raise NotFound("Schedule")
    if body.capacity_override is not None:
        venue = await venues.get(principal, event.venue_id)
        _check_venue_max(body.capacity_override, venue.max_capacity)

    async with db.transaction() as conn:
        tenant_id = principal.tenant_id
        await _event_or_404(conn, tenant_id, event_id, lock=True)
        target = await queries.get_schedule(conn, tenant_id, event_id, schedule_id, lock=True)
        if target is None:
            raise NotFound("Schedule")
        rows: list[AnyRow] = [target]
        if body.scope == "following" and target.occurrence_number is not None:
            root_id = target.parent_schedule_id or target.id
            rows = list(await queries.series_from(conn, tenant_id, root_id, target.occurrence_number))
        plans = plan_update(target, rows, body)
        if body.capacity_override is not None:
            committed = await queries.committed_seats(conn, tenant_id, [row.id for row, _ in plans])
            below = [
                {
                    "field": "capacity_override",
                    "message": f"schedule {row.id} already has {committed[row.id]} seats sold or held",
                }
                for row, _ in plans
                if committed.get(row.id, 0) > body.capacity_override
            ]
            if below:
                raise BusinessRuleViolation(
                    "capacity_override is below what this performance has already sold or holds",
                    code="CAPACITY_BELOW_SOLD",
                    details=below,
                )
        result = target
        changed: list[uuid.UUID] = []
        for row, values in plans:
            if not values:
                continue
            new = await queries.update_schedule(conn, tenant_id, row.id, values)
            kind = "schedule.cancelled" if values.get("status") == CANCELLED else "schedule.updated"
            await emit(conn, tenant_id, kind, f"schedules/{new.id}", schedule_view(new))
            changed.append(new.id)
            if new.id == target.id:
                result = new
    await cache.invalidate(keys.event(principal.tenant_id, event_id))  # event_date, doors_open, schedule
    return {
        "data": schedule_view(result),
        "meta": {"scope": body.scope, "updated_count": len(changed), "updated_schedule_ids": [str(i) for i in changed]},
    }


async def event_calendar(db: Database, principal: Principal, event_id: uuid.UUID, base_url: str) -> bytes:
    """The event's schedules as an iCalendar feed."""
    async with db.read() as conn:
        event = await _event_or_404(conn, principal.tenant_id, event_id)
        rows = await queries.list_for_events(conn, principal.tenant_id, [event_id])
        location = await queries.venue_name(conn, principal.tenant_id, event.venue_id)
    url = event_url(base_url, event.id)
    entries = [calendar.CalendarEntry(row, event.name, location, url, event.short_description) for row in rows]
    return calendar.render(event.name, entries)


async def venue_calendar(db: Database, principal: Principal, venue_id: uuid.UUID, base_url: str) -> bytes:
    """The schedules of every non-deleted event of the tenant at this venue."""
    async with db.read() as conn:
        location = await queries.venue_name(conn, principal.tenant_id, venue_id)
        found = await queries.events_at_venue(conn, principal.tenant_id, venue_id)
        rows = await queries.list_for_events(conn, principal.tenant_id, [e.id for e in found])
    if location is None and not found:
        raise NotFound("Venue")
    by_id = {e.id: e for e in found}
    entries = [
        calendar.CalendarEntry(
            row,
            by_id[row.event_id].name,
            location,
            event_url(base_url, row.event_id),
            by_id[row.event_id].short_description,
        )
        for row in rows
    ]
    return calendar.render(location or f"Venue {venue_id}", entries)


def event_url(base_url: str, event_id: uuid.UUID) -> str:
    """Where a calendar entry links to: the event in this API, under the URL the request came in on."""
    return f"{base_url.rstrip('/')}/api/v1/events/{event_id}"

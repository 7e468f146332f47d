"""Endpoints 19-23 over HTTP against a real PostgreSQL: shapes, rules, roles and tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db import tables
from tests import factories
from tests.support import Tenant

NY = ZoneInfo("America/New_York")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _event(engine: AsyncEngine, tenant: Tenant, max_capacity: int = 5000) -> dict[str, Any]:
    venue = await factories.venue(engine, tenant.id, max_capacity=max_capacity)
    return await factories.event(engine, tenant.id, venue_id=venue["id"])


async def _create(client: httpx.AsyncClient, tenant: Tenant, event_id: object, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/events/{event_id}/schedules", json=body, headers=tenant.headers("organizer"))


def _weekly_ny(count: int = 4) -> dict[str, Any]:
    # Tuesdays 19:00-22:00 New York from 4 March 2031; clocks go forward on Sunday 9 March.
    return {
        "starts_at": "2031-03-04T19:00:00-05:00",
        "ends_at": "2031-03-04T22:00:00-05:00",
        "doors_open_at": "2031-03-04T18:00:00-05:00",
        "timezone": "America/New_York",
        "is_recurring": True,
        "recurrence_rule": f"FREQ=WEEKLY;BYDAY=TU;COUNT={count}",
    }


async def test_create_single_schedule_answers_201_in_the_seed_shape_with_derived_utc_offset(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    response = await _create(
        client,
        tenant,
        event["id"],
        starts_at="2031-07-08T19:00:00-04:00",
        ends_at="2031-07-08T23:00:00-04:00",
        doors_open_at="2031-07-08T18:00:00-04:00",
        timezone="America/New_York",
        is_recurring=False,
        capacity_override=None,
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["event_id"] == str(event["id"])
    assert data["starts_at"] == "2031-07-08T23:00:00Z"
    assert data["ends_at"] == "2031-07-09T03:00:00Z"
    assert data["doors_open_at"] == "2031-07-08T22:00:00Z"
    assert data["utc_offset"] == -240
    assert data["status"] == "SCHEDULED"
    assert data["is_recurring"] is False
    assert data["occurrence_number"] is None

    listed = await client.get(f"/api/v1/events/{event['id']}/schedules", headers=tenant.headers("customer"))
    assert listed.status_code == 200
    assert listed.json()["data"]["event_id"] == str(event["id"])
    assert [s["id"] for s in listed.json()["data"]["schedules"]] == [data["id"]]

    async with engine.connect() as conn:
        types = (
            await conn.execute(select(tables.outbox.c.type).where(tables.outbox.c.subject == f"schedules/{data['id']}"))
        ).scalars()
        assert list(types) == ["schedule.created"]


async def test_utc_offset_is_never_taken_from_input(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    response = await _create(
        client, tenant, event["id"], starts_at="2031-07-08T19:00:00Z", ends_at="2031-07-08T20:00:00Z", utc_offset=60
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "utc_offset"


async def test_invalid_times_and_timezones_answer_422_naming_the_field(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    base = {"starts_at": "2031-07-08T19:00:00Z", "ends_at": "2031-07-08T22:00:00Z"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**base, "ends_at": "2031-07-08T19:00:00Z"}, "ends_at"),
        ({**base, "doors_open_at": "2031-07-08T19:30:00Z"}, "doors_open_at"),
        ({**base, "check_in_opens_at": "2031-07-08T19:30:00Z"}, "check_in_opens_at"),
        ({**base, "check_in_closes_at": "2031-07-08T23:00:00Z"}, "check_in_closes_at"),
        (
            {**base, "check_in_opens_at": "2031-07-08T18:00:00Z", "check_in_closes_at": "2031-07-08T17:00:00Z"},
            "check_in_closes_at",
        ),
        ({**base, "timezone": "EST5EDT/Nowhere"}, "timezone"),
        ({**base, "timezone": "../../etc/passwd"}, "timezone"),
        ({**base, "starts_at": "2031-07-08T19:00:00"}, "starts_at"),
        ({**base, "is_recurring": True}, "recurrence_rule"),
        ({**base, "recurrence_rule": "FREQ=DAILY;COUNT=2"}, "is_recurring"),
        ({**base, "is_recurring": True, "recurrence_rule": "FREQ=DAILY"}, "recurrence_rule"),
        ({**base, "capacity_override": -1}, "capacity_override"),
    ]
    for body, field in cases:
        response = await _create(client, tenant, event["id"], **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field in [d["field"] for d in response.json()["details"]], (body, response.json())


async def test_recurring_schedule_expands_into_occurrences_that_keep_local_time_across_dst(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    response = await _create(client, tenant, event["id"], **_weekly_ny(4))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["occurrence_count"] == 4
    occurrences = data["occurrences"]
    assert [o["occurrence_number"] for o in occurrences] == [1, 2, 3, 4]
    assert occurrences[0]["id"] == data["id"] and occurrences[0]["parent_schedule_id"] is None
    assert {o["parent_schedule_id"] for o in occurrences[1:]} == {data["id"]}
    assert [o["starts_at"] for o in occurrences] == [
        "2031-03-05T00:00:00Z",  # 19:00 EST
        "2031-03-11T23:00:00Z",  # 19:00 EDT: the UTC instant moved, the local time did not
        "2031-03-18T23:00:00Z",
        "2031-03-25T23:00:00Z",
    ]
    assert [o["utc_offset"] for o in occurrences] == [-300, -240, -240, -240]
    assert {_parse(o["doors_open_at"]).astimezone(NY).hour for o in occurrences} == {18}

    listed = (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=tenant.headers())).json()
    assert [s["id"] for s in listed["data"]["schedules"]] == [o["id"] for o in occurrences]


async def test_recurrence_beyond_the_cap_answers_422_recurrence_too_long(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    body = {**_weekly_ny(), "recurrence_rule": "FREQ=DAILY", "recurrence_end_date": "2033-12-31"}
    response = await _create(client, tenant, event["id"], **body)
    assert response.status_code == 422
    assert response.json()["code"] == "RECURRENCE_TOO_LONG"
    listed = (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=tenant.headers())).json()
    assert listed["data"]["schedules"] == []


async def test_customers_read_schedules_but_cannot_create_or_update_them(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    schedule = await factories.schedule(engine, tenant.id, event["id"])
    customer = tenant.headers("customer")
    body = {"starts_at": "2031-07-08T19:00:00Z", "ends_at": "2031-07-08T22:00:00Z"}
    assert (
        await client.post(f"/api/v1/events/{event['id']}/schedules", json=body, headers=customer)
    ).status_code == 403
    url = f"/api/v1/events/{event['id']}/schedules/{schedule['id']}"
    assert (await client.put(url, json={"status": "CONFIRMED"}, headers=customer)).status_code == 403
    assert (await client.get(url, headers=customer)).status_code == 200
    assert (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=customer)).status_code == 200


async def test_another_tenants_event_and_schedule_are_404(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    schedule = await factories.schedule(engine, tenant.id, event["id"])
    intruder = other_tenant.headers("admin")
    base = f"/api/v1/events/{event['id']}"
    for path in (
        "/schedules",
        "/schedules/upcoming",
        "/schedules/next",
        f"/schedules/{schedule['id']}",
        "/calendar.ics",
    ):
        assert (await client.get(base + path, headers=intruder)).status_code == 404, path
    body = {"starts_at": "2031-07-08T19:00:00Z", "ends_at": "2031-07-08T22:00:00Z"}
    assert (await client.post(base + "/schedules", json=body, headers=intruder)).status_code == 404
    put = await client.put(base + f"/schedules/{schedule['id']}", json={"status": "CONFIRMED"}, headers=intruder)
    assert put.status_code == 404
    assert (await client.get(f"/api/v1/venues/{event['venue_id']}/calendar.ics", headers=intruder)).status_code == 404


async def test_a_deleted_event_has_no_schedules(client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant) -> None:
    event = await _event(engine, tenant)
    async with engine.begin() as conn:
        await conn.execute(
            update(tables.events).where(tables.events.c.id == event["id"]).values(deleted_at=datetime.now(UTC))
        )
    assert (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=tenant.headers())).status_code == 404
    response = await _create(
        client, tenant, event["id"], starts_at="2031-07-08T19:00:00Z", ends_at="2031-07-08T22:00:00Z"
    )
    assert response.status_code == 404


async def test_upcoming_lists_only_future_scheduled_or_confirmed_soonest_first_and_next_picks_the_first(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    now = datetime.now(UTC)
    arrange = [
        ("past", now - timedelta(days=1), "SCHEDULED"),
        ("later", now + timedelta(days=20), "CONFIRMED"),
        ("cancelled", now + timedelta(days=2), "CANCELLED"),
        ("postponed", now + timedelta(days=3), "POSTPONED"),
        ("soon", now + timedelta(days=5), "SCHEDULED"),
    ]
    ids = {}
    for name, starts, status in arrange:
        ids[name] = str(
            (await factories.schedule(engine, tenant.id, event["id"], starts_at=starts, status=status))["id"]
        )
    base = f"/api/v1/events/{event['id']}/schedules"
    upcoming = await client.get(base + "/upcoming", headers=tenant.headers("customer"))
    assert upcoming.status_code == 200
    assert [s["id"] for s in upcoming.json()["data"]["schedules"]] == [ids["soon"], ids["later"]]
    limited = await client.get(base + "/upcoming?limit=1", headers=tenant.headers("customer"))
    assert [s["id"] for s in limited.json()["data"]["schedules"]] == [ids["soon"]]
    nxt = await client.get(base + "/next", headers=tenant.headers("customer"))
    assert nxt.status_code == 200
    assert nxt.json()["data"]["id"] == ids["soon"]


async def test_next_answers_404_when_there_is_no_upcoming_schedule(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    await factories.schedule(engine, tenant.id, event["id"], starts_at=datetime.now(UTC) - timedelta(hours=5))
    response = await client.get(f"/api/v1/events/{event['id']}/schedules/next", headers=tenant.headers())
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_status_transitions_are_enforced_and_some_need_a_reason(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    schedule = await factories.schedule(engine, tenant.id, event["id"])
    url = f"/api/v1/events/{event['id']}/schedules/{schedule['id']}"
    headers = tenant.headers("organizer")

    skipped = await client.put(url, json={"status": "COMPLETED"}, headers=headers)
    assert skipped.status_code == 422
    assert skipped.json()["code"] == "INVALID_STATUS_TRANSITION"

    confirmed = await client.put(
        url, json={"status": "CONFIRMED", "status_reason": None, "capacity_override": 4500}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["status"] == "CONFIRMED"
    assert confirmed.json()["data"]["capacity_override"] == 4500

    for status in ("CANCELLED", "POSTPONED", "RESCHEDULED"):
        missing = await client.put(url, json={"status": status}, headers=headers)
        assert missing.status_code == 422, status
        assert missing.json()["details"] == [{"field": "status_reason", "message": f"is required for status {status}"}]
        blank = await client.put(url, json={"status": status, "status_reason": "  "}, headers=headers)
        assert blank.status_code == 422

    postponed = await client.put(url, json={"status": "POSTPONED", "status_reason": "Storm"}, headers=headers)
    assert postponed.status_code == 200
    assert postponed.json()["data"]["status_reason"] == "Storm"
    moved = await client.put(
        url,
        json={"status": "RESCHEDULED", "status_reason": "New date", "starts_at": "2031-09-01T19:00:00Z"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["starts_at"] == "2031-09-01T19:00:00Z"
    assert moved.json()["data"]["ends_at"] == "2031-09-01T22:00:00Z"  # the end moved with the start
    cancelled = await client.put(url, json={"status": "CANCELLED", "status_reason": "Band split up"}, headers=headers)
    assert cancelled.status_code == 200
    again = await client.put(url, json={"status": "SCHEDULED"}, headers=headers)
    assert again.status_code == 422
    assert again.json()["code"] == "INVALID_STATUS_TRANSITION"
    retime = await client.put(url, json={"starts_at": "2031-09-02T19:00:00Z"}, headers=headers)
    assert retime.status_code == 422
    notes = await client.put(url, json={"notes": "Refunds issued"}, headers=headers)
    assert notes.status_code == 200

    async with engine.connect() as conn:
        types = (
            await conn.execute(
                select(tables.outbox.c.type)
                .where(tables.outbox.c.subject == f"schedules/{schedule['id']}")
                .order_by(tables.outbox.c.created_at)
            )
        ).scalars()
        assert list(types) == ["schedule.updated"] * 3 + ["schedule.cancelled", "schedule.updated"]


async def test_cancelling_one_occurrence_leaves_the_others_alone(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    occurrences = (await _create(client, tenant, event["id"], **_weekly_ny(4))).json()["data"]["occurrences"]
    second = occurrences[1]["id"]
    response = await client.put(
        f"/api/v1/events/{event['id']}/schedules/{second}",
        json={"scope": "this", "status": "CANCELLED", "status_reason": "Venue flooded"},
        headers=tenant.headers("organizer"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["updated_count"] == 1
    listed = (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=tenant.headers())).json()
    assert [s["status"] for s in listed["data"]["schedules"]] == ["SCHEDULED", "CANCELLED", "SCHEDULED", "SCHEDULED"]


async def test_editing_this_and_following_occurrences_shifts_them_by_the_same_local_time_delta(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    # Mondays 19:00 New York from 3 March 2031 (DST starts 9 March).
    body = {**_weekly_ny(5), "recurrence_rule": "FREQ=WEEKLY;COUNT=5"}
    body.update(
        starts_at="2031-02-24T19:00:00-05:00",
        ends_at="2031-02-24T22:00:00-05:00",
        doors_open_at="2031-02-24T18:00:00-05:00",
    )
    occurrences = (await _create(client, tenant, event["id"], **body)).json()["data"]["occurrences"]
    headers = tenant.headers("organizer")
    base = f"/api/v1/events/{event['id']}/schedules"
    # Cancel occurrence 4 on its own first: "following" edits leave it as it is.
    cancel = {"status": "CANCELLED", "status_reason": "Private booking"}
    assert (await client.put(f"{base}/{occurrences[3]['id']}", json=cancel, headers=headers)).status_code == 200

    # Occurrence 2 (3 March, still EST) moves from 19:00 to 20:30 local, with the doors at 20:00.
    response = await client.put(
        f"{base}/{occurrences[1]['id']}",
        json={
            "scope": "following",
            "starts_at": "2031-03-03T20:30:00-05:00",
            "doors_open_at": "2031-03-03T20:00:00-05:00",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["updated_count"] == 3  # 2, 3 and 5
    rows = (await client.get(base, headers=headers)).json()["data"]["schedules"]
    local = [(_parse(r["starts_at"]).astimezone(NY).strftime("%m-%d %H:%M"), r["status"]) for r in rows]
    assert local == [
        ("02-24 19:00", "SCHEDULED"),
        ("03-03 20:30", "SCHEDULED"),
        ("03-10 20:30", "SCHEDULED"),  # after the DST change: still 20:30 local
        ("03-17 19:00", "CANCELLED"),
        ("03-24 20:30", "SCHEDULED"),
    ]
    for row in rows:
        if row["status"] == "SCHEDULED" and row["occurrence_number"] > 1:
            assert _parse(row["doors_open_at"]).astimezone(NY).strftime("%H:%M") == "20:00"
            assert _parse(row["ends_at"]).astimezone(NY).strftime("%H:%M") == "23:30"
            offset = _parse(row["starts_at"]).astimezone(NY).utcoffset()
            assert offset is not None and row["utc_offset"] == offset.total_seconds() // 60

    # Cancelling "following" from occurrence 3 cancels 3 and 5 and keeps 1 and 2.
    response = await client.put(
        f"{base}/{occurrences[2]['id']}",
        json={"scope": "following", "status": "CANCELLED", "status_reason": "Tour ends early"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    rows = (await client.get(base, headers=headers)).json()["data"]["schedules"]
    assert [r["status"] for r in rows] == ["SCHEDULED", "SCHEDULED", "CANCELLED", "CANCELLED", "CANCELLED"]
    assert rows[3]["status_reason"] == "Private booking"


async def test_capacity_override_is_bounded_by_the_venue_and_by_what_that_performance_sold(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant, max_capacity=1000)
    too_big = await _create(
        client,
        tenant,
        event["id"],
        starts_at="2031-07-08T19:00:00Z",
        ends_at="2031-07-08T22:00:00Z",
        capacity_override=1001,
    )
    assert too_big.status_code == 422
    assert too_big.json()["code"] == "VENUE_CAPACITY_EXCEEDED"

    occurrences = (await _create(client, tenant, event["id"], **_weekly_ny(2))).json()["data"]["occurrences"]
    first, second = (uuid.UUID(o["id"]) for o in occurrences)
    # Each performance has its own "Floor" section; the first has sold 300 and holds 50.
    await factories.section(
        engine,
        tenant.id,
        event["id"],
        500,
        section_name="Floor",
        schedule_id=first,
        sold_count=300,
        reserved_capacity=50,
    )
    await factories.section(engine, tenant.id, event["id"], 500, section_name="Floor", schedule_id=second)
    base = f"/api/v1/events/{event['id']}/schedules"
    headers = tenant.headers("organizer")

    below = await client.put(f"{base}/{first}", json={"capacity_override": 349}, headers=headers)
    assert below.status_code == 422
    assert below.json()["code"] == "CAPACITY_BELOW_SOLD"
    assert (await client.put(f"{base}/{first}", json={"capacity_override": 350}, headers=headers)).status_code == 200
    assert (await client.put(f"{base}/{second}", json={"capacity_override": 10}, headers=headers)).status_code == 200
    over = await client.put(f"{base}/{second}", json={"capacity_override": 1001}, headers=headers)
    assert over.json()["code"] == "VENUE_CAPACITY_EXCEEDED"

    # Cancelling one performance leaves both performances' inventory untouched.
    cancel = {"status": "CANCELLED", "status_reason": "Illness"}
    assert (await client.put(f"{base}/{second}", json=cancel, headers=headers)).status_code == 200
    async with engine.connect() as conn:
        c = tables.event_capacity.c
        sections = (
            await conn.execute(
                select(c.schedule_id, c.sold_count, c.reserved_capacity, c.available_capacity)
                .where(c.event_id == event["id"])
                .order_by(c.sold_count.desc())
            )
        ).all()
    assert [tuple(s) for s in sections] == [(first, 300, 50, 150), (second, 0, 0, 500)]


async def test_an_empty_update_and_unknown_fields_are_validation_errors(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    schedule = await factories.schedule(engine, tenant.id, event["id"])
    url = f"/api/v1/events/{event['id']}/schedules/{schedule['id']}"
    for body in (
        {},
        {"scope": "following"},
        {"timezone": "UTC"},
        {"status": None},
        {"scope": "all"},
        {"ends_at": None},
    ):
        response = await client.put(url, json=body, headers=tenant.headers())
        assert response.status_code == 422, body
        assert response.json()["code"] == "VALIDATION_ERROR"
    wrong_event = await _event(engine, tenant)
    moved = await client.put(
        f"/api/v1/events/{wrong_event['id']}/schedules/{schedule['id']}", json={"notes": "x"}, headers=tenant.headers()
    )
    assert moved.status_code == 404

"""iCalendar feeds: parsed back with `icalendar` and compared with the schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.support import Tenant


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _vevents(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(v["uid"]): v for v in calendar.walk("VEVENT")}


async def test_event_calendar_has_one_vevent_per_schedule_matching_times_tzid_and_status(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    venue = await factories.venue(engine, tenant.id, name="Blue Note Hall")
    event = await factories.event(engine, tenant.id, venue_id=venue["id"], name="Jazz Tuesdays")
    headers = tenant.headers("organizer")
    created = await client.post(
        f"/api/v1/events/{event['id']}/schedules",
        json={
            "starts_at": "2031-03-04T19:00:00-05:00",
            "ends_at": "2031-03-04T22:00:00-05:00",
            "timezone": "America/New_York",
            "is_recurring": True,
            "recurrence_rule": "FREQ=WEEKLY;COUNT=3",
        },
        headers=headers,
    )
    occurrences = created.json()["data"]["occurrences"]
    cancelled = occurrences[2]["id"]
    await client.put(
        f"/api/v1/events/{event['id']}/schedules/{cancelled}",
        json={"status": "CANCELLED", "status_reason": "Snow"},
        headers=headers,
    )
    single = await factories.schedule(
        engine, tenant.id, event["id"], starts_at=datetime(2031, 6, 1, 18, tzinfo=UTC), status="POSTPONED"
    )

    response = await client.get(f"/api/v1/events/{event['id']}/calendar.ics", headers=tenant.headers("customer"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    vevents = _vevents(response.content)
    schedules = (await client.get(f"/api/v1/events/{event['id']}/schedules", headers=headers)).json()["data"]
    assert set(vevents) == {f"{s['id']}@event-service" for s in schedules["schedules"]}
    for schedule in schedules["schedules"]:
        vevent = vevents[f"{schedule['id']}@event-service"]
        start, end = vevent.decoded("dtstart"), vevent.decoded("dtend")
        assert start == _parse(schedule["starts_at"]) and end == _parse(schedule["ends_at"])
        assert str(start.tzinfo) == schedule["timezone"]
        assert str(vevent["summary"]) == "Jazz Tuesdays"
        assert str(vevent["location"]) == "Blue Note Hall"
        assert str(vevent["url"]).endswith(f"/api/v1/events/{event['id']}")
    # Local time in the feed is the organizer's 19:00 on both sides of the DST change.
    assert {vevents[f"{o['id']}@event-service"].decoded("dtstart").hour for o in occurrences} == {19}
    assert "TZID=America/New_York" in response.text
    assert "BEGIN:VTIMEZONE" in response.text
    statuses = {uid: str(v["status"]) for uid, v in vevents.items()}
    assert statuses[f"{cancelled}@event-service"] == "CANCELLED"
    assert statuses[f"{occurrences[0]['id']}@event-service"] == "CONFIRMED"
    assert statuses[f"{single['id']}@event-service"] == "TENTATIVE"
    # Stable output: the same schedules render the same bytes (UIDs and DTSTAMPs included).
    again = await client.get(f"/api/v1/events/{event['id']}/calendar.ics", headers=headers)
    assert again.content == response.content


async def test_venue_calendar_lists_schedules_of_the_tenants_live_events_at_that_venue(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    venue = await factories.venue(engine, tenant.id, name="Arena")
    shown = await factories.event(engine, tenant.id, venue_id=venue["id"], name="Shown")
    deleted = await factories.event(engine, tenant.id, venue_id=venue["id"], name="Gone", deleted_at=datetime.now(UTC))
    elsewhere = await factories.event(engine, tenant.id, name="Elsewhere")
    foreign = await factories.event(engine, other_tenant.id, venue_id=venue["id"], name="Foreign")
    expected = [await factories.schedule(engine, tenant.id, shown["id"]) for _ in range(2)]
    for other in (deleted, elsewhere, foreign):
        await factories.schedule(engine, other["tenant_id"], other["id"])

    response = await client.get(f"/api/v1/venues/{venue['id']}/calendar.ics", headers=tenant.headers("customer"))
    assert response.status_code == 200
    vevents = _vevents(response.content)
    assert set(vevents) == {f"{s['id']}@event-service" for s in expected}
    assert {str(v["summary"]) for v in vevents.values()} == {"Shown"}
    assert str(Calendar.from_ical(response.content)["x-wr-calname"]) == "Arena"


async def test_calendar_of_an_unknown_venue_is_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        "/api/v1/venues/00000000-0000-0000-0000-00000000abcd/calendar.ics", headers=tenant.headers()
    )
    assert response.status_code == 404

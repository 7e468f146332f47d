"""iCalendar (RFC 5545) feeds: one VEVENT per schedule row, built with `icalendar`.

- UID is `<schedule id>@event-service`, so a calendar that subscribed once
  updates the same entry when a schedule moves or is cancelled.
- DTSTART/DTEND carry the schedule's TZID (with a VTIMEZONE for it), so the
  entry shows the local time the organizer meant; UTC schedules use `Z`.
- STATUS: CANCELLED stays CANCELLED, POSTPONED (no firm date) is TENTATIVE,
  every other status is CONFIRMED.
- DTSTAMP and LAST-MODIFIED are the row's `updated_at`, so an unchanged
  schedule renders byte for byte the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from icalendar import Calendar, Event

from event_service.schedules.recurrence import zone

PRODID = "-//event-service//schedules//EN"
UID_DOMAIN = "event-service"

_ICAL_STATUS = {"CANCELLED": "CANCELLED", "POSTPONED": "TENTATIVE"}


@dataclass(frozen=True)
class CalendarEntry:
    schedule: Any  # an event_schedules row
    title: str
    location: str | None
    url: str
    description: str | None


def uid(schedule_id: object) -> str:
    return f"{schedule_id}@{UID_DOMAIN}"


def ical_status(status: str) -> str:
    return _ICAL_STATUS.get(status, "CONFIRMED")


def _local(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(zone(timezone))


def _vevent(entry: CalendarEntry) -> Event:
    row = entry.schedule
    vevent = Event()
    vevent.add("uid", uid(row.id))
    vevent.add("dtstamp", row.updated_at)
    vevent.add("created", row.created_at)
    vevent.add("last-modified", row.updated_at)
    vevent.add("dtstart", _local(row.starts_at, row.timezone))
    vevent.add("dtend", _local(row.ends_at, row.timezone))
    vevent.add("summary", entry.title)
    if entry.location:
        vevent.add("location", entry.location)
    vevent.add("url", entry.url)
    vevent.add("status", ical_status(row.status))
    lines = [entry.description] if entry.description else []
    if row.status_reason:
        lines.append(f"{row.status}: {row.status_reason}")
    if lines:
        vevent.add("description", "\n".join(lines))
    return vevent


def render(name: str, entries: Sequence[CalendarEntry]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        calendar.add_component(_vevent(entry))
    if entries:
        # VTIMEZONE definitions covering every schedule (the library's default stops in 2038).
        years = [e.schedule.starts_at.year for e in entries] + [e.schedule.ends_at.year for e in entries]
        calendar.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 1, 12, 31))
    feed: bytes = calendar.to_ical()
    return feed

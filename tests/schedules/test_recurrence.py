"""Recurrence expansion in the schedule's own timezone, with fixed instants (no clock)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from event_service.platform.errors import BusinessRuleViolation, ValidationFailed
from event_service.schedules.recurrence import MAX_OCCURRENCES, expand, localize, utc_offset_minutes, zone
from event_service.schedules.schemas import ScheduleCreate
from event_service.schedules.service import plan_creation


def _local_clock(rows: list[dict[str, Any]], tz_name: str) -> list[tuple[date, int, int]]:
    tz = zone(tz_name)
    out = []
    for row in rows:
        starts = row["starts_at"]
        assert isinstance(starts, datetime)
        local = starts.astimezone(tz)
        out.append((local.date(), local.hour, local.minute))
    return out


def _plan(**body: object) -> list[dict[str, Any]]:
    return plan_creation(uuid.uuid4(), uuid.uuid4(), ScheduleCreate.model_validate(body))


@pytest.mark.parametrize(
    ("tz_name", "first_start", "transition_day"),
    [
        # spring forward
        ("America/New_York", "2031-03-04T19:00:00-05:00", date(2031, 3, 9)),
        ("Europe/London", "2031-03-25T19:00:00+00:00", date(2031, 3, 30)),
        ("Australia/Sydney", "2031-09-30T19:00:00+10:00", date(2031, 10, 5)),
        # fall back
        ("America/New_York", "2031-10-28T19:00:00-04:00", date(2031, 11, 2)),
        ("Europe/London", "2031-10-21T19:00:00+01:00", date(2031, 10, 26)),
        ("Australia/Sydney", "2031-04-01T19:00:00+11:00", date(2031, 4, 6)),
    ],
)
def test_weekly_show_keeps_its_local_start_time_across_a_dst_change(
    tz_name: str, first_start: str, transition_day: date
) -> None:
    rows = _plan(
        starts_at=first_start,
        ends_at=(datetime.fromisoformat(first_start) + timedelta(hours=3)).isoformat(),
        doors_open_at=(datetime.fromisoformat(first_start) - timedelta(hours=1)).isoformat(),
        timezone=tz_name,
        is_recurring=True,
        recurrence_rule="FREQ=WEEKLY;COUNT=3",
    )
    tz = zone(tz_name)
    assert [(h, m) for _, h, m in _local_clock(rows, tz_name)] == [(19, 0)] * 3
    before, after = rows[0], rows[1]
    assert before["starts_at"] < datetime.combine(transition_day, datetime.min.time(), tz) < after["starts_at"]
    # The UTC instant moved by the size of the change; the offset recorded is the one in force.
    assert before["utc_offset"] != after["utc_offset"]
    assert after["starts_at"] - before["starts_at"] == timedelta(days=7) - timedelta(
        minutes=after["utc_offset"] - before["utc_offset"]
    )
    for row in rows:
        assert row["ends_at"].astimezone(tz).hour == 22
        assert row["doors_open_at"].astimezone(tz).hour == 18
        assert row["utc_offset"] == utc_offset_minutes(row["starts_at"], tz)


def test_occurrences_are_numbered_and_point_at_the_first_row_of_the_series() -> None:
    rows = _plan(
        starts_at="2031-03-04T19:00:00-05:00",
        ends_at="2031-03-04T22:00:00-05:00",
        timezone="America/New_York",
        is_recurring=True,
        recurrence_rule="RRULE:FREQ=WEEKLY;COUNT=4",
    )
    assert [r["occurrence_number"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["parent_schedule_id"] is None
    assert rows[0]["recurrence_rule"] == "RRULE:FREQ=WEEKLY;COUNT=4"
    assert all(r["parent_schedule_id"] == rows[0]["id"] and r["recurrence_rule"] is None for r in rows[1:])


def test_a_time_inside_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    tz = zone("America/New_York")
    starts = expand("FREQ=DAILY;COUNT=3", localize(datetime(2031, 3, 8, 2, 30), tz), tz)
    instants = [localize(s, tz) for s in starts]
    assert [i.astimezone(tz).strftime("%d %H:%M") for i in instants] == ["08 02:30", "09 03:30", "10 02:30"]
    assert instants[1] == datetime(2031, 3, 9, 7, 30, tzinfo=UTC)


def test_a_time_that_happens_twice_at_fall_back_takes_the_first_instance() -> None:
    tz = zone("America/New_York")
    assert localize(datetime(2031, 11, 2, 1, 30), tz) == datetime(2031, 11, 2, 5, 30, tzinfo=UTC)


def test_monthly_last_friday_rule_picks_the_last_friday_of_each_month() -> None:
    rows = _plan(
        starts_at="2031-01-01T20:00:00+00:00",
        ends_at="2031-01-01T23:00:00+00:00",
        timezone="Europe/London",
        is_recurring=True,
        recurrence_rule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
    )
    days = [d for d, _, _ in _local_clock(rows, "Europe/London")]
    assert days == [
        date(2031, 1, 31),
        date(2031, 2, 28),
        date(2031, 3, 28),
        date(2031, 4, 25),
        date(2031, 5, 30),
        date(2031, 6, 27),
    ]
    # 20:00 local all along, also after the clocks went forward on 30 March.
    assert {(h, m) for _, h, m in _local_clock(rows, "Europe/London")} == {(20, 0)}


def test_count_and_until_bound_the_series_and_until_is_inclusive() -> None:
    tz = zone("America/New_York")
    first = localize(datetime(2031, 3, 4, 19, 0), tz)
    assert len(expand("FREQ=WEEKLY;COUNT=3", first, tz)) == 3
    # A bare UNTIL date means through the end of that local day.
    assert len(expand("FREQ=WEEKLY;UNTIL=20310318", first, tz)) == 3
    # A UTC UNTIL is compared in local time: 2031-03-18 23:00Z is 19:00 EDT, the third show exactly.
    assert len(expand("FREQ=WEEKLY;UNTIL=20310318T230000Z", first, tz)) == 3
    assert len(expand("FREQ=WEEKLY;UNTIL=20310318T225959Z", first, tz)) == 2
    # recurrence_end_date and the rule's own bound: whichever ends first.
    assert len(expand("FREQ=WEEKLY;COUNT=10", first, tz, end_date=date(2031, 3, 11))) == 2


def test_count_and_until_together_are_refused() -> None:
    tz = zone("UTC")
    with pytest.raises(ValidationFailed):
        expand("FREQ=WEEKLY;COUNT=3;UNTIL=20310318", datetime(2031, 3, 4, tzinfo=UTC), tz)


def test_a_rule_without_any_bound_is_refused() -> None:
    tz = zone("UTC")
    with pytest.raises(ValidationFailed) as caught:
        expand("FREQ=WEEKLY;BYDAY=TU", datetime(2031, 3, 4, tzinfo=UTC), tz)
    assert caught.value.details == [
        {"field": "recurrence_rule", "message": "an unbounded rule needs COUNT, UNTIL or recurrence_end_date"}
    ]


@pytest.mark.parametrize("rule", ["FREQ=FORTNIGHTLY;COUNT=2", "BYDAY=TU;COUNT=2", "FREQ=WEEKLY;COUNT=0", "garbage"])
def test_malformed_rules_are_validation_errors(rule: str) -> None:
    with pytest.raises(ValidationFailed):
        expand(rule, datetime(2031, 3, 4, tzinfo=UTC), zone("UTC"))


def test_the_cap_allows_500_occurrences_and_refuses_more() -> None:
    tz = zone("UTC")
    first = datetime(2031, 1, 1, 19, tzinfo=UTC)
    assert len(expand(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}", first, tz)) == MAX_OCCURRENCES
    with pytest.raises(BusinessRuleViolation) as by_count:
        expand(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", first, tz)
    assert by_count.value.code == "RECURRENCE_TOO_LONG"
    with pytest.raises(BusinessRuleViolation) as by_date:
        expand("FREQ=DAILY", first, tz, end_date=date(2033, 1, 1))
    assert by_date.value.code == "RECURRENCE_TOO_LONG"
    with pytest.raises(BusinessRuleViolation):
        expand("FREQ=MINUTELY;UNTIL=20991231", first, tz)

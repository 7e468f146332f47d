"""Wall-clock arithmetic and RRULE expansion in a schedule's own timezone.

Everything here is pure (no clock, no database), so tests pass fixed instants.

A recurring show is defined in local time: "every Tuesday at 19:00 in
America/New_York". The rule is therefore evaluated on naive local datetimes
and each result is localized afterwards, so the local time stays put across a
daylight-saving change and the UTC instant moves instead.

Local times that do not exist or exist twice follow RFC 5545 section 3.3.5:
- in a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00)
  the time is read with the offset from before the gap, i.e. it moves forward
  by the length of the gap (02:30 becomes 03:30 daylight time);
- in a fall-back overlap (01:30 happens twice) the first instance is used
  (the daylight-time one).
Python's `fold=0` gives exactly this, so `localize` is one line.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrule, rrulestr

from event_service.platform.errors import BusinessRuleViolation, ValidationFailed

# Most occurrence rows one series may create; documented in docs/schedules.md.
MAX_OCCURRENCES = 500

_UNTIL = re.compile(r"^(\d{8})(?:T(\d{6})(Z)?)?$")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError for anything else (abbreviations, paths, typos)."""
    if name not in _known_zones():
        raise ValueError(f"Unknown IANA timezone: {name!r}")
    return ZoneInfo(name)


def localize(local: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time in `tz` -> aware UTC instant (gap: shifted forward; overlap: first)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """Aware instant -> naive wall-clock time in `tz`."""
    return instant.astimezone(tz).replace(tzinfo=None)


def utc_offset_minutes(instant: datetime, tz: ZoneInfo) -> int:
    """The zone's offset from UTC at `instant`, in minutes (-240 for New York in summer)."""
    offset = instant.astimezone(tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def shift_local(instant: datetime, tz: ZoneInfo, delta: timedelta) -> datetime:
    """Move `instant` by `delta` of wall-clock time in `tz` (a 1-day shift across DST stays at the same local time)."""
    return localize(to_local(instant, tz) + delta, tz)


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed.field("recurrence_rule", message)


def too_long(message: str) -> BusinessRuleViolation:
    return BusinessRuleViolation(
        message,
        code="RECURRENCE_TOO_LONG",
        details=[{"field": "recurrence_rule", "message": message}],
    )


def _local_until(value: str, tz: ZoneInfo) -> str:
    """UNTIL as a floating local time, since the rule runs on naive local datetimes.

    `...Z` (UTC) is converted to the zone's wall-clock time; a bare date means
    "through the end of that local day"; a floating date-time is kept.
    """
    match = _UNTIL.match(value)
    if match is None:
        raise _fail("UNTIL must be a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS, optionally Z)")
    day, clock, utc = match.groups()
    try:
        if clock is None:
            parsed = datetime.combine(datetime.strptime(day, "%Y%m%d").date(), time(23, 59, 59))
        else:
            parsed = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
            if utc:
                parsed = to_local(parsed.replace(tzinfo=UTC), tz)
    except (ValueError, OverflowError) as exc:
        raise _fail("UNTIL is not a valid date") from exc
    return parsed.strftime("%Y%m%dT%H%M%S")


def parse_rule(text: str, first_local: datetime, tz: ZoneInfo) -> tuple[rrule, bool]:
    """An RFC 5545 RRULE (with or without the `RRULE:` prefix) anchored at `first_local`.

    Returns the rule and whether it carries its own bound (COUNT or UNTIL).
    """
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or any(c in body for c in "\r\n"):
        raise _fail("must be a single RRULE line such as FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    parts: dict[str, str] = {}
    for token in body.split(";"):
        name, sep, value = token.partition("=")
        name, value = name.strip().upper(), value.strip()
        if not sep or not name or not value:
            raise _fail(f"malformed part {token!r}")
        if name in parts:
            raise _fail(f"{name} is given twice")
        parts[name] = value
    if "FREQ" not in parts:
        raise _fail("FREQ is required")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _fail("COUNT and UNTIL must not both be given (RFC 5545)")
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1:
            raise _fail("COUNT must be a positive integer")
        if int(parts["COUNT"]) > MAX_OCCURRENCES:
            raise too_long(f"COUNT={parts['COUNT']} exceeds the limit of {MAX_OCCURRENCES} occurrences")
    if "UNTIL" in parts:
        parts["UNTIL"] = _local_until(parts["UNTIL"], tz)
    normalized = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule = rrulestr(normalized, dtstart=first_local)
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
        raise _fail(f"not a valid RRULE: {exc}") from exc
    if not isinstance(rule, rrule):
        raise _fail("must be a single RRULE")
    return rule, ("COUNT" in parts or "UNTIL" in parts)


def expand(
    rule_text: str,
    starts_at: datetime,
    tz: ZoneInfo,
    end_date: date | None = None,
    cap: int = MAX_OCCURRENCES,
) -> list[datetime]:
    """The naive local start of every occurrence, in order.

    `starts_at` gives the local time of day and the earliest date; as in
    dateutil (and RFC 5545 leaves it undefined otherwise), the first occurrence
    is the first instance of the rule at or after it. The series is bounded by
    COUNT, UNTIL and `end_date` (inclusive, local date), whichever ends first;
    with none of them, or with more than `cap` occurrences, it is refused.
    """
    first_local = to_local(starts_at, tz)
    if end_date is not None and end_date < first_local.date():
        raise ValidationFailed.field("recurrence_end_date", "must not be before the first start date")
    rule, bounded = parse_rule(rule_text, first_local, tz)
    if not bounded and end_date is None:
        raise _fail("an unbounded rule needs COUNT, UNTIL or recurrence_end_date")
    starts: list[datetime] = []
    try:
        for occurrence in islice(rule, cap + 1):
            if end_date is not None and occurrence.date() > end_date:
                break
            starts.append(occurrence)
    except (ValueError, OverflowError) as exc:
        raise _fail(f"cannot be expanded: {exc}") from exc
    if len(starts) > cap:
        raise too_long(f"the rule produces more than {cap} occurrences; shorten it with COUNT, UNTIL or an end date")
    if not starts:
        raise _fail("produces no occurrences")
    return starts

"""Request bodies of the schedule endpoints and the schedule as the API shows it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from event_service.schedules.recurrence import zone

ScheduleStatus = Literal["SCHEDULED", "CONFIRMED", "IN_PROGRESS", "COMPLETED", "CANCELLED", "POSTPONED", "RESCHEDULED"]

# Fields holding an instant; all are shown in UTC with Z.
TIME_FIELDS = ("starts_at", "ends_at", "doors_open_at", "check_in_opens_at", "check_in_closes_at")

_EARLIEST_YEAR = 1970
_LATEST_YEAR = 2200


def _sane_year(value: datetime | None) -> datetime | None:
    if value is not None and not _EARLIEST_YEAR <= value.year <= _LATEST_YEAR:
        raise ValueError(f"must be between {_EARLIEST_YEAR} and {_LATEST_YEAR}")
    return value


class ScheduleCreate(BaseModel):
    """POST /events/{id}/schedules. Times need an offset (any offset; stored in UTC)."""

    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    doors_open_at: AwareDatetime | None = None
    timezone: str = Field(default="UTC", min_length=1, max_length=50)
    is_recurring: bool = False
    recurrence_rule: str | None = Field(default=None, min_length=1, max_length=1000)
    recurrence_end_date: date | None = None
    status: Literal["SCHEDULED", "CONFIRMED"] = "SCHEDULED"
    capacity_override: int | None = Field(default=None, ge=0, le=10_000_000)
    check_in_opens_at: AwareDatetime | None = None
    check_in_closes_at: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=5000)
    metadata: dict[str, Any] | None = None

    _years = field_validator(*TIME_FIELDS)(_sane_year)

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        zone(value)
        return value


class ScheduleUpdate(BaseModel):
    """PUT /events/{id}/schedules/{scheduleId}: only the fields present change.

    `scope` "this" changes one schedule; "following" changes this occurrence and
    every later one of its series (see docs/schedules.md).
    """

    model_config = ConfigDict(extra="forbid")

    scope: Literal["this", "following"] = "this"
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    doors_open_at: AwareDatetime | None = None
    check_in_opens_at: AwareDatetime | None = None
    check_in_closes_at: AwareDatetime | None = None
    status: ScheduleStatus | None = None
    status_reason: str | None = Field(default=None, max_length=1000)
    capacity_override: int | None = Field(default=None, ge=0, le=10_000_000)
    notes: str | None = Field(default=None, max_length=5000)
    metadata: dict[str, Any] | None = None

    _years = field_validator(*TIME_FIELDS)(_sane_year)

    @field_validator("starts_at", "ends_at", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value

    @property
    def changes(self) -> set[str]:
        """The fields the caller sent, other than scope."""
        return self.model_fields_set - {"scope"}


def _plain_uuid(value: uuid.UUID | None) -> uuid.UUID | None:
    """asyncpg hands back its own UUID subclass, which orjson does not serialise."""
    return None if value is None else uuid.UUID(int=value.int)


def schedule_view(row: Any) -> dict[str, Any]:
    """One schedule row as the API (and the outbox) shows it."""
    return {
        "id": _plain_uuid(row.id),
        "event_id": _plain_uuid(row.event_id),
        "parent_schedule_id": _plain_uuid(row.parent_schedule_id),
        "occurrence_number": row.occurrence_number,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "doors_open_at": row.doors_open_at,
        "timezone": row.timezone,
        "utc_offset": row.utc_offset,
        "status": row.status,
        "status_reason": row.status_reason,
        "is_recurring": row.is_recurring,
        "recurrence_rule": row.recurrence_rule,
        "recurrence_end_date": row.recurrence_end_date,
        "capacity_override": row.capacity_override,
        "check_in_opens_at": row.check_in_opens_at,
        "check_in_closes_at": row.check_in_closes_at,
        "notes": row.notes,
        "metadata": row.metadata,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def schedules_view(event_id: uuid.UUID, rows: list[Any]) -> dict[str, Any]:
    return {"event_id": _plain_uuid(event_id), "schedules": [schedule_view(r) for r in rows]}

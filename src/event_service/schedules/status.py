"""The seven schedule statuses and the moves allowed between them (docs/schedules.md)."""

from __future__ import annotations

from event_service.db.tables import SCHEDULE_STATUSES

SCHEDULED = "SCHEDULED"
CONFIRMED = "CONFIRMED"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
POSTPONED = "POSTPONED"
RESCHEDULED = "RESCHEDULED"

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({CONFIRMED, IN_PROGRESS, CANCELLED, POSTPONED, RESCHEDULED}),
    CONFIRMED: frozenset({IN_PROGRESS, CANCELLED, POSTPONED, RESCHEDULED}),
    IN_PROGRESS: frozenset({COMPLETED, CANCELLED, POSTPONED}),
    POSTPONED: frozenset({SCHEDULED, CONFIRMED, RESCHEDULED, CANCELLED}),
    RESCHEDULED: frozenset({SCHEDULED, CONFIRMED, IN_PROGRESS, CANCELLED, POSTPONED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
assert set(TRANSITIONS) == set(SCHEDULE_STATUSES)

# Terminal: nothing but notes and metadata changes any more.
TERMINAL = frozenset({COMPLETED, CANCELLED})
# Moving into one of these needs a status_reason.
NEEDS_REASON = frozenset({CANCELLED, POSTPONED, RESCHEDULED})
# What "upcoming" and "next" offer.
BOOKABLE = (SCHEDULED, CONFIRMED)
# Statuses a schedule may be created in.
INITIAL = (SCHEDULED, CONFIRMED)


def can_move(current: str, target: str) -> bool:
    """Staying in the same status is not a transition and is always allowed."""
    return current == target or target in TRANSITIONS[current]

"""The event status machine: which status may follow which (docs/events.md).

An event is "published" once it has left the pre-publication statuses; from
then on its slug, venue and type are fixed. CANCELLED is only for published
events: an unpublished one is deleted instead, so customers never see an
event that was never published.
"""

from __future__ import annotations

from event_service.platform.errors import BusinessRuleViolation, EventAlreadyPublished

PRE_PUBLICATION = frozenset({"DRAFT", "REVIEW", "APPROVED"})
PUBLISHED_FAMILY = frozenset({"PUBLISHED", "ON_SALE", "SOLD_OUT", "IN_PROGRESS", "COMPLETED", "POSTPONED"})
# What a customer (no organizer/admin role) may ever see.
CUSTOMER_VISIBLE = PUBLISHED_FAMILY | {"CANCELLED"}
# Statuses an event may be created in.
INITIAL = frozenset({"DRAFT", "REVIEW", "APPROVED", "PUBLISHED"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "DRAFT": frozenset({"REVIEW", "APPROVED", "PUBLISHED"}),
    "REVIEW": frozenset({"DRAFT", "APPROVED", "PUBLISHED"}),
    "APPROVED": frozenset({"DRAFT", "REVIEW", "PUBLISHED"}),
    "PUBLISHED": frozenset({"ON_SALE", "SOLD_OUT", "IN_PROGRESS", "POSTPONED", "CANCELLED"}),
    "ON_SALE": frozenset({"PUBLISHED", "SOLD_OUT", "IN_PROGRESS", "POSTPONED", "CANCELLED"}),
    "SOLD_OUT": frozenset({"ON_SALE", "IN_PROGRESS", "POSTPONED", "CANCELLED"}),
    "IN_PROGRESS": frozenset({"COMPLETED", "CANCELLED"}),
    "POSTPONED": frozenset({"PUBLISHED", "ON_SALE", "SOLD_OUT", "CANCELLED"}),
    "COMPLETED": frozenset(),
    "CANCELLED": frozenset(),
}


class InvalidStatusTransition(BusinessRuleViolation):
    code = "INVALID_STATUS_TRANSITION"

    def __init__(self, current: str | None, target: str) -> None:
        if current is None:
            message = f"An event cannot be created as {target} (allowed: {', '.join(sorted(INITIAL))})"
        else:
            allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
            message = f"Cannot change status from {current} to {target} (allowed: {allowed})"
        super().__init__(message, details=[{"field": "status", "message": message}])


def is_published(status: str) -> bool:
    return status not in PRE_PUBLICATION


def check_transition(current: str, target: str) -> None:
    """Raise unless `current -> target` is allowed; staying in the same status is always fine."""
    if current == target:
        return
    if target == "PUBLISHED" and current in PUBLISHED_FAMILY - {"ON_SALE", "POSTPONED"}:
        raise EventAlreadyPublished()
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidStatusTransition(current, target)


def check_publish(current: str) -> None:
    """POST /publish: only from a pre-publication status."""
    if current in PUBLISHED_FAMILY:
        raise EventAlreadyPublished()
    if "PUBLISHED" not in TRANSITIONS.get(current, frozenset()):
        raise InvalidStatusTransition(current, "PUBLISHED")


def check_initial(status: str) -> None:
    if status not in INITIAL:
        raise InvalidStatusTransition(None, status)

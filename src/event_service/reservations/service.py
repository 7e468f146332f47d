"""Reservation use cases: reserve, read, confirm, release, extend, expire, reconcile.

Every use case is one short transaction that changes the ledger row(s) and the
section's counters together, so after every commit
    reserved_capacity == sum(quantity of the section's ACTIVE reservations)
    sold_count        == sum(quantity of its CONFIRMED reservations)
Lock order, everywhere: idempotency key -> reservation -> section -> event
(sections in id order when there are several), so no two use cases deadlock.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.capacity import queries as capacity_queries
from event_service.capacity.schemas import plain
from event_service.db.engine import Database
from event_service.outbox.queries import emit, emit_many
from event_service.platform.auth import Principal
from event_service.platform.errors import (
    AppError,
    BusinessRuleViolation,
    Conflict,
    Forbidden,
    InsufficientCapacity,
    NotFound,
    RateLimited,
    ReservationExpired,
    ServiceUnavailable,
    ValidationFailed,
)
from event_service.platform.logging import get_logger
from event_service.platform.responses import dumps
from event_service.pricing.service import lock_price, price_at_confirmation
from event_service.reservations import queries
from event_service.reservations.coalescer import Coalescer
from event_service.reservations.schemas import ReserveBody, hold_view, reservation_view
from event_service.settings import Settings

log = get_logger("reservations")

# How long a request waits for another request holding the same Idempotency-Key
# before answering 409 IDEMPOTENCY_KEY_IN_FLIGHT.
IDEMPOTENCY_WAIT_MS = 200
EXPIRY_BATCH = 500
EXPIRY_LOCK_TIMEOUT_MS = 5000
_NIL = uuid.UUID(int=0)
_CLOSED_EVENT_STATUSES = ("CANCELLED", "COMPLETED")


@dataclass
class Outcome:
    """An answer that may be replayed for an Idempotency-Key: status and JSON body."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _owner(principal: Principal) -> uuid.UUID | None:
    """Whose reservations the caller may see: None = the whole tenant (service, organizer, admin)."""
    if principal.has("organizer", "service"):
        return None
    return principal.user_uuid or _NIL  # a customer without a UUID id owns nothing


def _request_hash(operation: str, target: uuid.UUID, principal: Principal, body: Any) -> str:
    payload = orjson.dumps(
        {"op": operation, "target": str(target), "user": principal.user_id, "body": body},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(payload).hexdigest()


class _Stage:
    """Which statement a lock timeout interrupted: the key wait (409) or a row wait (503)."""

    def __init__(self) -> None:
        self.name = "start"


@asynccontextmanager
async def _guarded(db: Database) -> AsyncIterator[tuple[AsyncConnection, _Stage]]:
    stage = _Stage()
    try:
        async with db.transaction() as conn:
            yield conn, stage
    except DBAPIError as exc:
        code = capacity_queries.sqlstate(exc)
        if code == capacity_queries.LOCK_NOT_AVAILABLE:
            if stage.name == "idempotency":
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; retry shortly",
                    code="IDEMPOTENCY_KEY_IN_FLIGHT",
                    headers={"Retry-After": "1"},
                ) from exc
            log.warning("reservation_lock_timeout", stage=stage.name)
            raise ServiceUnavailable("The section is busy; retry shortly", headers={"Retry-After": "1"}) from exc
        if code == capacity_queries.CHECK_VIOLATION:
            # The database's last guard fired: a request fails, nothing oversells.
            log.error("capacity_check_violation", error=str(exc.orig))
            raise InsufficientCapacity("Not enough capacity left") from exc
        raise


async def _claim_key(
    conn: AsyncConnection, stage: _Stage, tenant_id: uuid.UUID, scope: str, key: str, request_hash: str
) -> Outcome | None:
    """Claim the key for this request, or return the first request's stored answer."""
    stage.name = "idempotency"
    await capacity_queries.set_lock_timeout(conn, IDEMPOTENCY_WAIT_MS)
    if await queries.claim_idempotency_key(conn, tenant_id, scope, key, request_hash):
        return None
    stored = await queries.get_idempotency_key(conn, tenant_id, scope, key)
    if stored is None:  # removed between the two statements: treat as in flight
        raise Conflict("Idempotency-Key is being processed; retry shortly", code="IDEMPOTENCY_KEY_IN_FLIGHT")
    if stored["request_hash"] != request_hash:
        raise BusinessRuleViolation(
            "This Idempotency-Key was used for a different request",
            code="IDEMPOTENCY_KEY_REUSED",
            details=[{"field": "Idempotency-Key", "message": "reuse a key only to retry the same request"}],
        )
    if stored["completed_at"] is None:
        raise Conflict("Idempotency-Key is being processed; retry shortly", code="IDEMPOTENCY_KEY_IN_FLIGHT")
    return Outcome(int(stored["status_code"]), stored["response"], replayed=True)


def _validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise ValidationFailed.field("Idempotency-Key", "must be 1 to 200 characters")
    return key


# --- reserve ------------------------------------------------------------------------------------


async def reserve(
    db: Database,
    settings: Settings,
    principal: Principal,
    capacity_id: uuid.UUID,
    body: ReserveBody,
    idempotency_key: str | None,
    coalescer: ReserveCoalescer | None = None,
) -> Outcome:
    """Hold `body.quantity` seats of a section. With a coalescer (RESERVE_COALESCE_WINDOW_MS > 0) and no
    Idempotency-Key, the request joins its section's batch (`reserve_batch`); else one transaction of its own."""
    tenant_id = principal.tenant_id
    key = _validate_key(idempotency_key)
    minutes = body.reservation_minutes or settings.reservation_default_minutes
    if not 1 <= minutes <= settings.reservation_max_minutes:
        raise ValidationFailed.field("reservation_minutes", f"must be between 1 and {settings.reservation_max_minutes}")
    user_id = principal.user_uuid
    if body.user_id is not None and body.user_id != user_id:
        if not principal.has("service"):
            raise Forbidden("Only services may reserve on behalf of another user")
        user_id = body.user_id
    if coalescer is not None and key is None:
        ask = Ask(user_id=user_id, quantity=body.quantity, minutes=minutes, pricing_id=body.pricing_id)
        return await coalescer.submit((tenant_id, capacity_id), ask)
    request_hash = _request_hash("reserve", capacity_id, principal, body.model_dump(mode="json"))

    async with _guarded(db) as (conn, stage):
        if key is not None:
            replay = await _claim_key(conn, stage, tenant_id, "reserve", key, request_hash)
            if replay is not None:
                return replay
        stage.name = "reserve"
        section = await _open_section(conn, settings, tenant_id, capacity_id)
        event_id = section["event_id"]
        _check_section_rules(section, body.quantity)

        limit = settings.max_active_holds_per_event
        if limit and user_id is not None:
            holds = await queries.count_active_holds(conn, tenant_id, event_id, user_id)
            if holds >= limit:
                raise _too_many_holds(limit)

        locked: dict[str, Any] | None = None
        if body.pricing_id is not None:
            locked = await lock_price(
                conn, tenant_id, event_id, capacity_id, body.pricing_id, body.quantity, user_id, datetime.now(UTC)
            )

        held = await queries.hold_seats(conn, tenant_id, capacity_id, body.quantity, minutes, locked)
        if held is None:
            fresh = await capacity_queries.get_section(conn, tenant_id, capacity_id)
            if fresh is None:
                raise NotFound("Capacity section")
            _check_section_rules(fresh, body.quantity)
            raise _insufficient(fresh, body.quantity)
        reservation = await queries.insert_reservation(
            conn,
            tenant_id,
            held,
            user_id=user_id,
            quantity=body.quantity,
            minutes=minutes,
            pricing_id=body.pricing_id,
            locked_price_data=locked,
            unit_price=locked["locked_price"] if locked else None,
            total_amount=locked["total"] if locked else None,
            currency=locked["currency"] if locked else None,
            idempotency_key=key,
        )
        view = reservation_view(reservation)
        await emit(conn, tenant_id, "reservation.created", f"reservations/{reservation['id']}", view)
        if held["available_capacity"] == 0:
            await capacity_queries.sync_sold_out(conn, tenant_id, event_id)
        outcome = Outcome(200, _plain(_reserve_answer(held, locked, view)))
        if key is not None:
            await queries.complete_idempotency_key(conn, tenant_id, "reserve", key, 200, outcome.body)
    return outcome


def _reserve_answer(section: Mapping[Any, Any], locked: dict[str, Any] | None, view: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Capacity reserved", "capacity": hold_view(section), "locked_price": locked, "reservation": view}


async def _open_section(
    conn: AsyncConnection, settings: Settings, tenant_id: uuid.UUID, capacity_id: uuid.UUID
) -> Mapping[Any, Any]:
    """The start of every reserve: bound the wait on the section's row, read it, check its event sells."""
    section = await capacity_queries.open_section(conn, tenant_id, capacity_id, settings.reservation_lock_timeout_ms)
    if section is None:
        raise NotFound("Capacity section")
    _check_event_open(section["event_status"])
    return section


def _check_event_open(event_status: str) -> None:
    if event_status in _CLOSED_EVENT_STATUSES:
        raise BusinessRuleViolation(f"Event is {event_status}", code="EVENT_NOT_ON_SALE")


def _too_many_holds(limit: int) -> RateLimited:
    return RateLimited(
        f"At most {limit} active holds per event and user",
        code="TOO_MANY_ACTIVE_HOLDS",
        details=[{"field": "user_id", "message": "release or confirm a hold first", "limit": limit}],
    )


def _insufficient(section: Mapping[Any, Any], quantity: int) -> InsufficientCapacity:
    available = section["available_capacity"]
    return InsufficientCapacity(
        f"Only {available} available, {quantity} requested",
        details=[
            {"field": "quantity", "message": "not enough capacity", "available": available, "requested": quantity}
        ],
    )


def _plain(body: dict[str, Any]) -> dict[str, Any]:
    """The answer exactly as it is rendered (so a replay is byte-for-byte the same data)."""
    return dict(orjson.loads(dumps(body)))


def _check_section_rules(section: Mapping[Any, Any], quantity: int) -> None:
    if not section["is_active"]:
        raise BusinessRuleViolation("This section is not on sale", code="SECTION_INACTIVE")
    minimum, maximum = section["minimum_purchase"], section["maximum_purchase"]
    if quantity < minimum or (maximum is not None and quantity > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationFailed(
            [{"field": "quantity", "message": f"must be {bounds} for this section", "min": minimum, "max": maximum}]
        )


# --- coalesced reserve (RESERVE_COALESCE_WINDOW_MS > 0) -----------------------------------------
#
# Reserves of one section arriving within the window share one transaction (see coalescer.py for the
# batching and why it is correct). Requests with an Idempotency-Key bypass it (their key row must
# commit or roll back with their own hold alone). Per request, the same checks as `reserve`, in the
# same order, each failing only its own request:
#   section/event (read once per batch) -> purchase limits -> holds cap -> price lock -> capacity.
# A batch holds at most one request per user ("rounds"): the holds cap and a tier's max_per_customer
# then see exactly what they would see for a lone request, and the per-(tier, user) advisory locks
# that `lock_price` takes are taken in one global order (tier, user), so batches never deadlock.

SectionKey = tuple[uuid.UUID, uuid.UUID]  # (tenant_id, capacity_id)


@dataclass(frozen=True)
class Ask:
    """One reserve request waiting in its section's batch (already validated on its own)."""

    user_id: uuid.UUID | None
    quantity: int
    minutes: int
    pricing_id: uuid.UUID | None


ReserveCoalescer = Coalescer[SectionKey, Ask, Outcome]
Answer = Outcome | BaseException


def reserve_coalescer(db: Database, settings: Settings) -> ReserveCoalescer:
    """The per-process batcher of reserves, keyed by section (one per app)."""

    async def flush(section: SectionKey, asks: Sequence[Ask]) -> list[Answer]:
        return await reserve_batch(db, settings, section, asks)

    return Coalescer(
        flush,
        window_seconds=settings.reserve_coalesce_window_ms / 1000,
        max_batch=settings.reserve_coalesce_max_batch,
    )


def _rounds(asks: Sequence[Ask]) -> list[list[int]]:
    """Indexes of `asks` split into rounds with at most one request per user, arrival order kept."""
    rounds: list[list[int]] = []
    users: list[set[uuid.UUID]] = []
    for index, ask in enumerate(asks):
        free = (n for n, seen in enumerate(users) if ask.user_id is None or ask.user_id not in seen)
        number = next(free, len(rounds))
        if number == len(rounds):
            rounds.append([])
            users.append(set())
        rounds[number].append(index)
        if ask.user_id is not None:
            users[number].add(ask.user_id)
    return rounds


async def reserve_batch(db: Database, settings: Settings, section: SectionKey, asks: Sequence[Ask]) -> list[Answer]:
    """Apply a batch of reserves of one section: one answer (Outcome or error) per request, in order."""
    answers: list[Answer | None] = [None] * len(asks)
    for indexes in _rounds(asks):
        results = await _reserve_round(db, settings, section, [asks[i] for i in indexes])
        for index, result in zip(indexes, results, strict=True):
            answers[index] = result
    return [answer if answer is not None else RuntimeError("no answer") for answer in answers]


async def _reserve_round(
    db: Database, settings: Settings, section_key: SectionKey, asks: Sequence[Ask]
) -> list[Answer]:
    """One transaction for requests of one section by distinct users."""
    tenant_id, capacity_id = section_key
    refused: dict[int, AppError] = {}  # per-request errors: they stand whatever happens to the rest
    granted: dict[int, Outcome] = {}
    try:
        async with _guarded(db) as (conn, stage):
            stage.name = "reserve"
            section = await _open_section(conn, settings, tenant_id, capacity_id)
            event_id = section["event_id"]
            for index, ask in enumerate(asks):
                try:
                    _check_section_rules(section, ask.quantity)
                except AppError as exc:
                    refused[index] = exc

            limit = settings.max_active_holds_per_event
            users = [ask.user_id for i, ask in enumerate(asks) if i not in refused and ask.user_id is not None]
            if limit and users:
                holds = await queries.count_active_holds_by_user(conn, tenant_id, event_id, users)
                for index, ask in enumerate(asks):
                    if index not in refused and ask.user_id is not None and holds.get(ask.user_id, 0) >= limit:
                        refused[index] = _too_many_holds(limit)

            locks = await _lock_prices(conn, tenant_id, event_id, capacity_id, asks, refused)
            ready = [index for index in range(len(asks)) if index not in refused]
            if not ready:
                return list(refused[index] for index in range(len(asks)))

            # The decision: one conditional UPDATE for the sum; if it does not fit, one by one.
            held: list[tuple[int, Mapping[Any, Any]]] = []
            together = await queries.hold_seats_for_batch(
                conn,
                tenant_id,
                capacity_id,
                [asks[i].quantity for i in ready],
                max(asks[i].minutes for i in ready),
                next((locks[i] for i in reversed(ready) if locks.get(i) is not None), None),
            )
            if together is not None:
                held = [(index, together) for index in ready]
            else:
                for index in ready:
                    ask = asks[index]
                    row = await queries.hold_seats(
                        conn, tenant_id, capacity_id, ask.quantity, ask.minutes, locks.get(index)
                    )
                    if row is not None:
                        held.append((index, row))
                        continue
                    fresh = await capacity_queries.get_section(conn, tenant_id, capacity_id)
                    try:
                        if fresh is None:
                            raise NotFound("Capacity section")
                        _check_section_rules(fresh, ask.quantity)
                        raise _insufficient(fresh, ask.quantity)
                    except AppError as exc:
                        refused[index] = exc
            if held:
                holds_data = [
                    {
                        "user_id": asks[index].user_id,
                        "quantity": asks[index].quantity,
                        "minutes": asks[index].minutes,
                        "pricing_id": asks[index].pricing_id,
                        "locked_price_data": locks.get(index),
                    }
                    for index, _ in held
                ]
                rows = await queries.insert_reservations(conn, tenant_id, held[0][1], holds_data)
                created: list[tuple[str, str, Any]] = []
                for (index, row_after), reservation in zip(held, rows, strict=True):
                    view = reservation_view(reservation)
                    created.append(("reservation.created", f"reservations/{reservation['id']}", view))
                    granted[index] = Outcome(200, _plain(_reserve_answer(row_after, locks.get(index), view)))
                await emit_many(conn, tenant_id, created)
                if held[-1][1]["available_capacity"] == 0:
                    await capacity_queries.sync_sold_out(conn, tenant_id, event_id)
    except Exception as exc:  # the transaction failed as a whole (404, 503 ...): it answers every request left
        return [refused.get(index, exc) for index in range(len(asks))]
    return [refused[index] if index in refused else granted[index] for index in range(len(asks))]


async def _lock_prices(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    capacity_id: uuid.UUID,
    asks: Sequence[Ask],
    refused: dict[int, AppError],
) -> dict[int, dict[str, Any]]:
    """Each priced request's own `lock_price`, in (tier, user) order, each in a SAVEPOINT so that a
    failing one (a rule, or a lock timeout on its per-customer lock) fails only itself."""
    locks: dict[int, dict[str, Any]] = {}
    priced = [i for i, ask in enumerate(asks) if i not in refused and ask.pricing_id is not None]
    priced.sort(key=lambda i: (str(asks[i].pricing_id), str(asks[i].user_id)))
    now = datetime.now(UTC)
    for index in priced:
        ask = asks[index]
        assert ask.pricing_id is not None
        try:
            async with conn.begin_nested():
                locks[index] = await lock_price(
                    conn, tenant_id, event_id, capacity_id, ask.pricing_id, ask.quantity, ask.user_id, now
                )
        except AppError as exc:
            refused[index] = exc
        except DBAPIError as exc:
            if capacity_queries.sqlstate(exc) != capacity_queries.LOCK_NOT_AVAILABLE:
                raise
            log.warning("reservation_lock_timeout", stage="price_lock")
            refused[index] = ServiceUnavailable("The section is busy; retry shortly", headers={"Retry-After": "1"})
    return locks


# --- read, confirm, release, extend -------------------------------------------------------------


async def get(db: Database, principal: Principal, reservation_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        row = await queries.get_reservation(conn, principal.tenant_id, reservation_id, _owner(principal))
    if row is None:
        raise NotFound("Reservation")
    return reservation_view(row)


async def confirm(
    db: Database,
    settings: Settings,
    principal: Principal,
    reservation_id: uuid.UUID,
    idempotency_key: str | None,
) -> Outcome:
    tenant_id = principal.tenant_id
    owner = _owner(principal)
    key = _validate_key(idempotency_key)
    request_hash = _request_hash("confirm", reservation_id, principal, None)
    async with _guarded(db) as (conn, stage):
        if key is not None:
            replay = await _claim_key(conn, stage, tenant_id, "confirm", key, request_hash)
            if replay is not None:
                return replay
        stage.name = "confirm"
        await capacity_queries.set_lock_timeout(conn, settings.reservation_lock_timeout_ms)
        current = await queries.get_reservation(conn, tenant_id, reservation_id, owner)
        if current is None:
            raise NotFound("Reservation")
        price: dict[str, Any] | None = None
        if current["status"] == "ACTIVE" and current["locked_price_data"] is None:
            # No lock was taken at reserve time: the sale counts at its tier's price now.
            data = await price_at_confirmation(
                conn,
                tenant_id,
                current["event_id"],
                current["capacity_id"],
                current["pricing_id"],
                current["quantity"],
                datetime.now(UTC),
            )
            if data is not None:
                price = {
                    "locked_price_data": {**data, "priced_at": "confirmation"},
                    "unit_price": data["locked_price"],
                    "total_amount": data["total"],
                    "currency": data["currency"],
                }
        confirmed = await queries.confirm_reservation(conn, tenant_id, reservation_id, owner, price)
        if confirmed is None:
            again = await queries.get_reservation(conn, tenant_id, reservation_id, owner)
            if again is None:
                raise NotFound("Reservation")
            if again["status"] != "CONFIRMED":
                raise ReservationExpired(
                    "Reservation has expired or was released",
                    details=[{"field": "status", "message": again["status"], "expires_at": again["expires_at"]}],
                )
            # Confirming twice is harmless: the same answer, nothing moves.
            section = await capacity_queries.get_section(conn, tenant_id, again["capacity_id"])
            answer = _confirm_answer(again, section)
        else:
            section = await queries.take_off_hold(
                conn, tenant_id, confirmed["capacity_id"], confirmed["quantity"], sell=True
            )
            answer = _confirm_answer(confirmed, section)
            await emit(
                conn, tenant_id, "reservation.confirmed", f"reservations/{reservation_id}", answer["reservation"]
            )
        outcome = Outcome(200, _plain(answer))
        if key is not None:
            await queries.complete_idempotency_key(conn, tenant_id, "confirm", key, 200, outcome.body)
    return outcome


def _confirm_answer(reservation: Mapping[Any, Any], section: Mapping[Any, Any] | None) -> dict[str, Any]:
    return {
        "message": "Reservation confirmed",
        "reservation": reservation_view(reservation),
        "capacity": hold_view(section) if section is not None else None,
    }


async def release(db: Database, settings: Settings, principal: Principal, reservation_id: uuid.UUID) -> dict[str, Any]:
    """ACTIVE -> RELEASED, returning exactly its own quantity. Releasing twice is harmless."""
    tenant_id = principal.tenant_id
    owner = _owner(principal)
    async with _guarded(db) as (conn, stage):
        stage.name = "release"
        await capacity_queries.set_lock_timeout(conn, settings.reservation_lock_timeout_ms)
        released = await queries.release_reservation(conn, tenant_id, reservation_id, owner)
        if released is None:
            current = await queries.get_reservation(conn, tenant_id, reservation_id, owner)
            if current is None:
                raise NotFound("Reservation")
            if current["status"] == "CONFIRMED":
                raise Conflict("A confirmed reservation cannot be released", code="RESERVATION_CONFIRMED")
            if current["status"] == "EXPIRED":
                raise ReservationExpired("Reservation has already expired")
            section = await capacity_queries.get_section(conn, tenant_id, current["capacity_id"])
            return _release_answer(current, section)
        section = await queries.take_off_hold(
            conn, tenant_id, released["capacity_id"], released["quantity"], sell=False
        )
        answer = _release_answer(released, section)
        await emit(conn, tenant_id, "reservation.released", f"reservations/{reservation_id}", answer["reservation"])
        await capacity_queries.sync_sold_out(conn, tenant_id, released["event_id"])
    return answer


def _release_answer(reservation: Mapping[Any, Any], section: Mapping[Any, Any] | None) -> dict[str, Any]:
    return {
        "message": "Reservation released",
        "reservation": reservation_view(reservation),
        "capacity": hold_view(section) if section is not None else None,
    }


async def extend(
    db: Database, settings: Settings, principal: Principal, reservation_id: uuid.UUID, minutes: int
) -> dict[str, Any]:
    """Push an ACTIVE hold's expiry by `minutes` (<= RESERVATION_MAX_EXTEND_MINUTES), never
    beyond RESERVATION_MAX_MINUTES from now."""
    if minutes > settings.reservation_max_extend_minutes:
        raise ValidationFailed.field("minutes", f"must be between 1 and {settings.reservation_max_extend_minutes}")
    tenant_id = principal.tenant_id
    owner = _owner(principal)
    async with _guarded(db) as (conn, stage):
        stage.name = "extend"
        await capacity_queries.set_lock_timeout(conn, settings.reservation_lock_timeout_ms)
        extended = await queries.extend_reservation(
            conn, tenant_id, reservation_id, owner, minutes, settings.reservation_max_minutes
        )
        if extended is None:
            current = await queries.get_reservation(conn, tenant_id, reservation_id, owner)
            if current is None:
                raise NotFound("Reservation")
            if current["status"] != "ACTIVE" or current["expires_at"] <= datetime.now(UTC):
                raise ReservationExpired("Only an active, unexpired reservation can be extended")
            raise BusinessRuleViolation(
                f"A hold may not end more than {settings.reservation_max_minutes} minutes from now",
                code="EXTENSION_LIMIT_EXCEEDED",
                details=[
                    {
                        "field": "minutes",
                        "message": "the hold would be too long",
                        "max_minutes": settings.reservation_max_minutes,
                        "expires_at": current["expires_at"],
                    }
                ],
            )
        section = await queries.extend_section_expiry(conn, tenant_id, extended["capacity_id"], extended["expires_at"])
    return {
        "message": "Reservation extended",
        "reservation": reservation_view(extended),
        "capacity": hold_view(section),
    }


# --- expiry (the background job's work) ---------------------------------------------------------


async def prune_idempotency_keys(db: Database, settings: Settings) -> int:
    """Drop stored Idempotency-Key answers past IDEMPOTENCY_KEY_RETENTION_HOURS (the cleanup job runs it)."""
    async with db.transaction() as conn:
        return await queries.prune_idempotency_keys(conn, timedelta(hours=settings.idempotency_key_retention_hours))


async def expire_due(db: Database, batch_size: int = EXPIRY_BATCH) -> int:
    """Expire every due ACTIVE reservation, batch by batch; returns how many.

    Safe with several instances at once: each batch claims its rows with
    FOR UPDATE SKIP LOCKED, and each reservation gives back only its own quantity.
    """
    total = 0
    while True:
        count = await _expire_batch(db, batch_size)
        total += count
        if count < batch_size:
            return total


async def _expire_batch(db: Database, batch_size: int) -> int:
    async with db.transaction() as conn:
        await capacity_queries.set_lock_timeout(conn, EXPIRY_LOCK_TIMEOUT_MS)
        rows = await queries.expire_due(conn, batch_size)
        if not rows:
            return 0
        per_section: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        for row in rows:
            key = (plain(row["capacity_id"]), plain(row["tenant_id"]))
            per_section[key] = per_section.get(key, 0) + row["quantity"]
        # Sections in id order: two instances expiring rows of the same sections never deadlock.
        for (capacity_id, tenant_id), quantity in sorted(per_section.items()):
            await queries.take_off_hold(conn, tenant_id, capacity_id, quantity, sell=False)
        for row in rows:
            data = {
                "id": plain(row["id"]),
                "capacity_id": plain(row["capacity_id"]),
                "event_id": plain(row["event_id"]),
                "user_id": plain(row["user_id"]),
                "quantity": row["quantity"],
                "status": "EXPIRED",
                "expires_at": row["expires_at"],
            }
            await emit(conn, plain(row["tenant_id"]), "reservation.expired", f"reservations/{row['id']}", data)
        for event_id, tenant_id in sorted({(plain(row["event_id"]), plain(row["tenant_id"])) for row in rows}):
            await capacity_queries.sync_sold_out(conn, tenant_id, event_id)
    return len(rows)


# --- reconciliation -----------------------------------------------------------------------------


async def reconcile(
    db: Database, tenant_id: uuid.UUID | None, *, fix: bool, event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """Compare every section's counters with its ledger; with `fix`, make the counters agree.

    `tenant_id` None checks every tenant (the operator's CLI); the API passes the caller's tenant.
    """
    async with db.read() as conn:
        checked, drift = await queries.ledger_drift(conn, tenant_id, event_id)
    fixed = 0
    if fix and drift:
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for row in drift:
            by_tenant.setdefault(plain(row["tenant_id"]), []).append(plain(row["capacity_id"]))
        for tenant, ids in sorted(by_tenant.items()):
            try:
                async with db.transaction() as conn:
                    await queries.lock_sections(conn, tenant, sorted(ids))
                    for capacity_id in sorted(ids):
                        await queries.set_counters_from_ledger(conn, tenant, capacity_id)
                fixed += len(ids)
            except DBAPIError as exc:  # e.g. the ledger holds more than the section now allows
                log.error("reconcile_fix_failed", tenant_id=str(tenant), error=str(exc.orig))
    report = {
        "checked": checked,
        "drift": [
            {
                "capacity_id": plain(row["capacity_id"]),
                "tenant_id": plain(row["tenant_id"]),
                "event_id": plain(row["event_id"]),
                "reserved_capacity": row["reserved_capacity"],
                "ledger_reserved": row["ledger_reserved"],
                "sold_count": row["sold_count"],
                "ledger_sold": row["ledger_sold"],
                "reserved_expires_at": row["reserved_expires_at"],
                "latest_active_expiry": row["latest_active_expiry"],
            }
            for row in drift
        ],
        "fixed": fixed,
    }
    if drift:
        log.warning("ledger_drift", sections=len(drift), fixed=fixed)
    return report

-- pgbench ceiling of scenario (a): the service's reserve statements (reservations/queries.py:
-- hold_seats + insert_reservation), one transaction per reservation, all clients on ONE hot row.
-- Variables given with -D by bench/run.py: tenant, capacity, event. Run with -M prepared
-- (asyncpg prepares its statements too).
\set q random(1, 4)
BEGIN;
SET LOCAL lock_timeout = '2000ms';
UPDATE event_capacity
   SET reserved_capacity = reserved_capacity + :q,
       reserved_at = now(),
       reserved_expires_at = greatest(reserved_expires_at, now() + interval '60 minutes')
 WHERE id = :capacity AND tenant_id = :tenant AND is_active IS true
   AND available_capacity >= :q AND minimum_purchase <= :q
   AND (maximum_purchase IS NULL OR maximum_purchase >= :q)
RETURNING *;
INSERT INTO capacity_reservations
       (tenant_id, capacity_id, event_id, schedule_id, pricing_id, user_id, quantity, status, expires_at,
        locked_price_data, unit_price, total_amount, currency, idempotency_key)
VALUES (:tenant, :capacity, :event, NULL, NULL, gen_random_uuid(), :q, 'ACTIVE', now() + interval '60 minutes',
        NULL, NULL, NULL, NULL, NULL)
RETURNING *;
END;

/**
 * @module storage/postgres/migrations/0003-defences
 * The server's defences: restricted accounts, lockdown mode and its contact links, anomaly reports,
 * incidents and the audit log; and, for PostgreSQL only, the rate limiter's shared state.
 */
import type { SqlMigration } from '../../migration-types.js';

// The same tables as SQLite's 0003, plus `rate_limits` and `rate_limit_take`: with several nodes the
// rate limits must be shared, or each node would admit the full rate (see postgres-rate-limiter.ts).
//
// rate_limit_take(keys, intervals, bursts, now) is gcraStep of rate-limits/rate-limiter.ts over every
// key at once, all or nothing, in one round trip. Each key's row is created when missing and then
// locked FOR UPDATE, in the order given (callers sort keys with orderedChecks), so concurrent takes on
// any node queue on a key instead of both reading the old TAT, and two takes over overlapping keys
// lock them in one order and cannot deadlock. A created row holds '-Infinity', which GREATEST turns
// into `now`: exactly a key never seen, so a refused take changes nothing observable, and prune
// (tat <= now) forgets it. It returns 0 when the action was taken, else the longest wait in whole ms.
// `SET search_path FROM CURRENT` pins the function to this schema's tables whoever calls it.
export const migration0003: SqlMigration = {
  version: 3,
  name: 'defences',
  up: `
    ALTER TABLE accounts
      ADD COLUMN restricted BOOLEAN NOT NULL DEFAULT FALSE,
      ADD COLUMN lockdown BOOLEAN NOT NULL DEFAULT FALSE,
      ADD COLUMN lockdown_refused INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX accounts_restricted ON accounts (username) WHERE restricted;
    ALTER TABLE contacts ADD COLUMN via_link BOOLEAN NOT NULL DEFAULT FALSE;
    -- hasReached finds a member's groups from their devices; the primary key leads with group_id.
    CREATE INDEX group_members_by_device ON group_members (device_pk);
    CREATE TABLE anomalies (
      reporter_username TEXT NOT NULL,
      reporter_device TEXT NOT NULL,
      sender_username TEXT NOT NULL,
      sender_device TEXT NOT NULL,
      target TEXT NOT NULL,
      kind INTEGER NOT NULL,
      count INTEGER NOT NULL,
      at BIGINT NOT NULL
    );
    CREATE INDEX anomalies_by_sender ON anomalies (sender_username, at);
    CREATE INDEX anomalies_by_reporter ON anomalies (reporter_username, at);
    CREATE INDEX anomalies_by_target ON anomalies (target, at);
    CREATE INDEX anomalies_by_time ON anomalies (at);
    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      rule TEXT NOT NULL,
      opened_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      status TEXT NOT NULL,
      subjects TEXT NOT NULL,
      targets TEXT NOT NULL,
      evidence TEXT NOT NULL,
      note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX incidents_by_opened ON incidents (opened_at);
    CREATE TABLE audit_log (
      id BIGSERIAL PRIMARY KEY,
      at BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE TABLE contact_links (
      account_id BIGINT NOT NULL REFERENCES accounts(id),
      token_hash BYTEA PRIMARY KEY,
      expires_at BIGINT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX contact_links_by_account ON contact_links (account_id, created_at);
    CREATE INDEX contact_links_by_expiry ON contact_links (expires_at);
    CREATE UNLOGGED TABLE rate_limits (
      key TEXT PRIMARY KEY,
      tat DOUBLE PRECISION NOT NULL
    );
    CREATE FUNCTION rate_limit_take(keys TEXT[], intervals DOUBLE PRECISION[], bursts DOUBLE PRECISION[], now DOUBLE PRECISION)
    RETURNS DOUBLE PRECISION
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS $take$
    DECLARE
      stored DOUBLE PRECISION;
      next_tats DOUBLE PRECISION[] := '{}';
      wait DOUBLE PRECISION;
      longest DOUBLE PRECISION := 0;
    BEGIN
      FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        -- Until the row is held: a prune may delete it between the insert and the lock.
        LOOP
          INSERT INTO rate_limits (key, tat) VALUES (keys[i], '-Infinity') ON CONFLICT (key) DO NOTHING;
          SELECT r.tat INTO stored FROM rate_limits r WHERE r.key = keys[i] FOR UPDATE;
          EXIT WHEN FOUND;
        END LOOP;
        next_tats[i] := GREATEST(stored, now) + intervals[i];
        wait := next_tats[i] - now - intervals[i] * bursts[i];
        -- A sliver over zero is floating-point noise from intervals like 1000/3, not a real wait.
        IF wait > 1e-6 THEN
          longest := GREATEST(longest, ceil(wait));
        END IF;
      END LOOP;
      IF longest > 0 THEN
        RETURN longest;
      END IF;
      FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        UPDATE rate_limits SET tat = next_tats[i] WHERE key = keys[i];
      END LOOP;
      RETURN 0;
    END;
    $take$;
  `,
};

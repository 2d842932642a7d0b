/**
 * The embedded store's schema: one database file per queue.
 *
 * - `jobs`: every job not yet finished, in one of three states, in a lane: ''
 *   for the in-process handlers, else the destination whose delivery it is. `seq` never
 *   repeats (AUTOINCREMENT), and `lease` grows with every claim, so a delivery
 *   handle `seq:lease` names one claim of one job: a late outcome from a holder
 *   whose job was taken back matches nothing.
 *   `run_at` orders waiting jobs (when they became waiting) and is the due time
 *   of scheduled ones, on the wall clock. `leased_at` is lease time (clock.ts):
 *   monotonic, and meaningful only to the process that wrote it. `handbacks`
 *   counts the times a shutdown handed the job back after it ran: only the first
 *   is free (see QueueQueries.release).
 * - `dead_letters`: the DLQ. The job envelope is kept whole; type, source and
 *   times are columns so that operators can page and filter (by event type,
 *   source, failure time, with `dlq_id` as the cursor) and replay a selection: a
 *   replay is one transaction that deletes the DLQ row and inserts a waiting job
 *   with `attempts = 0`, so an entry is never in both places nor in neither, and
 *   a second replay of the same `dlq_id` finds nothing to move.
 * - `dedupe`: idempotency key -> job id until `expires_at`; expired rows are
 *   ignored at once and deleted in the background.
 * - `destinations`, `destination_minutes`: each destination's breaker, pause
 *   and last error, and its outcomes per minute (see store/destinations.ts).
 * - `counts`: figures for /health and /metrics, kept exact by triggers in the
 *   same transactions as the changes they count, so stats never scan a table.
 * - `events`, `event_deliveries`, `event_attempts`, `events_fts`: the event log
 *   (store/event-log.ts). An event's integer key `n` ties its deliveries,
 *   attempts and payload index to it; triggers keep the event's state folded
 *   from its deliveries', count the events and delete what belongs to an event
 *   with it, so a trim is one DELETE on `events`. The payload index (FTS5
 *   trigrams, case-sensitive, without positions) is written in the background
 *   up to the mark in `events_indexed` (payload-index.ts).
 * - `history_minutes`: the per-minute throughput counters, one row per minute,
 *   series (`accepted`, `delivered`…) and key (a target, a status class, or '').
 */
import type { Database } from 'better-sqlite3';

/** `PRAGMA application_id`: marks a file as ours ("WHKP"). */
export const APPLICATION_ID = 0x57484b50;
/** `PRAGMA user_version`: the schema below. Bump it with a migration step. */
export const SCHEMA_VERSION = 5;

const DESTINATION_TABLES = `
CREATE TABLE destinations (
  name          TEXT    PRIMARY KEY,
  paused        INTEGER NOT NULL DEFAULT 0,
  failures      INTEGER NOT NULL DEFAULT 0,
  open_until    INTEGER NOT NULL DEFAULT 0,
  cooldown_ms   INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  last_error_at INTEGER
) WITHOUT ROWID;

CREATE TABLE destination_minutes (
  name   TEXT    NOT NULL,
  minute INTEGER NOT NULL,
  ok     INTEGER NOT NULL DEFAULT 0,
  fail   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, minute)
) WITHOUT ROWID;
`;

/**
 * The payload index merges its segments once 16 of a level wait, not 4: each
 * posting is rewritten fewer times as the index grows, about a third less work
 * per event indexed, and a search still reads few segments.
 */
const FTS_MERGE = `INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 16);`;

/**
 * A delivery's attempts, numbered from 1 by `a` (`event_deliveries.attempts`
 * is the latest number): one b-tree keyed as they are read and trimmed.
 */
const ATTEMPTS_TABLE = `
CREATE TABLE event_attempts (
  event       INTEGER NOT NULL,
  target      TEXT    NOT NULL,
  a           INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,
  status      INTEGER,
  duration_ms INTEGER,
  error       TEXT,
  PRIMARY KEY (event, target, a)
) WITHOUT ROWID;`;

/** What goes with an event when it is trimmed (its payload index row has a trigger of its own). */
const EVENTS_OUT_TRIGGER = `
CREATE TRIGGER events_out AFTER DELETE ON events BEGIN
  UPDATE counts SET n = n - 1 WHERE name = 'events';
  DELETE FROM event_deliveries WHERE event = OLD.n;
  DELETE FROM event_attempts WHERE event = OLD.n;
END;`;

/**
 * The triggers that keep an event's state folded from its deliveries'. The
 * event's row is written only when the folded state differs from the one it
 * holds: a new event's queued deliveries, the common case, leave it alone.
 */
const FOLD_TRIGGERS = `
CREATE TRIGGER event_delivery_added AFTER INSERT ON event_deliveries BEGIN
  ${foldState('NEW.event')}
END;
CREATE TRIGGER event_delivery_moved AFTER UPDATE OF state ON event_deliveries
  WHEN OLD.state <> NEW.state BEGIN
  ${foldState('NEW.event')}
END;`;

/**
 * The event log and the history. `events.state` is the deliveries' states
 * folded as eventState (event-log.ts) does it; a duplicate keeps its own.
 */
const EVENT_LOG_TABLES = `
CREATE TABLE events (
  n               INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  source          TEXT    NOT NULL,
  type            TEXT    NOT NULL,
  received_at     INTEGER NOT NULL,
  state           TEXT    NOT NULL,
  idempotency_key TEXT,
  duplicate_of    TEXT,
  content_type    TEXT,
  headers         TEXT,
  payload         TEXT
);
CREATE INDEX events_by_time ON events (received_at, id);
CREATE INDEX events_by_source ON events (source, received_at, id);
CREATE INDEX events_by_type ON events (type, received_at, id);
CREATE INDEX events_by_state ON events (state, received_at, id);
CREATE INDEX events_by_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE event_deliveries (
  event    INTEGER NOT NULL,
  target   TEXT    NOT NULL,
  state    TEXT    NOT NULL,
  position INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (event, target)
) WITHOUT ROWID;

${ATTEMPTS_TABLE}

-- Trigrams without positions (detail = none): a quarter of the size of a full
-- index; a search ANDs the trigrams of q and checks each candidate's payload
-- with instr() (see event-search.ts). Contentless with deletes by rowid: the
-- payload is read from events, and a trim need not tokenize it again. Larger
-- leaf pages than the default halve the cost of those deletes.
CREATE VIRTUAL TABLE events_fts USING fts5(
  payload, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1',
  detail = none
);
INSERT INTO events_fts (events_fts, rank) VALUES ('pgsz', 8000);
${FTS_MERGE}

-- One row: every event up to n has its payload in events_fts; those after it
-- wait for the background indexer (payload-index.ts). n never repeats
-- (AUTOINCREMENT), so an event is above the mark until it is indexed.
CREATE TABLE events_indexed (n INTEGER NOT NULL);
INSERT INTO events_indexed (n) VALUES (0);

CREATE TABLE history_minutes (
  minute INTEGER NOT NULL,
  series TEXT    NOT NULL,
  key    TEXT    NOT NULL,
  count  INTEGER NOT NULL,
  PRIMARY KEY (minute, series, key)
) WITHOUT ROWID;

INSERT INTO counts (name, n) VALUES ('events', 0);

CREATE TRIGGER events_in AFTER INSERT ON events BEGIN
  UPDATE counts SET n = n + 1 WHERE name = 'events';
END;
${EVENTS_OUT_TRIGGER}
CREATE TRIGGER events_payload_out AFTER DELETE ON events
  WHEN OLD.payload IS NOT NULL AND OLD.n <= (SELECT n FROM events_indexed) BEGIN
  DELETE FROM events_fts WHERE rowid = OLD.n;
END;
${FOLD_TRIGGERS}
`;

/** The statement that sets an event's state from its deliveries' (see eventState). */
function foldState(event: string): string {
  const folded = `(SELECT CASE
      WHEN count(*) = 0 THEN 'queued'
      WHEN sum(state = 'dead') > 0 THEN 'dead'
      WHEN sum(state = 'retrying') > 0 THEN 'retrying'
      WHEN sum(state = 'delivering') > 0 THEN 'delivering'
      WHEN sum(state = 'queued') > 0 THEN 'queued'
      ELSE 'delivered' END
    FROM event_deliveries WHERE event = ${event})`;
  return `UPDATE events SET state = ${folded}
  WHERE n = ${event} AND state NOT IN ('duplicate', ${folded});`;
}

const DDL = `
CREATE TABLE jobs (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id     TEXT    NOT NULL,
  job        TEXT    NOT NULL,
  lane       TEXT    NOT NULL DEFAULT '',
  state      TEXT    NOT NULL CHECK (state IN ('waiting', 'running', 'scheduled')),
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  run_at     INTEGER NOT NULL,
  owner      TEXT,
  lease      INTEGER NOT NULL DEFAULT 0,
  leased_at  INTEGER,
  handbacks  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_state ON jobs (state, run_at, seq);
CREATE INDEX jobs_by_lane ON jobs (lane, state, run_at, seq);

CREATE TABLE dead_letters (
  dlq_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id      TEXT    NOT NULL,
  job         TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  source      TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  attempts    INTEGER NOT NULL,
  last_error  TEXT    NOT NULL,
  failed_at   INTEGER NOT NULL,
  destination TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_by_type ON dead_letters (type, dlq_id);
CREATE INDEX dead_letters_by_source ON dead_letters (source, dlq_id);
CREATE INDEX dead_letters_by_failed_at ON dead_letters (failed_at, dlq_id);
CREATE INDEX dead_letters_by_destination ON dead_letters (destination, dlq_id);

CREATE TABLE dedupe (
  key        TEXT    PRIMARY KEY,
  job_id     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dedupe_by_expiry ON dedupe (expires_at);

CREATE TABLE counts (
  name TEXT PRIMARY KEY,
  n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counts (name, n) VALUES ('waiting', 0), ('running', 0), ('scheduled', 0), ('dead', 0);

CREATE TRIGGER jobs_counted_in AFTER INSERT ON jobs BEGIN
  UPDATE counts SET n = n + 1 WHERE name = NEW.state;
END;
CREATE TRIGGER jobs_counted_out AFTER DELETE ON jobs BEGIN
  UPDATE counts SET n = n - 1 WHERE name = OLD.state;
END;
CREATE TRIGGER jobs_counted_moved AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state BEGIN
  UPDATE counts SET n = n - 1 WHERE name = OLD.state;
  UPDATE counts SET n = n + 1 WHERE name = NEW.state;
END;
CREATE TRIGGER dead_counted_in AFTER INSERT ON dead_letters BEGIN
  UPDATE counts SET n = n + 1 WHERE name = 'dead';
END;
CREATE TRIGGER dead_counted_out AFTER DELETE ON dead_letters BEGIN
  UPDATE counts SET n = n - 1 WHERE name = 'dead';
END;
`;

/**
 * A step from an older version: its SQL, and the version it leaves the file
 * at when that is not the next one (a step that creates tables as they are now).
 */
interface Migration {
  sql: string;
  to?: number;
}

/** The steps from each older version, applied in order at start-up. */
const MIGRATIONS: Record<number, Migration> = {
  1: { sql: 'ALTER TABLE jobs ADD COLUMN handbacks INTEGER NOT NULL DEFAULT 0;' },
  // Each destination's deliveries are a lane of their own; dead letters name it.
  2: {
    sql: `
      ALTER TABLE jobs ADD COLUMN lane TEXT NOT NULL DEFAULT '';
      CREATE INDEX jobs_by_lane ON jobs (lane, state, run_at, seq);
      ALTER TABLE dead_letters ADD COLUMN destination TEXT NOT NULL DEFAULT '';
      CREATE INDEX dead_letters_by_destination ON dead_letters (destination, dlq_id);
      ${DESTINATION_TABLES}`,
  },
  // The event log and the per-minute history, as they are now: `to` is the
  // latest version that changed them, and moves with the next change to them.
  3: { sql: EVENT_LOG_TABLES, to: 5 },
  // Fewer writes per record: no index of deliveries by target (no search
  // starts from it), attempts numbered per delivery in one b-tree, an event's
  // row written only when its folded state changes, fewer payload index merges.
  4: {
    sql: `
      DROP INDEX event_deliveries_by_target;
      DROP TRIGGER event_delivery_added;
      DROP TRIGGER event_delivery_moved;
      DROP TRIGGER events_out;
      ALTER TABLE event_deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE event_attempts RENAME TO event_attempts_v4;
      ${ATTEMPTS_TABLE}
      INSERT INTO event_attempts (event, target, a, at, outcome, status, duration_ms, error)
        SELECT event, target, row_number() OVER (PARTITION BY event, target ORDER BY a),
               at, outcome, status, duration_ms, error
        FROM event_attempts_v4;
      DROP TABLE event_attempts_v4;
      UPDATE event_deliveries SET attempts = coalesce((SELECT max(a) FROM event_attempts t
        WHERE t.event = event_deliveries.event AND t.target = event_deliveries.target), 0);
      ${EVENTS_OUT_TRIGGER}
      ${FOLD_TRIGGERS}
      ${FTS_MERGE}`,
  },
};

/** Why a file cannot be used as this queue's database. */
export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError';
}

/**
 * Creates the schema in an empty file, or checks that an existing one is ours
 * and of a version we understand. Recounts the figures while at it: cheap, and
 * it keeps them right whatever happened to the file in between.
 */
export function prepareSchema(db: Database, file: string): void {
  const apply = db.transaction(() => {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = (
      db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as {
        n: number;
      }
    ).n;
    if (appId === 0 && version === 0 && tables === 0) {
      db.exec(DDL);
      db.exec(DESTINATION_TABLES);
      db.exec(EVENT_LOG_TABLES);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return;
    }
    if (appId !== APPLICATION_ID) {
      throw new SchemaMismatchError(
        `${file} is an SQLite database, but not one of webhook-processor's queues. Point DATA_DIR elsewhere.`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new SchemaMismatchError(
        `${file} was written by a newer webhook-processor (schema ${version}; this one knows up to ${SCHEMA_VERSION}). Run the newer version, or restore a backup.`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; ) {
      const step = MIGRATIONS[v] as Migration;
      db.exec(step.sql);
      v = step.to ?? v + 1;
      db.pragma(`user_version = ${v}`);
    }
    recount(db);
  });
  apply.immediate();
}

function recount(db: Database): void {
  db.exec(`
    UPDATE counts SET n = (SELECT count(*) FROM jobs WHERE state = counts.name)
      WHERE name IN ('waiting', 'running', 'scheduled');
    UPDATE counts SET n = (SELECT count(*) FROM dead_letters) WHERE name = 'dead';
    UPDATE counts SET n = (SELECT count(*) FROM events) WHERE name = 'events';
  `);
}

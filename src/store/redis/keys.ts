/**
 * Key names for one queue. The job stream is named exactly `QUEUE_NAME`, the
 * name operators look for (`XLEN webhook_jobs`); every other key carries the hash
 * tag `{QUEUE_NAME}`. A key without braces hashes on its whole name, so the
 * stream and the tagged keys share one Redis Cluster slot and every script can
 * touch them all. (QUEUE_NAME may not contain braces: config.ts refuses them.)
 */
export interface QueueKeys {
  /** The job stream. */
  stream: string;
  /**
   * The job stream as older versions named it, `{QUEUE_NAME}`: drained into
   * `stream` for as long as it exists (see legacy-stream.ts).
   */
  legacyStream: string;
  /** The dead-letter stream. */
  dlq: string;
  /** Retry schedule: sorted set of job id -> due time (ms). */
  delayed: string;
  /** Retry payloads: hash of job id -> {job, attempt, err, handbacks}. */
  delayedData: string;
  /** Prefix of idempotency keys; the hashed key follows. */
  idempotencyPrefix: string;
  /** Prefix of rate-limit counters (per IP, per source); the scope and name follow. */
  rateLimitPrefix: string;
  /** The single consumer group every instance joins. */
  group: string;
  /** Prefix of each destination's delivery stream; the name follows. */
  lanePrefix: string;
  /** Prefix of each destination's shared state (breaker, pause, counts, rate); the name follows. */
  destinationPrefix: string;
  /** The event log (see EventLogKeys); shared by the queue and its destinations' queues. */
  events: EventLogKeys;
  /** Prefix of the per-minute throughput counters (hash per minute); the minute's ms follows. */
  historyPrefix: string;
}

/**
 * The event log's keys: a few fixed keys rather than a key per event, so that
 * every script that records an outcome can declare them in KEYS.
 */
export interface EventLogKeys {
  /**
   * Every event, newest last: a sorted set of score 0 whose members are the
   * received time (15 digits, zero-padded) followed by the id, so that lexical
   * order is (receivedAt, id) order and a page's cursor is a member.
   */
  index: string;
  /** Hash of id -> "<state line>\n<meta JSON>" (see scripts/includes/event-log.lua). */
  summary: string;
  /** Hash of id -> "<headers JSON>\n<payload>", for events whose payload is kept. */
  body: string;
  /** Hash of "<target>:<id>" -> that delivery's attempts, one JSON object a line. */
  attempts: string;
  /**
   * The idempotency-key index: a sorted set of score 0 whose members are
   * "<key length>:<key>" followed by the index member, so that one key's events
   * are one lexical range, in received order.
   */
  byKey: string;
}

export function queueKeys(queueName: string): QueueKeys {
  const tag = `{${queueName}}`;
  return {
    stream: queueName,
    legacyStream: tag,
    dlq: `${tag}:dlq`,
    delayed: `${tag}:delayed`,
    delayedData: `${tag}:delayed:data`,
    idempotencyPrefix: `${tag}:idem:`,
    rateLimitPrefix: `${tag}:rl:`,
    group: 'workers',
    lanePrefix: `${tag}:d:`,
    destinationPrefix: `${tag}:dest:`,
    events: {
      index: `${tag}:events`,
      summary: `${tag}:events:summary`,
      body: `${tag}:events:body`,
      attempts: `${tag}:events:attempts`,
      byKey: `${tag}:events:keys`,
    },
    historyPrefix: `${tag}:history:`,
  };
}

/**
 * The keys of one destination's delivery queue: a stream and a retry schedule
 * of its own, under the queue's hash tag; the DLQ, dedupe keys and group name
 * are the queue's.
 */
export function laneKeys(queueName: string, destination: string): QueueKeys {
  const base = queueKeys(queueName);
  const lane = `${base.lanePrefix}${destination}`;
  return {
    ...base,
    stream: lane,
    delayed: `${lane}:delayed`,
    delayedData: `${lane}:delayed:data`,
  };
}

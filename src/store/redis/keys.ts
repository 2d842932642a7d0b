/**
 * Key names for one queue. Every key carries the hash tag `{QUEUE_NAME}`, so a
 * queue's keys share one Redis Cluster slot and every script can touch them all.
 */
export interface QueueKeys {
  /** The job stream. */
  stream: string;
  /** The dead-letter stream. */
  dlq: string;
  /** Retry schedule: sorted set of job id -> due time (ms). */
  delayed: string;
  /** Retry payloads: hash of job id -> {job, attempt, err}. */
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
}

export function queueKeys(queueName: string): QueueKeys {
  const tag = `{${queueName}}`;
  return {
    stream: tag,
    dlq: `${tag}:dlq`,
    delayed: `${tag}:delayed`,
    delayedData: `${tag}:delayed:data`,
    idempotencyPrefix: `${tag}:idem:`,
    rateLimitPrefix: `${tag}:rl:`,
    group: 'workers',
    lanePrefix: `${tag}:d:`,
    destinationPrefix: `${tag}:dest:`,
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

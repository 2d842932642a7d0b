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
  /** Retry payloads: hash of job id -> {job, attempt, err, handbacks}. */
  delayedData: string;
  /** Prefix of idempotency keys; the hashed key follows. */
  idempotencyPrefix: string;
  /** Prefix of rate-limit counters (per IP, per source); the scope and name follow. */
  rateLimitPrefix: string;
  /** The single consumer group every instance joins. */
  group: string;
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
  };
}

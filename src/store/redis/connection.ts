/**
 * Redis connections, tuned so that a sick Redis turns into fast, clear failures
 * instead of hung requests.
 *
 * Why ioredis: auto-pipelining, reconnection with its retry strategy, and years
 * of production use under BullMQ. Its README calls maintenance best-effort; our
 * use is the stable core of its API, and the store is small enough to port if
 * that ever matters.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../config/config.js';

/**
 * TLS settings for rediss://: the server is always verified (against REDIS_TLS_CA
 * when given, else the system's roots), and REDIS_TLS_CERT/KEY present a client
 * certificate for servers that require one (`tls-auth-clients yes`).
 */
export function tlsOptions(cfg: RedisConfig): ConnectionOptions {
  const { ca, cert, key } = cfg.tlsFiles;
  return {
    ...(ca ? { ca: readFileSync(ca) } : {}),
    ...(cert ? { cert: readFileSync(cert) } : {}),
    ...(key ? { key: readFileSync(key) } : {}),
  };
}

/** Options shared by every connection to the queue's Redis. */
export function baseOptions(cfg: RedisConfig, name: string): RedisOptions {
  return {
    host: cfg.host,
    port: cfg.port,
    username: cfg.username,
    password: cfg.password,
    db: cfg.db,
    ...(cfg.tls ? { tls: tlsOptions(cfg) } : {}),
    connectionName: name,
    lazyConnect: true,
    connectTimeout: cfg.connectTimeoutMs,
    // Fail commands at once while disconnected, and never re-send a command that
    // was in flight when the connection dropped: the caller decides (a 503 for
    // ingest, a retry of the loop for workers). Re-sent writes would hide the
    // "may have run" ambiguity that dedupe exists to absorb.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A socket that stops answering (a partition that closes nothing) is destroyed
    // and reconnected, rather than left as a zombie until TCP keepalive notices.
    socketTimeout: Math.max(cfg.commandTimeoutMs * 2, 5_000),
    keepAlive: 10_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    reconnectOnError,
  };
}

/**
 * After a failover the address may lead to a replica over connections opened
 * before it (a managed Redis that demoted the primary, DNS that moved while old
 * sockets stayed open): every write then answers READONLY, for as long as the
 * connection lives. Reconnecting finds the primary the address names now. The
 * failed command is not re-sent (1, not 2): as with a dropped connection, the
 * caller decides.
 */
export function reconnectOnError(err: Error): 1 | false {
  return /^READONLY\b/.test(err.message) ? 1 : false;
}

/**
 * The connection for ingest and short commands: bounded command time,
 * auto-pipelined (a command can still go out at once through `sendCommand`).
 */
export function commandConnection(cfg: RedisConfig, name: string): Redis {
  return new Redis({
    ...baseOptions(cfg, name),
    commandTimeout: cfg.commandTimeoutMs,
    enableAutoPipelining: true,
  });
}

/**
 * The connection for blocking reads. It has no command timeout (ioredis would
 * abort a legitimate BLOCK with it); reads are capped by their BLOCK argument
 * instead, and the socket timeout catches a dead peer.
 */
export function blockingConnection(cfg: RedisConfig, name: string, maxBlockMs: number): Redis {
  return new Redis({
    ...baseOptions(cfg, name),
    socketTimeout: maxBlockMs + Math.max(cfg.commandTimeoutMs * 2, 5_000),
  });
}

/**
 * Runs `work` on `redis`; if it fails, throws the connection's own first error
 * when there was one. ioredis rejects commands on a broken connection with
 * generic messages ("Connection is closed.", "Reached the max retries per
 * request limit"); the real cause (WRONGPASS, NOAUTH, a TLS alert) arrives as an
 * 'error' event. Start-up uses this so that an operator sees what to fix.
 */
export async function withConnectionCause<T>(redis: Redis, work: () => Promise<T>): Promise<T> {
  let cause: Error | undefined;
  // The first error is the cause; later ones are its echoes ("Stream isn't writeable").
  const onError = (err: Error) => {
    cause ??= err;
  };
  redis.on('error', onError);
  try {
    return await work();
  } catch (err) {
    throw cause ?? err;
  } finally {
    redis.off('error', onError);
  }
}

/** Waits for a lazily created connection to be ready, or throws with the reason. */
export async function connect(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await withConnectionCause(redis, () => redis.connect());
}

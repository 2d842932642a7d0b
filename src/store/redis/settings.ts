/**
 * The Redis store's settings: the variables it declares, read into a typed,
 * validated RedisConfig. A REDIS_URL wins over REDIS_ADDR, REDIS_PASSWORD and
 * REDIS_DB; the password never reaches a message or the start-up line.
 */
import { accessSync, constants } from 'node:fs';
import { MAX_TIMER_MS } from '../../config/duration.js';
import type { Reader } from '../../config/reader.js';
import type { Variable } from '../../config/variables.js';

export interface RedisConfig {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  tls: boolean;
  /** PEM files for TLS (REDIS_TLS_CA, REDIS_TLS_CERT, REDIS_TLS_KEY); only with rediss://. */
  tlsFiles: { ca?: string; cert?: string; key?: string };
  /** Where the settings came from, for the start-up line (never includes the password). */
  display: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

export const REDIS_VARIABLES: readonly Variable[] = [
  {
    name: 'REDIS_URL',
    default: '',
    emptyIsUnset: true,
    meaning:
      '`redis://[user:password@]host:port/db` or `rediss://…` (TLS). Wins over `REDIS_ADDR`, `REDIS_PASSWORD` and `REDIS_DB`.',
  },
  {
    name: 'REDIS_ADDR',
    default: 'localhost:6379',
    emptyIsUnset: true,
    meaning: 'Redis `host:port`.',
  },
  { name: 'REDIS_PASSWORD', default: '', emptyIsUnset: true, meaning: 'Redis password.' },
  { name: 'REDIS_DB', default: '0', emptyIsUnset: true, meaning: 'Redis database number.' },
  {
    name: 'REDIS_TLS_CA',
    default: '',
    meaning:
      "PEM file of the CA that signed Redis's certificate (else the system's roots). Needs `REDIS_URL=rediss://…`; see [Redis authentication and TLS](security.md#redis-authentication-and-tls).",
  },
  {
    name: 'REDIS_TLS_CERT',
    default: '',
    emptyIsUnset: true,
    meaning:
      'PEM client certificate, for a Redis with `tls-auth-clients yes`; set together with `REDIS_TLS_KEY`.',
  },
  {
    name: 'REDIS_TLS_KEY',
    default: '',
    emptyIsUnset: true,
    meaning: "PEM key of `REDIS_TLS_CERT`'s client certificate.",
  },
  {
    name: 'REDIS_COMMAND_TIMEOUT',
    default: '2s',
    meaning:
      'A Redis command that takes longer fails (the request gets `503`). Commands are auto-pipelined, so a command may first wait for the batch ahead of it: against a Redis that stopped answering, a request gets its `503` within about twice this.',
  },
  {
    name: 'REDIS_CONNECT_TIMEOUT',
    default: '5s',
    meaning: 'Limit for establishing a Redis connection.',
  },
];

/** REDIS_TLS_CA/CERT/KEY: readable files, cert and key together, and only over rediss://. */
function readTlsFiles(r: Reader, tls: boolean): RedisConfig['tlsFiles'] {
  const files: RedisConfig['tlsFiles'] = {};
  for (const [field, name] of [
    ['ca', 'REDIS_TLS_CA'],
    ['cert', 'REDIS_TLS_CERT'],
    ['key', 'REDIS_TLS_KEY'],
  ] as const) {
    const path = r.raw(name, { set: 'the path of a PEM file', unset: 'to go without it' });
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
      files[field] = path;
    } catch (err) {
      r.problems.push(
        `${name}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (Object.keys(files).length > 0 && !tls) {
    r.problems.push('REDIS_TLS_CA/REDIS_TLS_CERT/REDIS_TLS_KEY need REDIS_URL=rediss://… (TLS)');
  }
  if ((r.raw('REDIS_TLS_CERT') === undefined) !== (r.raw('REDIS_TLS_KEY') === undefined)) {
    r.problems.push('REDIS_TLS_CERT and REDIS_TLS_KEY (a client certificate) must be set together');
  }
  return files;
}

export function readRedisConfig(r: Reader): RedisConfig {
  const commandTimeoutMs = r.timerDuration('REDIS_COMMAND_TIMEOUT', 2_000, {
    // The Redis connections' socket timeout is twice it, plus up to 2 s of blocking
    // read on the reader's (see store/redis/connection.ts); 10 s leaves room.
    maxMs: Math.floor((MAX_TIMER_MS - 10_000) / 2),
    because: 'the Redis socket timeout is twice it plus a few seconds',
  });
  const connectTimeoutMs = r.timerDuration('REDIS_CONNECT_TIMEOUT', 5_000);
  const url = r.raw('REDIS_URL');
  if (url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
      r.problems.push(
        'REDIS_URL: expected redis://[user:password@]host[:port][/db] or rediss://… (the value is not shown because it may hold a password)',
      );
    } else {
      const dbText = u.pathname.replace(/^\//, '');
      const db = dbText === '' ? 0 : Number(dbText);
      if (!Number.isSafeInteger(db) || db < 0) {
        r.problems.push('REDIS_URL: the path must be a database number, e.g. redis://host:6379/0');
      }
      const tls = u.protocol === 'rediss:';
      const port = u.port ? Number(u.port) : 6379;
      const host = u.hostname.replace(/^\[|\]$/g, '');
      return {
        host,
        port,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        db: Number.isSafeInteger(db) ? db : 0,
        tls,
        tlsFiles: readTlsFiles(r, tls),
        display: `${u.protocol}//${host}:${port}/${db}`,
        commandTimeoutMs,
        connectTimeoutMs,
      };
    }
  }
  const addr = r.matching(
    'REDIS_ADDR',
    'localhost:6379',
    /^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/,
    'host:port, e.g. localhost:6379',
  );
  const split = addr.lastIndexOf(':');
  const host = addr.slice(0, split).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(split + 1));
  if (port < 1 || port > 65535)
    r.problems.push(`REDIS_ADDR=${JSON.stringify(addr)}: port must be 1-65535`);
  const db = r.int('REDIS_DB', 0, 0, 15_999);
  return {
    host,
    port,
    username: undefined,
    password: r.raw('REDIS_PASSWORD', {
      set: 'the password',
      unset: 'when Redis needs none',
    }),
    db,
    tls: false,
    tlsFiles: readTlsFiles(r, false),
    display: `redis://${addr}/${db}`,
    commandTimeoutMs,
    connectTimeoutMs,
  };
}

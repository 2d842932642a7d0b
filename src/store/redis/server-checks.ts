/**
 * Start-up checks of the Redis server the queue depends on.
 *
 * A version without XAUTOCLAIM would strand a dead consumer's jobs, so it is
 * refused. Settings that weaken the delivery guarantee (an eviction policy that
 * may delete queue keys, no persistence) are allowed, loudly: development setups
 * legitimately run that way.
 */

export interface ServerFacts {
  version: string;
  maxmemoryPolicy: string | undefined;
  aofEnabled: boolean;
  rdbSaveConfigured: boolean | undefined;
}

export function parseInfo(info: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

export function factsFromInfo(
  info: Map<string, string>,
  saveConfig: string | undefined,
): ServerFacts {
  return {
    version: info.get('redis_version') ?? '0.0.0',
    maxmemoryPolicy: info.get('maxmemory_policy'),
    aofEnabled: info.get('aof_enabled') === '1',
    rdbSaveConfigured: saveConfig === undefined ? undefined : saveConfig.trim() !== '',
  };
}

export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [ma = 0, mi = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
  return ma > major || (ma === major && mi >= minor);
}

/** Throws when the server cannot run the queue; returns warnings for risky settings. */
export function checkServer(facts: ServerFacts): string[] {
  // 7.0: XAUTOCLAIM reports entries deleted while pending by id and drops them
  // from the pending list. 6.2 answers a bare nil for each, without its id, which
  // leaves the entry stuck in the pending list of whoever reclaimed it.
  if (!versionAtLeast(facts.version, 7, 0)) {
    throw new Error(
      `Redis ${facts.version} is too old: the queue needs Redis 7.0 or newer (XAUTOCLAIM that reports deleted entries, XTRIM MINID). Upgrade Redis.`,
    );
  }
  const warnings: string[] = [];
  if (facts.maxmemoryPolicy !== undefined && facts.maxmemoryPolicy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is "${facts.maxmemoryPolicy}": under memory pressure Redis may evict queue keys and lose accepted webhooks. Set maxmemory-policy noeviction.`,
    );
  }
  if (!facts.aofEnabled && facts.rdbSaveConfigured === false) {
    warnings.push(
      'Redis persistence is off (no AOF, no RDB snapshots): a Redis restart loses every queued webhook. Set appendonly yes (appendfsync always or everysec).',
    );
  } else if (!facts.aofEnabled) {
    warnings.push(
      'Redis AOF is off: a Redis crash loses webhooks accepted since the last RDB snapshot. Set appendonly yes.',
    );
  }
  return warnings;
}

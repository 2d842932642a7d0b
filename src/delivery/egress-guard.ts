/**
 * Where deliveries may connect to. Destinations come from the operator's own
 * config, so private networks (10/8, 192.168/16, loopback, …) are allowed: a
 * self-hosted receiver usually lives there. What is refused is the link-local
 * range and the cloud metadata endpoints, whose credentials a destination URL
 * (or a DNS name pointing there) must never be able to reach.
 *
 * The check runs on the address actually connected to: inside the socket's DNS
 * lookup, so a name that later resolves elsewhere (DNS rebinding) is still
 * caught, and separately for IP-literal URLs, for which no lookup happens.
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** The resolver shape sockets call (node's `dns.lookup`; `options.all` when trying several addresses). */
export type { LookupFunction };

export interface EgressPolicy {
  /** True when connecting to this IP address (IPv4 or IPv6 text) is allowed. */
  allows(address: string): boolean;
  /** The resolver whose answers are checked; node's `dns.lookup` when absent. */
  lookup?: LookupFunction;
}

/** A connection the egress policy refused: permanent for this destination. */
export class EgressRefusedError extends Error {
  readonly code = 'ERR_EGRESS_REFUSED';
  constructor(readonly address: string) {
    super(`destination address ${address} is not allowed`);
    this.name = 'EgressRefusedError';
  }
}

/**
 * Link-local and metadata addresses. IPv4-mapped IPv6 (`::ffff:169.254.x.x`) is
 * matched by the IPv4 rule itself; the NAT64 and IPv4-compatible forms embed the
 * same IPv4 address in their last 32 bits.
 */
function metadataBlockList(): BlockList {
  const list = new BlockList();
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');
  list.addSubnet('::a9fe:0', 112, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  list.addAddress('fd00:ec2::254', 'ipv6');
  return list;
}

/** The default policy: everything but link-local and metadata addresses. */
export function defaultEgressPolicy(opts: { lookup?: LookupFunction } = {}): EgressPolicy {
  const blocked = metadataBlockList();
  return {
    allows(address) {
      const family = isIP(address);
      if (family === 0) return false;
      return !blocked.check(address, family === 6 ? 'ipv6' : 'ipv4');
    },
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
  };
}

/** The refusal for a URL whose host is an IP literal the policy refuses, if any. */
export function refuseLiteralHost(url: URL, policy: EgressPolicy): EgressRefusedError | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0 || policy.allows(host)) return undefined;
  return new EgressRefusedError(host);
}

/** A `lookup` for undici's `connect` option that fails with EgressRefusedError on a refused answer. */
export function guardedLookup(policy: EgressPolicy): LookupFunction {
  const resolve = policy.lookup ?? (dnsLookup as unknown as LookupFunction);
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) {
        callback(err, address, family);
        return;
      }
      const answers = Array.isArray(address) ? address.map((a) => a.address) : [address];
      // One refused answer refuses the name: connecting to the others instead
      // would hide a name that points at metadata.
      const refused = answers.find((a) => !policy.allows(a));
      if (refused !== undefined) {
        callback(new EgressRefusedError(refused), address, family);
        return;
      }
      callback(null, address, family);
    });
  };
}

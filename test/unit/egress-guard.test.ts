/**
 * The default egress policy: link-local and metadata addresses are refused in
 * every spelling; private and public ones are allowed; the guarded lookup
 * checks every answer, in both of the shapes sockets ask for.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, it } from 'node:test';
import {
  defaultEgressPolicy,
  EgressRefusedError,
  guardedLookup,
  refuseLiteralHost,
} from '../../src/delivery/egress-guard.js';

const policy = defaultEgressPolicy();

describe('egress policy', () => {
  it('refuses link-local and metadata addresses, IPv4-mapped and NAT64 forms included', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.0.1',
      '169.254.255.255',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.170.2',
      '::169.254.169.254',
      'fd00:ec2::254',
      'FD00:EC2:0:0:0:0:0:254',
      'fe80::1',
      'not-an-address',
    ]) {
      assert.equal(policy.allows(address), false, address);
    }
  });

  it('allows private, loopback and public addresses: self-hosted receivers live there', () => {
    for (const address of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.10',
      '127.0.0.1',
      '169.253.255.255',
      '169.255.0.1',
      '8.8.8.8',
      '::1',
      '::ffff:10.0.0.1',
      '64:ff9b::808:808',
      'fd00:ec2::253',
      'fd12:3456::1',
      '2001:db8::1',
    ]) {
      assert.equal(policy.allows(address), true, address);
    }
  });

  it('checks IP-literal URL hosts, however the URL spells them', () => {
    const refused = (url: string) => refuseLiteralHost(new URL(url), policy)?.message;
    assert.equal(
      refused('http://169.254.169.254/'),
      'destination address 169.254.169.254 is not allowed',
    );
    assert.equal(
      refused('http://0xa9fea9fe/'),
      'destination address 169.254.169.254 is not allowed',
    );
    assert.equal(
      refused('http://[::ffff:169.254.169.254]:80/'),
      'destination address ::ffff:a9fe:a9fe is not allowed',
    );
    assert.equal(refused('http://10.0.0.5:8080/'), undefined);
    assert.equal(
      refused('http://metadata.example/'),
      undefined,
      'names are checked at connect time',
    );
  });

  it('checks every answer of a lookup, for one address and for all of them', async () => {
    const answers: LookupAddress[] = [
      { address: '10.1.1.1', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    const fake = ((_host, options, cb) => {
      if (options.all) cb(null, answers);
      else cb(null, '169.254.169.254', 4);
    }) as LookupFunction;
    const guarded = guardedLookup(defaultEgressPolicy({ lookup: fake }));
    for (const all of [true, false]) {
      const err = await new Promise<unknown>((resolve) =>
        guarded('m.test', { all }, (e) => resolve(e)),
      );
      assert.ok(err instanceof EgressRefusedError, `all: ${all}`);
      assert.equal(err.message, 'destination address 169.254.169.254 is not allowed');
    }

    const fine = guardedLookup(
      defaultEgressPolicy({
        lookup: ((_h, options, cb) =>
          options.all
            ? cb(null, [answers[0] as LookupAddress])
            : cb(null, '10.1.1.1', 4)) as LookupFunction,
      }),
    );
    const one = await new Promise<unknown[]>((resolve) =>
      fine('ok.test', {}, (...a) => resolve(a)),
    );
    assert.deepEqual(one, [null, '10.1.1.1', 4]);
    const all = await new Promise<unknown[]>((resolve) =>
      fine('ok.test', { all: true }, (...a) => resolve(a)),
    );
    assert.deepEqual(all, [null, [{ address: '10.1.1.1', family: 4 }], undefined]);
  });
});

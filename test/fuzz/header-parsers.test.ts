/**
 * Fuzzing the signature header parsers and every scheme's verify: whatever the
 * headers and body, they return a verdict (never throw), and nothing forged
 * verifies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfigFile } from '../../src/config/config-file.js';
import { bearerMatches } from '../../src/http/admin-auth.js';
import { SourceRegistry } from '../../src/sources/registry.js';
import { decodeBase64, decodeHex, parseUnixSeconds } from '../../src/sources/signing.js';
import {
  parseStandardSignatures,
  standardWebhooksKey,
} from '../../src/sources/standard-webhooks.js';
import { parseStripeSignature } from '../../src/sources/stripe.js';
import {
  SECRETS,
  SIGNATURE_HEADERS,
  signedDelivery,
  sourcesEnv,
  sourcesYaml,
  TEST_SOURCES,
} from '../helpers/sources.js';
import { headerText, hexDigits } from './arbitraries.js';
import { fuzzRuns } from './runs.js';

const hex = hexDigits;
/** Values shaped like the real thing, so parsers get past their first check. */
const plausible = fc.oneof(
  headerText,
  fc.tuple(fc.nat(), hex(64)).map(([t, h]) => `t=${t},v1=${h}`),
  fc.tuple(headerText, headerText, hex(64)).map(([t, x, h]) => `t=${t},v1=${h},${x}`),
  hex(64).map((h) => `sha256=${h}`),
  hex(64).map((h) => `v0=${h}`),
  fc.base64String({ minLength: 4, maxLength: 100 }),
  fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v1,${b}`),
  fc
    .array(fc.base64String({ minLength: 44, maxLength: 44 }), { maxLength: 4 })
    .map((a) => a.map((b) => `v1,${b}`).join(' ')),
  fc.nat().map(String),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
);

const registry = new SourceRegistry(parseConfigFile(sourcesYaml(), sourcesEnv()).sources);
const allHeaders = [...new Set(Object.values(SIGNATURE_HEADERS).flat())];

describe('header parsers under fuzzing', () => {
  it('parseStripeSignature never throws, and what it returns is well-formed', () => {
    fc.assert(
      fc.property(plausible, (h) => {
        const parsed = parseStripeSignature(h);
        if (parsed) {
          assert.match(parsed.timestamp, /^\d{1,12}$/);
          assert.ok(parsed.signatures.length > 0);
          for (const s of parsed.signatures) assert.equal(s.length, 32);
        }
      }),
      fuzzRuns(2_000),
    );
  });

  it('parseStandardSignatures, the decoders and the timestamp parser never throw', () => {
    fc.assert(
      fc.property(plausible, (h) => {
        for (const s of parseStandardSignatures(h)) assert.equal(s.length, 32);
        const hx = decodeHex(h, 'sha256');
        if (hx) assert.equal(hx.length, 32);
        const b = decodeBase64(h, 'sha512');
        if (b) assert.equal(b.length, 64);
        const t = parseUnixSeconds(h);
        if (t !== undefined) assert.ok(Number.isSafeInteger(t) && t >= 0);
        const k = standardWebhooksKey(h);
        if (k) assert.ok(k.length > 0);
      }),
      fuzzRuns(2_000),
    );
  });

  it('bearerMatches never throws and never accepts anything but the token', () => {
    const expected = createHash('sha256').update('the-admin-token-0123').digest();
    fc.assert(
      fc.property(fc.option(headerText, { nil: undefined }), (h) => {
        assert.equal(bearerMatches(expected, h), false);
      }),
      fuzzRuns(1_000),
    );
  });
});

describe('scheme verification under fuzzing', () => {
  it('random headers and bodies: every scheme returns a verdict, and it is never ok', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TEST_SOURCES),
        fc.dictionary(fc.constantFrom(...allHeaders), plausible, { maxKeys: allHeaders.length }),
        fc.uint8Array({ maxLength: 512 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (source, headers, body, now) => {
          const scheme = registry.get(source)?.scheme;
          assert.ok(scheme);
          const verdict = scheme.verify({ headers, rawBody: Buffer.from(body) }, now);
          assert.equal(verdict.ok, false);
        },
      ),
      fuzzRuns(3_000),
    );
  });

  it('a real signature over another body, or from another secret, never verifies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TEST_SOURCES),
        fc.json({ maxDepth: 3 }),
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.boolean(),
        async (source, json, other, wrongSecret) => {
          const d = await signedDelivery(source, {
            type: 't',
            id: 'i',
            body: json,
            ...(wrongSecret ? { secret: SECRETS[source].other } : {}),
          });
          const signed = Buffer.from(d.body);
          const body = wrongSecret ? signed : Buffer.from(other);
          fc.pre(!body.equals(signed) || wrongSecret);
          const verdict = registry
            .get(source)
            ?.scheme.verify({ headers: d.headers, rawBody: body }, Date.now());
          assert.equal(verdict?.ok, false);
        },
      ),
      fuzzRuns(2_000),
    );
  });
});

/**
 * The list of schemes drives everything else: each definition is complete and
 * consistent (its example signs, verifies and names itself), its settings fit
 * beside a source's own fields and `send`'s options, and docs/sources.md and
 * `send --help` list every scheme.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SEND_HELP } from '../../src/cli/send.js';
import { type SchemeDefinition, secretKey } from '../../src/sources/scheme-definition.js';
import { SCHEME_NAMES, SCHEMES } from '../../src/sources/schemes.js';
import { readSettings, type Setting } from '../../src/sources/settings.js';
import { TEST_SOURCES } from '../helpers/sources.js';

const SOURCES_DOC = readFileSync(new URL('../../docs/sources.md', import.meta.url), 'utf8');

/** Settings that need a value, given one that reads: the hmac scheme's header. */
const REQUIRED: Record<string, string> = { header: 'X-Signature' };

describe('the list of schemes', () => {
  it('has one definition per name, and a test source for each', () => {
    assert.equal(new Set(SCHEME_NAMES).size, SCHEMES.length);
    for (const name of SCHEME_NAMES) assert.ok(TEST_SOURCES.includes(name), name);
  });

  for (const scheme of SCHEMES as readonly SchemeDefinition[]) {
    describe(scheme.name, () => {
      const settings = readSettings(
        scheme.settings,
        (s: Setting<unknown>) => REQUIRED[s.key],
        (s, text) => assert.fail(`${scheme.name} ${s.key}: ${text}`),
      );

      it("keeps its settings' names clear of a source's own fields", () => {
        for (const property of Object.keys(scheme.settings))
          assert.ok(
            !['name', 'scheme', 'secrets', 'secretEnv', 'rateLimit'].includes(property),
            property,
          );
      });

      it('signs its example so that it verifies and names itself', () => {
        const secret = scheme.secret
          ? `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}`
          : 'k';
        const key = secretKey(scheme, secret);
        assert.ok(key);
        const verifier = scheme.create(settings, [key]);
        const now = Date.now();
        const { eventType } = scheme.example;
        const payload = scheme.example.body(eventType, 'dlv_1', now);
        const rawBody = Buffer.from(JSON.stringify(payload));
        const headers = verifier.sign({ rawBody, eventType, deliveryId: 'dlv_1' }, now);
        assert.deepEqual(verifier.verify({ headers, rawBody }, now), { ok: true });
        const identity = verifier.identify(headers, payload);
        assert.equal(identity.eventType ?? payload.type, eventType);
        assert.equal(identity.deliveryId ?? payload.id, 'dlv_1');
        for (const name of verifier.signedHeaders) assert.ok(name in headers, name);
      });

      it('is listed in docs/sources.md and in send --help', () => {
        assert.match(SOURCES_DOC, new RegExp(`^\\| \`${scheme.name}\` \\|`, 'm'));
        assert.ok(SEND_HELP.includes(scheme.name));
      });
    });
  }
});

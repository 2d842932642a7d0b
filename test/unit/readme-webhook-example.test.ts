/**
 * The README's first webhook is the one people copy: its `id` must be an event's
 * id, because ids are deduplicated per source across event types. A payment's id
 * there would teach senders to key every event about a payment the same, and the
 * second would be dropped as a duplicate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dedupeKey, idempotencyKeyOf } from '../../src/ingest/event.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const HTTP_API = readFileSync(new URL('../../docs/http-api.md', import.meta.url), 'utf8');

/** The JSON body of the README's first `curl … /webhooks -d '…'` example. */
function curlExampleBody(): Record<string, unknown> {
  const m = /curl [^\n]*\/webhooks[^\n]*\\\n(?:[^\n]*\\\n)*?\s*-d '([^']*)'/.exec(README);
  assert.ok(m, 'the README has a curl example posting to /webhooks');
  return JSON.parse(m[1] as string) as Record<string, unknown>;
}

describe("the README's webhook example", () => {
  it('sends an event id of the evt_… form', () => {
    const body = curlExampleBody();
    assert.match(String(body.id), /^evt_/);
  });

  it('says the id is the event’s, deduplicated per source across event types', () => {
    const readme = README.replace(/\s+/g, ' ');
    assert.ok(
      readme.includes("`id` is the event's own id, deduplicated per source across event types"),
    );
    const bullet = /^- \*\*Idempotency key:\*\*[\s\S]*?(?=\n- )/m.exec(HTTP_API)?.[0];
    assert.ok(bullet, 'docs/http-api.md has the Idempotency key bullet');
    const text = bullet.replace(/\s+/g, ' ');
    assert.ok(text.includes("the payload's `id`: the *event's* id"), text);
    assert.ok(text.includes('deduplicated per source across event types'), text);
  });

  it('is right about it: the example keys by its event id, and sources are kept apart', () => {
    const body = curlExampleBody();
    const id = idempotencyKeyOf(undefined, body, undefined);
    assert.equal(id, body.id);
    assert.notEqual(dedupeKey('default', String(id)), dedupeKey('stripe', String(id)));
  });
});

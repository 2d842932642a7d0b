/**
 * The one decision on refusing a webhook: which code wins when several apply,
 * and which states make the instance unfit for traffic at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdmissionState, ingestRefusal, unavailability } from '../../src/ingest/refusal.js';

const OPEN: AdmissionState = {
  stopping: false,
  storeUp: true,
  diskFull: false,
  backlogFull: false,
  inflight: 0,
  maxInflight: 4,
};

describe('ingest refusal', () => {
  it('takes the webhook when nothing is wrong', () => {
    assert.equal(ingestRefusal(OPEN), undefined);
    assert.equal(ingestRefusal({ ...OPEN, inflight: 3 }), undefined);
    assert.equal(unavailability(OPEN), undefined);
  });

  it('refuses with the code of each single cause', () => {
    assert.equal(ingestRefusal({ ...OPEN, stopping: true }), 'shutting_down');
    assert.equal(ingestRefusal({ ...OPEN, storeUp: false }), 'store_unavailable');
    assert.equal(ingestRefusal({ ...OPEN, diskFull: true }), 'store_unavailable');
    assert.equal(ingestRefusal({ ...OPEN, backlogFull: true }), 'queue_full');
    assert.equal(ingestRefusal({ ...OPEN, inflight: 4 }), 'overloaded');
  });

  it('puts shutting down first, then the store, then the backlog, then writes in flight', () => {
    const all = { stopping: true, storeUp: false, diskFull: true, backlogFull: true, inflight: 9 };
    assert.equal(ingestRefusal({ ...OPEN, ...all }), 'shutting_down');
    assert.equal(ingestRefusal({ ...OPEN, ...all, stopping: false }), 'store_unavailable');
    assert.equal(
      ingestRefusal({ ...OPEN, ...all, stopping: false, storeUp: true, diskFull: false }),
      'queue_full',
    );
  });

  it('names why the instance is unavailable: stopping, then an unreachable store, then a full disk', () => {
    assert.equal(unavailability({ ...OPEN, stopping: true, storeUp: false }), 'shutting_down');
    assert.equal(unavailability({ ...OPEN, storeUp: false, diskFull: true }), 'store_unreachable');
    assert.equal(unavailability({ ...OPEN, diskFull: true }), 'disk_full');
    // Load is no reason to take an instance out of rotation.
    const busy: AdmissionState = { ...OPEN, backlogFull: true, inflight: 9 };
    assert.equal(unavailability(busy), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { bucketQuantile, deliveryLatencies } from '../../src/delivery/latency.js';
import { DeliveryMetrics } from '../../src/delivery/metrics.js';

describe('bucketQuantile', () => {
  it('interpolates inside the bucket the quantile falls in', () => {
    // 10 samples ≤ 0.1 s, 10 more ≤ 0.2 s: the median is the first bucket's bound,
    // the 75th percentile half-way through the second.
    const buckets = [
      { le: 0.1, count: 10 },
      { le: 0.2, count: 20 },
      { le: Infinity, count: 20 },
    ];
    assert.equal(bucketQuantile(0.5, buckets), 0.1);
    assert.ok(Math.abs((bucketQuantile(0.75, buckets) ?? 0) - 0.15) < 1e-9);
  });

  it('starts the first bucket at zero', () => {
    assert.ok(Math.abs((bucketQuantile(0.5, [{ le: 0.01, count: 4 }]) ?? 0) - 0.005) < 1e-9);
  });

  it('answers the highest finite bound for a quantile beyond it', () => {
    const buckets = [
      { le: 1, count: 1 },
      { le: Infinity, count: 100 },
    ];
    assert.equal(bucketQuantile(0.99, buckets), 1);
  });

  it('answers nothing without samples', () => {
    assert.equal(bucketQuantile(0.5, []), undefined);
    assert.equal(bucketQuantile(0.5, [{ le: Infinity, count: 0 }]), undefined);
  });
});

describe('deliveryLatencies', () => {
  it("reads each destination's p50 and p99 in ms from the delivery histogram", async () => {
    const registry = new Registry();
    const metrics = new DeliveryMetrics(registry);
    for (let i = 0; i < 99; i++) metrics.duration.observe({ destination: 'shop' }, 0.02);
    metrics.duration.observe({ destination: 'shop' }, 4);
    metrics.duration.observe({ destination: 'crm' }, 0.3);
    const latencies = await deliveryLatencies(registry);
    const shop = latencies.get('shop');
    assert.ok(shop);
    assert.equal(shop.samples, 100);
    // Both in the (10 ms, 25 ms] bucket: interpolated within it.
    assert.ok(shop.p50_ms !== null && shop.p50_ms > 10 && shop.p50_ms <= 25, String(shop.p50_ms));
    assert.ok(shop.p99_ms !== null && shop.p99_ms > 10 && shop.p99_ms <= 25, String(shop.p99_ms));
    const crm = latencies.get('crm');
    assert.ok(crm?.p50_ms !== null && crm !== undefined);
    assert.ok((crm.p50_ms ?? 0) > 250 && (crm.p50_ms ?? 0) <= 500, String(crm.p50_ms));
    assert.equal(latencies.has('other'), false);
  });

  it('is empty when the service delivers to no destination (no histogram)', async () => {
    assert.equal((await deliveryLatencies(new Registry())).size, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { signatureStatsRoutes } from '../../src/http/routes/signature-stats.js';
import { Metrics } from '../../src/metrics.js';

describe('GET /stats/signatures', () => {
  it('lists every configured source with its signature failures, 0 for a quiet one', async () => {
    const metrics = new Metrics([], { processMetrics: false });
    metrics.signatureFailures.inc({ source: 'stripe' });
    metrics.signatureFailures.inc({ source: 'stripe' });
    const app = Fastify();
    signatureStatsRoutes(app, { metrics, sources: ['github', 'stripe'] });
    const res = await app.inject({ method: 'GET', url: '/stats/signatures' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      sources: [
        { source: 'github', failures: 0 },
        { source: 'stripe', failures: 2 },
      ],
    });
    await app.close();
  });
});

/**
 * Delivery metrics, on the service's registry. The `destination` label takes
 * only the names in the configuration, so the series are bounded by it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DeliveryOutcomeLabel = 'delivered' | 'failed' | 'retried' | 'dead_lettered';

/** `webhook_destination_state`: 0 closed, 1 open, 2 paused. */
export const STATE_VALUE = { closed: 0, open: 1, paused: 2 } as const;

export class DeliveryMetrics {
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly duration: Histogram<'destination'>;
  readonly status: Counter<'destination' | 'code_class'>;
  readonly state: Gauge<'destination'>;
  readonly backlog: Gauge<'destination'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Delivery attempts to destinations, by outcome (delivered, failed, retried, dead_lettered).',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Time of one delivery attempt, request sent to response read.',
      labelNames: ['destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.status = new Counter({
      name: 'webhook_delivery_status_total',
      help: 'Delivery attempts by answer: 2xx, 3xx, 4xx, 5xx, timeout, network.',
      labelNames: ['destination', 'code_class'],
      registers,
    });
    this.state = new Gauge({
      name: 'webhook_destination_state',
      help: 'Each destination: 0 closed, 1 open (circuit breaker), 2 paused.',
      labelNames: ['destination'],
      registers,
    });
    this.backlog = new Gauge({
      name: 'webhook_destination_backlog',
      help: 'Deliveries not yet done per destination: waiting, in progress and scheduled.',
      labelNames: ['destination'],
      registers,
    });
  }
}

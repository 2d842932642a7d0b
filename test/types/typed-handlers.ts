/**
 * Compile-time checks of the handler types: `npx tsc -p tsconfig.json` fails if
 * a declared payload stops reaching its handler, or an undeclared one stops
 * being the untyped payload. Nothing here runs.
 */

import type { ServiceOptions } from '../../src/app.js';
import type { Handler, JobContext } from '../../src/handlers/handler.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';

interface CustomerPayload {
  customer: string;
}

declare module '../../src/handlers/handler.js' {
  interface EventPayloads {
    'typecheck.interface': CustomerPayload;
    'typecheck.invoice.paid': {
      id: string;
      data: { object: { amount: number; currency: string } };
    };
  }
}

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const is = <T extends true>(): T | undefined => undefined;

const registry = new HandlerRegistry(() => undefined);

registry.on('typecheck.invoice.paid', (job) => {
  const amount: number = job.payload.data.object.amount;
  is<Equal<typeof job.payload.data.object.currency, string>>();
  // @ts-expect-error: not in the declared payload
  void job.payload.data.object.missing;
  void amount;
});

registry.on('typecheck.undeclared', (job) => {
  is<Equal<typeof job.payload, Record<string, unknown>>>();
  is<Equal<typeof job.headers, Readonly<Record<string, string>>>>();
  is<Equal<typeof job.idempotencyKey, string | undefined>>();
  is<Equal<typeof job.previousError, string | undefined>>();
  is<Equal<typeof job.destination, string | undefined>>();
  is<Equal<typeof job.rawBody, string>>();
});

// @ts-expect-error: a handler of another payload does not fit a declared type
registry.on('typecheck.invoice.paid', (job: JobContext<{ other: true }>) => void job);

registry.on('typecheck.invoice.paid', () => undefined, { timeout: 5_000, maxRetries: 2 });
// @ts-expect-error: options are checked
registry.on('typecheck.invoice.paid', () => undefined, { timeout: '5s' });

const handlers: ServiceOptions['handlers'] = {
  'typecheck.invoice.paid': {
    handler: (job) => void job.payload.data.object.amount.toFixed(),
    maxRetries: 1,
  },
  'typecheck.interface': (job) => void job.payload.customer.toUpperCase(),
  'typecheck.anything': (job) => {
    is<Equal<typeof job.payload, Record<string, unknown>>>();
  },
};
void handlers;

const wrongMap: ServiceOptions['handlers'] = {
  // @ts-expect-error: a declared type's handler gets its payload, not any
  'typecheck.invoice.paid': (job) => void job.payload.nothing.here,
};
void wrongMap;

const untyped: Handler = (job) => void job.payload.id;
registry.otherwise(untyped);

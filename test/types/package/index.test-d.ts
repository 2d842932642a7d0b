/**
 * The package's public types, as a program that installs it sees them (the
 * built .d.ts, through package.json): `npm run test:types`.
 */
import { expectAssignable, expectError, expectType } from 'tsd';
import {
  type ApiError,
  type Config,
  configFrom,
  createService,
  createWorker,
  defaultRegistry,
  type Handler,
  HandlerRegistry,
  type JobContext,
  type JobDeadEvent,
  MemoryRateLimiter,
  optionsOf,
  RetryLaterError,
  RetryPolicy,
  runService,
  type Service,
  type Store,
  type StoreDriver,
  storeSettings,
} from 'webhook-processor';

interface ShipmentPayload {
  shipment: { id: string; weightGrams: number };
}

declare module 'webhook-processor' {
  interface EventPayloads {
    'invoice.paid': { id: string; data: { object: { amount: number; currency: string } } };
    'shipment.sent': ShipmentPayload;
  }
}

// A declared type's handler gets its payload, through the package's own name.
defaultRegistry().on('invoice.paid', (job) => {
  expectType<number>(job.payload.data.object.amount);
  expectError(job.payload.data.object.nothing);
});
new HandlerRegistry(() => undefined).on('shipment.sent', (job) => {
  expectType<number>(job.payload.shipment.weightGrams);
});

// An undeclared type's handler gets the untyped payload.
new HandlerRegistry(() => undefined).on('anything.else', (job) => {
  expectType<Record<string, unknown>>(job.payload);
});

// The fuller context.
const handler: Handler = (job) => {
  expectType<string>(job.rawBody);
  expectType<Readonly<Record<string, string>>>(job.headers);
  expectType<string | undefined>(job.idempotencyKey);
  expectType<string | undefined>(job.previousError);
  expectType<string | undefined>(job.destination);
  expectType<AbortSignal>(job.signal);
};
expectAssignable<(job: JobContext) => void>(handler);

// Per-type options, checked.
new HandlerRegistry(handler).on('invoice.paid', () => undefined, { timeout: 5_000, maxRetries: 2 });
expectError(new HandlerRegistry(handler).on('x', handler, { timeout: '5s' }));

// Typed settings and the service.
expectType<Config>(configFrom({ workers: 5, timeoutMs: 30_000 }));
expectError(configFrom({ workers: '5' }));
const service: Service = createService({
  settings: { workers: 2 },
  handlers: {
    'invoice.paid': { handler: (job) => void job.payload.data.object.amount, maxRetries: 1 },
    'other.type': (job) => expectType<Record<string, unknown>>(job.payload),
  },
});
service.on('job:dead', (event) => {
  expectType<JobDeadEvent>(event);
  expectType<'permanent' | 'exhausted'>(event.reason);
});
expectError(service.on('job:nonsense', () => undefined));
expectType<Promise<{ id: string; duplicate: boolean }>>(
  service.enqueue('invoice.paid', { id: 'i' }),
);
expectType<Service>(createWorker({ settings: { workers: 1 } }));

// Errors and the retry policy.
expectType<number>(new RetryLaterError(1_000).delayMs);
expectType<number>(new RetryPolicy({ maxRetries: 3, backoff: () => 1 }).maxAttempts);
declare const refused: ApiError;
expectAssignable<string>(refused.code);
expectError(createService({ settings: { worker: 5 } }));

// A store backend of your own: its settings are typed from readOptions to create.
interface PgOptions {
  url: string;
  poolSize: number;
}
declare const pgStore: Store;
const pgDriver: StoreDriver<PgOptions> = {
  kind: 'postgres',
  title: 'PostgreSQL',
  variables: [{ name: 'PG_POOL_SIZE', default: '10', meaning: 'Connections.' }],
  chosenBy: [],
  eventLogMaxDefault: 1000,
  readOptions: (r) => ({ url: r.raw('PG_URL') ?? '', poolSize: r.int('PG_POOL_SIZE', 10, 1) }),
  create(_config, options) {
    expectType<PgOptions>(options);
    return pgStore;
  },
  rateLimiter: () => new MemoryRateLimiter(),
  announce: (location) => location,
  howToChoose: 'Set STORE=postgres.',
};
expectType<PgOptions>(optionsOf(pgDriver, configFrom({}, {}, { storeDrivers: [pgDriver] })));
expectError<StoreDriver<PgOptions>>({ ...pgDriver, readOptions: () => ({ url: 1 }) });
expectType<Promise<void>>(runService({ settings: { workers: 2 }, storeDrivers: [pgDriver] }));
expectError(runService({ settings: { workers: '2' } }));

// A driver's typed settings: each key names one of its variables.
interface PgSettings {
  poolSize: number;
}
const pgTyped: StoreDriver<PgOptions, PgSettings> = {
  ...pgDriver,
  settings: { poolSize: 'PG_POOL_SIZE' },
};
expectType<Promise<void>>(
  runService({
    settings: { store: 'postgres', stores: storeSettings(pgTyped, { poolSize: 4 }) },
    storeDrivers: [pgTyped],
  }),
);
expectError(storeSettings(pgTyped, { poolSize: 'four' }));
expectError(storeSettings(pgTyped, { pool: 4 }));
expectError<StoreDriver<PgOptions, PgSettings>>({ ...pgDriver, settings: {} });
// A driver declared without Settings takes no typed settings.
expectError(storeSettings(pgDriver, { poolSize: 4 }));

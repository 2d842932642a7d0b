/**
 * The built-in handlers for the common event types. They validate what their type
 * needs and log one structured line; an invalid payload is a permanent failure.
 * Real deployments replace them through `createService({ handlers })`.
 */
import { type Handler, type JobContext, PermanentError } from './handler.js';
import { HandlerRegistry } from './registry.js';

function requireId(job: JobContext): string {
  const id = job.payload.id;
  if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
    throw new PermanentError(`${job.type} payload needs an "id" (string or number)`);
  }
  return String(id);
}

const payment: Handler = (job) => {
  const id = requireId(job);
  const { amount, currency } = job.payload;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new PermanentError(`${job.type} payload needs an integer "amount" >= 0 (minor units)`);
  }
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new PermanentError(`${job.type} payload needs a 3-letter "currency"`);
  }
  job.log.info(
    { payment_id: id, amount, currency: currency.toUpperCase() },
    'payment event processed',
  );
};

const user: Handler = (job) => {
  job.log.info({ user_id: requireId(job) }, 'user event processed');
};

const message: Handler = (job) => {
  job.log.info({ message_id: requireId(job) }, 'message event processed');
};

/** Any other event type: accepted and logged, nothing else. */
export const genericHandler: Handler = (job) => {
  job.log.info('event processed by the generic handler');
};

export const BUILTIN_HANDLERS: Readonly<Record<string, Handler>> = {
  'payment.succeeded': payment,
  'payment.failed': payment,
  'user.created': user,
  'user.updated': user,
  'message.sent': message,
  'message.delivered': message,
};

/** A registry holding the built-ins and the generic fallback. */
export function defaultRegistry(): HandlerRegistry {
  const registry = new HandlerRegistry(genericHandler);
  for (const [type, handler] of Object.entries(BUILTIN_HANDLERS)) registry.on(type, handler);
  return registry;
}

/**
 * A webhook whose content ingest will not take: the sender's mistake, refused
 * rather than stored. `reason` is stable (the HTTP layer maps it to the error
 * catalogue); `detail`, when given, says what was wrong in words a sender can act on.
 */

/** What was wrong: the event type, the idempotency key, or the payload itself. */
export type InvalidInput = 'event_type' | 'idempotency_key' | 'payload';

const MESSAGES: Record<InvalidInput, string> = {
  event_type: 'The event type is not 1-128 characters of letters, digits and . _ : - (and /).',
  idempotency_key: 'The idempotency key is not 1-255 printable ASCII characters.',
  payload: 'The payload is not what its source sends.',
};

export class InvalidInputError extends Error {
  constructor(
    readonly reason: InvalidInput,
    readonly detail?: string,
  ) {
    super(detail ?? MESSAGES[reason]);
    this.name = 'InvalidInputError';
  }
}

/**
 * A secret read from the environment (a signing secret, the admin token).
 *
 * The value is reachable only through `reveal()`. Serialising or printing the
 * object (JSON, pino, `util.inspect`, string templates) yields `[redacted]`, so a
 * config object logged whole, or an error that carries one, cannot leak it.
 */
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself: use only where it is needed (a key, a comparison). */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

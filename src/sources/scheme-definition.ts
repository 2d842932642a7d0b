/**
 * What a verification scheme is, in one place: its name, its settings with their
 * defaults, how a secret becomes a key, how to build the verifier and signer of
 * one source, and the example `send` posts. The config file, `send` and the test
 * helpers all read these; schemes.ts lists them. See docs/extending.md.
 */
import type { Scheme } from './scheme.js';
import type { SettingsSchema } from './settings.js';

/** A scheme's settings once read: plain values, by property name. */
export type SchemeSettings = Readonly<Record<string, unknown>>;

/** How a scheme's secrets are written, when it is not "any text, used as UTF-8 bytes". */
export interface SecretFormat {
  /** The HMAC key a secret stands for, or undefined when it is not in this format. */
  key(secret: string): Buffer | undefined;
  /** Ends "names X, whose value is not …": what the secret should look like. */
  readonly expected: string;
}

/** The delivery `send` posts when it is given no file. */
export interface ExampleEvent {
  /**
   * The event type when `send` is given none. The built-in handlers must process
   * it: a built-in type only with the payload its handler needs, else the
   * generic handler takes it.
   */
  readonly eventType: string;
  /** The body, shaped as the provider shapes it, so it goes through the same identification. */
  body(eventType: string, deliveryId: string, nowMs: number): Record<string, unknown>;
}

/** How a scheme is described in the docs' table of schemes. */
export interface SchemeDocs {
  /** The headers the provider signs with, and their form. */
  readonly signature: string;
  /** What is signed, and how. */
  readonly signedContent: string;
  /** Where the event type comes from. */
  readonly eventType: string;
  /** Where the delivery id (the deduplication key) comes from. */
  readonly deliveryId: string;
}

export interface SchemeDefinition<
  N extends string = string,
  S extends SchemeSettings = SchemeSettings,
> {
  /** The `scheme:` of the config file, and `send --scheme`. */
  readonly name: N;
  /** One line for `send --help`: what the provider sends. */
  readonly summary: string;
  /** Its row in the table of schemes in docs/sources.md (Markdown; `npm run docs:gen`). */
  readonly docs: SchemeDocs;
  /**
   * The scheme's own settings. Their property names sit beside a source's
   * `name`, `secrets`, `secretEnv`, `rateLimit` and `scheme`, so must not reuse them.
   */
  readonly settings: SettingsSchema<S>;
  /** Omitted: any secret, its UTF-8 bytes the key. */
  readonly secret?: SecretFormat;
  /** The verifier and signer of one source: its settings, and one key per secret (rotation). */
  create(settings: S, keys: readonly Buffer[]): Scheme;
  readonly example: ExampleEvent;
}

/** Declares a scheme, keeping its name's literal type for the list of schemes. */
export function defineScheme<const N extends string, S extends SchemeSettings>(
  definition: SchemeDefinition<N, S>,
): SchemeDefinition<N, S> {
  return definition;
}

/** The key of a secret for `definition`'s scheme, or undefined when the secret is not in its format. */
export function secretKey(definition: SchemeDefinition, secret: string): Buffer | undefined {
  return definition.secret ? definition.secret.key(secret) : Buffer.from(secret, 'utf8');
}

/**
 * A value the config file takes from the environment by name (a signing secret,
 * a header value, a URL). The file holds only the variable's name; problems name
 * the variable and say what is wrong with its value, never what the value is.
 */

type Env = Record<string, string | undefined>;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export type EnvRef = { ok: true; value: string } | { ok: false; problem: string };

/**
 * The value of `name`: refused when unset, empty, or padded with whitespace (a
 * stray newline from a secrets file would otherwise become part of a key).
 */
export function readEnvRef(env: Env, name: string): EnvRef {
  const value = env[name];
  if (value === undefined) return { ok: false, problem: `names ${name}, which is not set` };
  if (value === '') return { ok: false, problem: `names ${name}, which is set but empty` };
  if (value.trim() !== value) {
    return { ok: false, problem: `names ${name}, whose value has leading or trailing spaces` };
  }
  return { ok: true, value };
}

/** Said of a bad entry instead of echoing it: someone may have pasted the secret itself. */
export const NOT_AN_ENV_NAME =
  'entries must be environment variable names (letters, digits, _), not the values themselves; the value is not shown';

/** `{ env: NAME }`: a value the file takes from the environment instead of holding it. */
export function isEnvRef(v: unknown): v is { env: unknown } {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    Object.hasOwn(v, 'env')
  );
}

/** The value an `{ env: NAME }` refers to; a problem when NAME is not a variable name. */
export function readEnvRefField(ref: { env: unknown }, env: Env): EnvRef {
  if (typeof ref.env !== 'string' || !ENV_NAME.test(ref.env)) {
    return {
      ok: false,
      problem:
        'must be { env: NAME } with an environment variable name (letters, digits, _); the value is not shown',
    };
  }
  return readEnvRef(env, ref.env);
}

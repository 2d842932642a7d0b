/**
 * A destination's `signing_secret_env`: the variable, or list of variables
 * (current first, while receivers rotate), holding Standard Webhooks secrets.
 * Each value is `whsec_` and base64; the key is the decoded bytes.
 */
import { ENV_NAME, NOT_AN_ENV_NAME, readEnvRef } from '../config/env-ref.js';
import { standardWebhooksKey } from '../sources/standard-webhooks.js';

type Env = Record<string, string | undefined>;

const SIGNING_PREFIX = 'whsec_';

/** The signing keys, in the order given; `problem` reports against signing_secret_env. */
export function readSigningKeys(
  value: unknown,
  env: Env,
  problem: (text: string) => void,
): Buffer[] {
  if (value === undefined || value === null) return [];
  const names = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    problem(
      'must name the environment variable holding the signing secret, or a list of them (current first) for rotation',
    );
    return [];
  }
  const keys: Buffer[] = [];
  for (const envName of names as string[]) {
    if (!ENV_NAME.test(envName)) {
      problem(NOT_AN_ENV_NAME);
      continue;
    }
    const ref = readEnvRef(env, envName);
    if (!ref.ok) {
      problem(ref.problem);
      continue;
    }
    // standardWebhooksKey also takes bare base64; a destination's secret must say what it is.
    const key = ref.value.startsWith(SIGNING_PREFIX) ? standardWebhooksKey(ref.value) : undefined;
    if (key === undefined) {
      problem(
        `names ${envName}, whose value is not a Standard Webhooks secret (whsec_ followed by base64)`,
      );
      continue;
    }
    keys.push(key);
  }
  return keys;
}

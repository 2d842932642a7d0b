/** Expecting configuration problems. */
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';

/** The problems loadConfig reports for `env` (it must refuse it). */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

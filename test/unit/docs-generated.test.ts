/**
 * The reference tables that mirror code (error codes, metrics, environment variables)
 * are what scripts/gen-docs.ts makes from the code, each table is in one place only,
 * and no hand-written table repeats their rows elsewhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BLOCKS, docFiles, generateDocs, ROOT, regenerate } from '../../scripts/gen-docs.js';
import { VARIABLES } from '../../src/config/variables.js';
import { ERRORS } from '../../src/errors.js';

/** Where each generated table lives; other docs link to it. */
const HOME: Record<string, string> = {
  errors: 'docs/http-api.md',
  metrics: 'docs/http-api.md',
  variables: 'docs/configuration.md',
  schemes: 'docs/sources.md',
};

describe('generated docs', () => {
  const files = generateDocs();

  it('are up to date with the code', () => {
    const stale = files.filter((f) => f.current !== f.expected).map((f) => f.path);
    assert.deepEqual(
      stale,
      [],
      `out of date with the code: ${stale.join(', ')}; run npm run docs:gen and commit the result`,
    );
  });

  it('hold each table once, in its home file', () => {
    const where = Object.keys(BLOCKS).map((name) => [
      name,
      files.filter((f) => f.blocks.includes(name)).map((f) => f.path),
    ]);
    assert.deepEqual(
      where,
      Object.keys(BLOCKS).map((name) => [name, [HOME[name]]]),
    );
  });

  it('list every metric, error code and variable', () => {
    const http = readFileSync(join(ROOT, HOME.errors as string), 'utf8');
    const config = readFileSync(join(ROOT, HOME.variables as string), 'utf8');
    for (const code of Object.keys(ERRORS)) assert.ok(http.includes(`| \`${code}\` |`), code);
    for (const name of ['webhook_signature_failures_total', 'webhook_dlq_dropped_total']) {
      assert.ok(http.includes(`| \`${name}\` |`), name);
    }
    for (const v of VARIABLES) assert.ok(config.includes(`| \`${v.name}\` |`), v.name);
  });

  it('are not repeated by a hand-written table', () => {
    const variables = new Set<string>(VARIABLES.map((v) => v.name));
    const codes = new Set(Object.keys(ERRORS));
    const metrics = new Set(
      [...readFileSync(join(ROOT, HOME.metrics as string), 'utf8').matchAll(/^\| `(\w+)` \|/gm)]
        .map((m) => m[1] as string)
        .filter((n) => !variables.has(n) && !codes.has(n)),
    );
    const repeats: string[] = [];
    for (const path of docFiles()) {
      const text = readFileSync(join(ROOT, path), 'utf8').replace(
        /<!-- generated:([a-z-]+) -->[\s\S]*?<!-- \/generated:\1 -->/g,
        '',
      );
      for (const line of text.split('\n').filter((l) => l.startsWith('|'))) {
        // A row is keyed by its first cell, or by its code in a status table.
        const [first = '', second = ''] = line.split('|').slice(1, 3);
        const key = /^\s*\d{3}\s*$/.test(first) ? second : first;
        // …when it holds only names, as a reference table's key does.
        if (!/^\s*`\w+`(\s*,\s*`\w+`)*\s*$/.test(key)) continue;
        const names = [...key.matchAll(/`(\w+)`/g)].map((m) => m[1] as string);
        const known = names.filter((n) => variables.has(n) || codes.has(n) || metrics.has(n));
        if (known.length > 0) repeats.push(`${path}: ${line.slice(0, 80)}`);
      }
    }
    assert.deepEqual(repeats, [], 'link to the generated table instead');
  });

  it('refuses an unknown or unclosed marker', () => {
    assert.throws(
      () => regenerate('<!-- generated:nope -->\n<!-- /generated:nope -->\n', 'x.md'),
      /no generator/,
    );
    assert.throws(() => regenerate('<!-- generated:errors -->\nold\n', 'x.md'), /no matching/);
  });

  it('rewrites only between the markers', () => {
    const { text } = regenerate(
      'before\n<!-- generated:errors -->\nstale\n<!-- /generated:errors -->\nafter\n',
      'x.md',
    );
    assert.match(text, /^before\n<!-- generated:errors -->\n\| Status \|/);
    assert.match(text, /\| 400 \| `invalid_json` \|/);
    assert.match(text, /\n<!-- \/generated:errors -->\nafter\n$/);
    assert.doesNotMatch(text, /stale/);
  });
});

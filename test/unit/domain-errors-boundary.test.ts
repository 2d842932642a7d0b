/**
 * HTTP stays out of the domain: no file under ingest, sources, dlq, events or
 * routing imports the HTTP error catalogue (src/errors.ts, where `apiError`
 * lives). Those modules throw their own errors; src/http maps them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');
const DOMAIN = ['ingest', 'sources', 'dlq', 'events', 'routing'];
const CATALOGUE = join(SRC, 'errors');

/** Every module specifier a TypeScript source imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns)
    for (const m of source.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** The specifiers in `source` (a file at `file`) that resolve to the catalogue module. */
export function catalogueImports(file: string, source: string): string[] {
  return specifiers(source).filter(
    (s) =>
      s.startsWith('.') && resolve(dirname(file), s).replace(/\.[cm]?[jt]s$/, '') === CATALOGUE,
  );
}

function domainFiles(): string[] {
  return DOMAIN.flatMap((dir) =>
    readdirSync(join(SRC, dir), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(SRC, dir, f)),
  );
}

describe('the domain does not speak HTTP', () => {
  it('finds a catalogue import however it is written (the check can fail)', () => {
    const file = join(SRC, 'ingest', 'example.ts');
    assert.deepEqual(
      catalogueImports(
        file,
        [
          "import { apiError } from '../errors.js';",
          'import {\n  ApiError,\n  type ErrorCode,\n} from "../errors.js";',
          "export { apiError } from '../errors.js';",
          "const m = await import('../errors.js');",
          "import { describeError } from '../worker/errors.js';",
          "import { InvalidInputError } from './invalid-input.js';",
        ].join('\n'),
      ),
      ['../errors.js', '../errors.js', '../errors.js', '../errors.js'],
    );
  });

  it('no module under ingest, sources, dlq, events or routing imports src/errors.ts', () => {
    const files = domainFiles();
    assert.ok(files.length > 20, `scanned ${files.length} files`);
    const offenders = files.flatMap((f) =>
      catalogueImports(f, readFileSync(f, 'utf8')).map((s) => `${relative(SRC, f)}: ${s}`),
    );
    assert.deepEqual(offenders, [], 'throw a domain error and map it in src/http/domain-errors.ts');
  });
});

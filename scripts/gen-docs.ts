/**
 * Rewrites the reference tables in the docs that mirror code, so that they cannot drift:
 *
 *   <!-- generated:errors -->     the error catalogue (src/errors.ts ERRORS)
 *   <!-- generated:metrics -->    every metric on the service's registry (src/metrics.ts,
 *                                 src/delivery/metrics.ts)
 *   <!-- generated:variables -->  every environment variable (src/config/variables.ts and
 *                                 the store drivers' own)
 *   <!-- generated:schemes -->    every signature scheme (src/sources/schemes.ts)
 *
 * Each marker is closed by `<!-- /generated:NAME -->`; everything between the two is
 * replaced. `npm run docs:gen` writes the files; test/unit/docs-generated.test.ts runs
 * `generateDocs` in memory and fails when a file is not what it would write.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VARIABLES, type Variable } from '../src/config/variables.js';
import { DeliveryMetrics } from '../src/delivery/metrics.js';
import { ERRORS } from '../src/errors.js';
import { Metrics } from '../src/metrics.js';
import { SCHEMES } from '../src/sources/schemes.js';

export const ROOT = resolve(import.meta.dirname, '..');

/** A Markdown table cell: one line, no column break. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function errorsTable(): string {
  const rows = Object.entries(ERRORS)
    .map(([code, e]) => {
      const entry: { status: number; message: string; retryAfterSeconds?: number } = e;
      return { code, ...entry };
    })
    // Stable: within a status, the catalogue's own order.
    .sort((a, b) => a.status - b.status)
    .map((e) => [
      String(e.status),
      `\`${e.code}\``,
      e.message,
      e.retryAfterSeconds === undefined ? '' : `\`${e.retryAfterSeconds}\``,
    ]);
  return table(['Status', '`code`', 'Message', '`Retry-After`'], rows);
}

function metricsTable(): string {
  const metrics = new Metrics([], { processMetrics: false });
  new DeliveryMetrics(metrics.registry);
  // Registered only once a store reports a disk of its own: register it to list it.
  metrics.noteDisk({ full: false, freeBytes: 0 });
  const rows = metrics.registry
    .getMetricsAsArray()
    .map((m) => m as typeof m & { labelNames?: readonly string[] })
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [
      `\`${m.name}\``,
      String(m.type),
      (m.labelNames ?? []).map((l) => `\`${l}\``).join(', '),
      m.help,
    ]);
  return table(['Metric', 'Type', 'Labels', 'Help'], rows);
}

function variablesTable(): string {
  const list: readonly Variable[] = VARIABLES;
  const rows = list.map((v) => [
    `\`${v.name}\``,
    v.defaultText ?? (v.default === '' ? '' : `\`${v.default}\``),
    v.meaning,
  ]);
  return table(['Variable', 'Default', 'Meaning'], rows);
}

function schemesTable(): string {
  const rows = SCHEMES.map((s) => [
    `\`${s.name}\``,
    s.docs.signature,
    s.docs.signedContent,
    s.docs.eventType,
    s.docs.deliveryId,
  ]);
  return table(['`scheme`', 'Signature', 'Signed content', 'Event type', 'Delivery id'], rows);
}

/** The generated blocks, by marker name. */
export const BLOCKS: Record<string, () => string> = {
  errors: errorsTable,
  metrics: metricsTable,
  variables: variablesTable,
  schemes: schemesTable,
};

const BLOCK = /(<!-- generated:([a-z-]+) -->\n)([\s\S]*?)(<!-- \/generated:\2 -->)/g;

/** `text` with every generated block rewritten; throws on a marker with no generator. */
export function regenerate(text: string, file: string): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  const out = text.replace(BLOCK, (_all, open: string, name: string, _old, close: string) => {
    const render = BLOCKS[name];
    if (!render) throw new Error(`${file}: no generator for <!-- generated:${name} -->`);
    blocks.push(name);
    return `${open}${render()}\n${close}`;
  });
  const opened = text.match(/<!-- generated:[a-z-]+ -->/g)?.length ?? 0;
  if (opened !== blocks.length) {
    throw new Error(`${file}: a <!-- generated:… --> marker has no matching <!-- /generated:… -->`);
  }
  return { text: out, blocks };
}

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  current: string;
  expected: string;
  blocks: string[];
}

/** The README and every Markdown file under docs/, relative to `root`. */
export function docFiles(root = ROOT): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs].sort();
}

/** The docs that hold generated blocks, as they are and as they should be. */
export function generateDocs(root = ROOT): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  for (const path of docFiles(root)) {
    const current = readFileSync(join(root, path), 'utf8');
    const { text, blocks } = regenerate(current, path);
    if (blocks.length > 0) out.push({ path, current, expected: text, blocks });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const f of generateDocs()) {
    if (f.current === f.expected) continue;
    writeFileSync(join(ROOT, f.path), f.expected);
    process.stdout.write(`rewrote ${f.path} (${f.blocks.join(', ')})\n`);
  }
}

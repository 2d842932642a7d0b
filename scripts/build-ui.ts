/**
 * Builds the dashboard from src/ui into dist/ui, where the service serves it
 * at /admin/ui/: the page, its icon, one JavaScript bundle and one style sheet.
 * Everything is bundled (Preact, uPlot), so the dashboard needs no other origin.
 *
 *   tsx scripts/build-ui.ts [out-dir]   prints each file's size, raw and gzipped
 *
 * Files are written atomically (a temporary name, then a rename), so a service
 * starting while a build runs reads whole files.
 */
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UI = join(ROOT, 'src', 'ui');
export const DASHBOARD_OUT = join(ROOT, 'dist', 'ui');

/** Files copied as they are. */
const STATIC = ['index.html', 'favicon.svg'];

export interface BuiltFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

function writeAtomically(path: string, contents: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

export async function buildDashboard(outDir: string = DASHBOARD_OUT): Promise<BuiltFile[]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(UI, 'main.tsx') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // Licence texts go to app.js.LEGAL.txt / app.css.LEGAL.txt, next to the bundle.
    legalComments: 'external',
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(outDir, { recursive: true });
  const files: { name: string; contents: Uint8Array }[] = result.outputFiles.map((f) => ({
    name: basename(f.path),
    contents: f.contents,
  }));
  for (const f of files) writeAtomically(join(outDir, f.name), f.contents);
  for (const name of STATIC) {
    const tmp = join(outDir, `${name}.${process.pid}.tmp`);
    copyFileSync(join(UI, name), tmp);
    renameSync(tmp, join(outDir, name));
  }
  return files.map((f) => ({
    name: f.name,
    bytes: f.contents.byteLength,
    gzipBytes: gzipSync(f.contents, { level: 9 }).byteLength,
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? DASHBOARD_OUT;
  const files = await buildDashboard(out);
  for (const f of files) console.log(`${out}/${f.name}: ${f.bytes} bytes, ${f.gzipBytes} gzipped`);
}

/**
 * The dashboard's built files (scripts/build-ui.ts writes them to dist/ui), read
 * once into memory when the server is built: a handful of small files, each
 * served with its content type and an ETag.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** File name -> asset; only these names are ever served. */
export type DashboardAssets = ReadonlyMap<string, DashboardAsset>;

/**
 * dist/ui at the package's root. This file sits one level below the root's
 * src/ or dist/, so the same relative path holds when running from source
 * (tsx) and from the compiled output.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built files in `dir`, or undefined when it holds no page (not built). */
export function loadDashboardAssets(dir: string = DASHBOARD_DIR): DashboardAssets | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const assets = new Map<string, DashboardAsset>();
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue; // a build's temporary files, or strays
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets.has('index.html') ? assets : undefined;
}

/**
 * Pages live in the URL's fragment (#/dead-letters/<id>?source=x), so the
 * service serves one page and the browser's back button and links just work.
 */
import { useEffect, useState } from 'preact/hooks';

export const PAGES = ['overview', 'events', 'dead-letters', 'destinations'] as const;
export type PageName = (typeof PAGES)[number];

export interface Route {
  page: PageName;
  /** The item a page shows, e.g. a dead letter's id. */
  id: string | undefined;
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const [path = '', qs = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const [page, ...rest] = path.split('/');
  const query = Object.fromEntries(new URLSearchParams(qs));
  const known = (PAGES as readonly string[]).includes(page ?? '');
  return {
    page: known ? (page as PageName) : 'overview',
    id: known && rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined,
    query: known ? query : {},
  };
}

export function href(page: PageName, id?: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== ''),
  ).toString();
  return `#/${page}${id !== undefined ? `/${encodeURIComponent(id)}` : ''}${qs ? `?${qs}` : ''}`;
}

export function go(page: PageName, id?: string, query?: Record<string, string>): void {
  window.location.hash = href(page, id, query);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

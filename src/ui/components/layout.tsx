/** The frame of every page once signed in: the name, the page links, and sign-out. */
import type { ComponentChildren } from 'preact';
import { href, type PageName } from '../router.js';

const LINKS: { page: PageName; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'events', label: 'Events' },
  { page: 'dead-letters', label: 'Dead letters' },
  { page: 'destinations', label: 'Destinations' },
];

export function Layout(props: {
  page: PageName;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  return (
    <>
      <header class="top">
        <a class="brand" href={href('overview')}>
          webhook-processor
        </a>
        <nav aria-label="Main">
          {LINKS.map((l) => (
            <a
              key={l.page}
              href={href(l.page)}
              aria-current={props.page === l.page ? 'page' : undefined}
            >
              {l.label}
            </a>
          ))}
        </nav>
        <button type="button" class="sign-out" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main>{props.children}</main>
    </>
  );
}

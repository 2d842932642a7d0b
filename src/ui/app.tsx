/** The dashboard: the sign-in form until a token is accepted, then the page the URL names. */
import { useEffect, useState } from 'preact/hooks';
import { onUnauthorized } from './api/client.js';
import { Layout } from './components/layout.js';
import { DeadLetterPage } from './pages/dead-letter.js';
import { DeadLettersPage } from './pages/dead-letters.js';
import { DestinationsPage } from './pages/destinations.js';
import { EventPage } from './pages/event.js';
import { EventsPage } from './pages/events.js';
import { OverviewPage } from './pages/overview.js';
import { SignIn } from './pages/sign-in.js';
import { type Route, useRoute } from './router.js';
import { session } from './session.js';

function page(route: Route) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'events':
      return route.id !== undefined ? (
        <EventPage id={route.id} />
      ) : (
        <EventsPage query={route.query} />
      );
    case 'dead-letters':
      return route.id !== undefined ? (
        <DeadLetterPage id={route.id} />
      ) : (
        <DeadLettersPage query={route.query} />
      );
    case 'destinations':
      return <DestinationsPage />;
  }
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => session.token() !== undefined);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();

  useEffect(
    () =>
      onUnauthorized(() => {
        session.signOut();
        setNotice('The service no longer accepts the token: sign in again.');
        setSignedIn(false);
      }),
    [],
  );

  if (!signedIn)
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  return (
    <Layout
      page={route.page}
      onSignOut={() => {
        session.signOut();
        setSignedIn(false);
      }}
    >
      {page(route)}
    </Layout>
  );
}

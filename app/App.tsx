import { lazy, Suspense, useEffect, useRef } from 'react';
import { Alerts } from './components/Alerts';
import { ViewBoundary } from './components/ViewBoundary';
import { href, type Route, useRoute } from './router';
import { useNodeStore } from './store';
import { Home } from './views/Home';

// The heavy views (and uPlot) load when first opened, so the first page stays small.
const Explorer = lazy(() => import('./views/Explorer'));
const BlockPage = lazy(() => import('./views/BlockPage'));
const AccountPage = lazy(() => import('./views/AccountPage'));
const Models = lazy(() => import('./views/Models'));
const Wallet = lazy(() => import('./views/Wallet'));
const Settings = lazy(() => import('./views/Settings'));

const NAV: { view: Route['view'][]; label: string; to: string }[] = [
  { view: ['home'], label: 'Contribute', to: href.home() },
  { view: ['explorer', 'block', 'account'], label: 'Explorer', to: href.explorer() },
  { view: ['models'], label: 'Models', to: href.models() },
  { view: ['wallet'], label: 'Wallet', to: href.wallet() },
  { view: ['settings'], label: 'Settings', to: href.settings() },
];

const TITLES: Record<Route['view'], string> = {
  home: 'Contribute',
  explorer: 'Explorer',
  block: 'Block',
  account: 'Account',
  models: 'Models',
  wallet: 'Wallet',
  settings: 'Settings',
  'not-found': 'Not found',
};

export function App() {
  const route = useRoute();
  const status = useNodeStore((s) => s.status);
  const contributing = status?.contributing ?? false;
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const routeKey = JSON.stringify(route);

  // A new view: say where we are (title) and move focus to it for keyboard and reader users.
  useEffect(() => {
    const parsed = JSON.parse(routeKey) as Route;
    document.title = parsed.view === 'home' ? 'doin' : `${TITLES[parsed.view]} · doin`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: false });
  }, [routeKey]);

  return (
    <>
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <a className="brand" href={href.home()} aria-label="doin home">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          doin
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.label}>
                <a
                  href={item.to}
                  aria-current={item.view.includes(route.view) ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span
          className={`pill ${contributing ? 'pill-on' : ''}`}
          data-testid="contributing-pill"
          title={contributing ? 'This page is contributing' : 'This page is idle'}
        >
          {status === null ? 'starting…' : contributing ? 'contributing' : 'idle'}
        </span>
      </header>
      <Alerts />
      <main id="main" ref={mainRef} tabIndex={-1}>
        <ViewBoundary key={route.view}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            <View route={route} />
          </Suspense>
        </ViewBoundary>
      </main>
      <footer className="foot">
        <p>
          doin: browsers train models together and agree on one proof-of-optimization chain.
          Everything here runs in this page; the chain is kept in this browser.
        </p>
      </footer>
    </>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'home':
      return <Home />;
    case 'explorer':
      return <Explorer before={route.before} />;
    case 'block':
      return <BlockPage id={route.id} />;
    case 'account':
      return <AccountPage id={route.id} />;
    case 'models':
      return <Models domainId={route.domainId} />;
    case 'wallet':
      return <Wallet />;
    case 'settings':
      return <Settings />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no view at <code>#{route.path}</code>. <a href={href.home()}>Go home</a>.
          </p>
        </section>
      );
  }
}

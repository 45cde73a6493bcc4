// The application shell: top navigation, theme toggle and the route table.
import { useEffect } from 'react';
import { versionInfo } from './config';
import { Link, navigate, useLocation } from './router';
import { useTheme } from './theme';
import { SearchPage } from './pages/SearchPage';
import { TracePage } from './pages/TracePage';
import { ComparePage } from './pages/ComparePage';
import { DependenciesPage } from './pages/DependenciesPage';
import { OpenPage } from './pages/OpenPage';

function NavLink({ to, testid, children, current }: {
  to: string; testid: string; children: string; current: boolean;
}) {
  return (
    <Link to={to} data-testid={testid} className={`navlink${current ? ' current' : ''}`}>
      {children}
    </Link>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound({ path }: { path: string }) {
  return (
    <div className="empty">
      <h2>Page not found</h2>
      <p>Nothing lives at <code>{path}</code>. <Link to="/search">Search traces</Link>.</p>
    </div>
  );
}

export function App() {
  const { pathname, search } = useLocation();
  const [theme, toggleTheme] = useTheme();
  const seg = pathname.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const section = seg[0] ?? '';

  let page: JSX.Element;
  let fill = false;
  if (section === '') page = <Redirect to="/search" />;
  else if (section === 'search' && seg.length === 1) page = <SearchPage search={search} />;
  else if (section === 'trace' && seg.length === 2) {
    page = <TracePage key={seg[1]} traceId={seg[1]} search={search} />;
    fill = true;
  } else if (section === 'compare' && seg.length <= 3) {
    page = <ComparePage a={seg[1] ?? ''} b={seg[2] ?? ''} />;
  } else if (section === 'dependencies' && seg.length === 1) page = <DependenciesPage />;
  else if (section === 'open' && seg.length === 1) {
    page = <OpenPage />;
    fill = true;
  } else page = <NotFound path={pathname} />;

  const v = versionInfo();
  useEffect(() => {
    document.title = section ? `Skua – ${section[0].toUpperCase()}${section.slice(1)}` : 'Skua';
  }, [section]);

  return (
    <div className="app">
      <nav className="topnav">
        <Link to="/search" className="brand">sk<span>ua</span></Link>
        <NavLink to="/search" testid="nav-search" current={section === 'search'}>Search</NavLink>
        <NavLink to="/compare" testid="nav-compare" current={section === 'compare'}>Compare</NavLink>
        <NavLink to="/dependencies" testid="nav-dependencies" current={section === 'dependencies'}>
          System architecture
        </NavLink>
        <NavLink to="/open" testid="nav-open" current={section === 'open'}>Open file</NavLink>
        <span className="spacer" />
        {v.gitVersion ? <span className="version">{v.gitVersion}</span> : null}
        <button type="button" data-testid="theme-toggle" onClick={toggleTheme}
          title="Switch between light and dark theme">
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </nav>
      <main className={`page${fill ? ' fill' : ''}`}>{page}</main>
    </div>
  );
}

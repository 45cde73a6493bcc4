// A small client-side router: app paths are relative to the base path taken from
// document.baseURI (the <base href> the server injects), history.pushState for navigation.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export function basePath(): string {
  const p = new URL(document.baseURI).pathname;
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

export interface AppLocation {
  /** Path inside the app, always starting with '/'. */
  pathname: string;
  search: string;
}

function readLocation(): AppLocation {
  const base = basePath();
  let path = window.location.pathname;
  if (base && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length);
  return { pathname: path || '/', search: window.location.search };
}

const listeners = new Set<() => void>();
let current = typeof window !== 'undefined' ? readLocation() : { pathname: '/', search: '' };

function refresh() {
  const next = readLocation();
  if (next.pathname !== current.pathname || next.search !== current.search) {
    current = next;
    listeners.forEach((l) => l());
  }
}

if (typeof window !== 'undefined') window.addEventListener('popstate', refresh);

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useLocation(): AppLocation {
  return useSyncExternalStore(subscribe, () => current);
}

export function hrefFor(to: string): string {
  return `${basePath()}${to.startsWith('/') ? to : `/${to}`}`;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const href = hrefFor(to);
  if (opts.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  refresh();
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return <a href={hrefFor(to)} onClick={handle} {...rest} />;
}

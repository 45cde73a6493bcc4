// Light/dark theme: html[data-theme], persisted in localStorage (index.html applies it before
// the first paint so there is no flash).
import { useState } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'skua-theme';

function currentTheme(): Theme {
  return document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.setAttribute('data-theme', next);
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Storage may be unavailable (private mode): the theme still applies to this page.
    }
    setTheme(next);
  };
  return [theme, toggle];
}

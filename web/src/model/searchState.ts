// The search page's state and its URL form (/search?service=&operation=&tags=&lookback=&start=
// &end=&minDuration=&maxDuration=&limit=&sort=), plus the /api/traces query built from it.
import { parseDuration } from './format';
import { parseLogfmt } from './logfmt';
import type { Trace } from './trace';

export const LOOKBACKS: ReadonlyArray<{ value: string; label: string; us: number }> = [
  { value: '5m', label: 'Last 5 minutes', us: 5 * 60e6 },
  { value: '15m', label: 'Last 15 minutes', us: 15 * 60e6 },
  { value: '1h', label: 'Last hour', us: 3600e6 },
  { value: '2h', label: 'Last 2 hours', us: 2 * 3600e6 },
  { value: '6h', label: 'Last 6 hours', us: 6 * 3600e6 },
  { value: '12h', label: 'Last 12 hours', us: 12 * 3600e6 },
  { value: '24h', label: 'Last 24 hours', us: 24 * 3600e6 },
  { value: '2d', label: 'Last 2 days', us: 48 * 3600e6 },
];

export const SORT_ORDERS = ['recent', 'longest', 'shortest', 'most-spans'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];
export const SORT_LABELS: Record<SortOrder, string> = {
  recent: 'Most recent', longest: 'Longest first', shortest: 'Shortest first',
  'most-spans': 'Most spans',
};

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1500;

export interface SearchState {
  service: string;
  /** "" means all operations. */
  operation: string;
  tags: string;
  /** A preset value or "custom" (then start/end hold the range). */
  lookback: string;
  /** Unix microseconds as decimal text; used when lookback is "custom". */
  start: string;
  end: string;
  minDuration: string;
  maxDuration: string;
  limit: number;
  sort: SortOrder;
}

export function defaultSearchState(): SearchState {
  return {
    service: '', operation: '', tags: '', lookback: '1h', start: '', end: '', minDuration: '',
    maxDuration: '', limit: DEFAULT_LIMIT, sort: 'recent',
  };
}

export function parseSearchState(search: string): SearchState {
  const q = new URLSearchParams(search);
  const s = defaultSearchState();
  s.service = q.get('service') ?? '';
  const op = q.get('operation') ?? '';
  s.operation = op === 'all' ? '' : op;
  s.tags = q.get('tags') ?? '';
  s.start = q.get('start') ?? '';
  s.end = q.get('end') ?? '';
  const lb = q.get('lookback');
  if (lb === 'custom' || (lb === null && (s.start || s.end))) s.lookback = 'custom';
  else if (lb && LOOKBACKS.some((l) => l.value === lb)) s.lookback = lb;
  s.minDuration = q.get('minDuration') ?? '';
  s.maxDuration = q.get('maxDuration') ?? '';
  const limit = Number(q.get('limit'));
  if (Number.isInteger(limit) && limit > 0) s.limit = Math.min(limit, MAX_LIMIT);
  const sort = q.get('sort');
  if (sort && (SORT_ORDERS as readonly string[]).includes(sort)) s.sort = sort as SortOrder;
  return s;
}

/** The query string (without '?') for the state; default values are left out. */
export function serializeSearchState(s: SearchState): string {
  const q = new URLSearchParams();
  const d = defaultSearchState();
  if (s.service) q.set('service', s.service);
  if (s.operation) q.set('operation', s.operation);
  if (s.tags) q.set('tags', s.tags);
  q.set('lookback', s.lookback);
  if (s.lookback === 'custom') {
    if (s.start) q.set('start', s.start);
    if (s.end) q.set('end', s.end);
  }
  if (s.minDuration) q.set('minDuration', s.minDuration);
  if (s.maxDuration) q.set('maxDuration', s.maxDuration);
  q.set('limit', String(s.limit));
  if (s.sort !== d.sort) q.set('sort', s.sort);
  return q.toString();
}

export type ApiQuery = { ok: true; params: URLSearchParams } | { ok: false; errors: string[] };

/** Builds the /api/traces query; lookback presets are resolved against nowMs. */
export function toApiQuery(s: SearchState, nowMs: number): ApiQuery {
  const errors: string[] = [];
  const q = new URLSearchParams();
  if (!s.service) errors.push('Choose a service');
  q.set('service', s.service);
  if (s.operation) q.set('operation', s.operation);
  const nowUs = Math.floor(nowMs) * 1000;
  if (s.lookback === 'custom') {
    const start = Number(s.start);
    const end = s.end ? Number(s.end) : nowUs;
    if (!s.start || !Number.isFinite(start)) errors.push('Choose the start of the custom range');
    else if (!Number.isFinite(end) || end < start) errors.push('The end of the range is before its start');
    else {
      q.set('start', String(Math.floor(start)));
      q.set('end', String(Math.floor(end)));
    }
  } else {
    const lb = LOOKBACKS.find((l) => l.value === s.lookback) ?? LOOKBACKS[2];
    q.set('start', String(nowUs - lb.us));
    q.set('end', String(nowUs));
  }
  q.set('lookback', s.lookback);
  let min: number | null = null;
  let max: number | null = null;
  if (s.minDuration) {
    min = parseDuration(s.minDuration);
    if (min === null) errors.push(`Min duration "${s.minDuration}" is not a duration like 100ms or 1.5s`);
    else q.set('minDuration', s.minDuration.trim());
  }
  if (s.maxDuration) {
    max = parseDuration(s.maxDuration);
    if (max === null) errors.push(`Max duration "${s.maxDuration}" is not a duration like 100ms or 1.5s`);
    else q.set('maxDuration', s.maxDuration.trim());
  }
  if (min !== null && max !== null && max < min) errors.push('Max duration is below min duration');
  if (s.tags.trim()) {
    const parsed = parseLogfmt(s.tags);
    errors.push(...parsed.errors.map((e) => `Tags: ${e}`));
    if (Object.keys(parsed.tags).length > 0) q.set('tags', JSON.stringify(parsed.tags));
  }
  q.set('limit', String(Math.max(1, Math.min(MAX_LIMIT, Math.floor(s.limit) || DEFAULT_LIMIT))));
  return errors.length ? { ok: false, errors } : { ok: true, params: q };
}

export function sortTraces(traces: Trace[], order: SortOrder): Trace[] {
  const out = [...traces];
  const byRecent = (a: Trace, b: Trace) => b.startTime - a.startTime;
  switch (order) {
    case 'recent':
      out.sort(byRecent);
      break;
    case 'longest':
      out.sort((a, b) => b.duration - a.duration || byRecent(a, b));
      break;
    case 'shortest':
      out.sort((a, b) => a.duration - b.duration || byRecent(a, b));
      break;
    case 'most-spans':
      out.sort((a, b) => b.spans.length - a.spans.length || byRecent(a, b));
      break;
  }
  return out;
}

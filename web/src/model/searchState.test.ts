import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import {
  defaultSearchState, parseSearchState, serializeSearchState, sortTraces, toApiQuery,
} from './searchState';
import { buildTrace } from './trace';

describe('search URL state', () => {
  it('round-trips every field', () => {
    const s = {
      ...defaultSearchState(), service: 'front end', operation: 'GET /a?b', tags: 'a=1 b="x y"',
      lookback: 'custom', start: '1700000000000000', end: '1700000360000000', minDuration: '10ms',
      maxDuration: '2s', limit: 50, sort: 'longest' as const,
    };
    expect(parseSearchState(`?${serializeSearchState(s)}`)).toEqual(s);
    const preset = { ...defaultSearchState(), service: 'x', lookback: '6h' };
    expect(parseSearchState(serializeSearchState(preset))).toEqual(preset);
  });
  it('ignores junk and applies defaults', () => {
    const s = parseSearchState('?limit=-3&lookback=99y&sort=bogus&operation=all');
    expect(s).toEqual(defaultSearchState());
    expect(parseSearchState('?limit=999999').limit).toBe(1500);
    expect(parseSearchState('?start=5').lookback).toBe('custom');
  });
});

describe('toApiQuery', () => {
  const now = 1_700_000_000_000;
  it('builds Jaeger search parameters', () => {
    const q = toApiQuery({ ...defaultSearchState(), service: 'svc', operation: 'op', lookback: '1h',
      tags: 'error=true http.status_code=500', minDuration: '1.5ms', limit: 7 }, now);
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    const p = q.params;
    expect(p.get('service')).toBe('svc');
    expect(p.get('operation')).toBe('op');
    expect(p.get('end')).toBe(String(now * 1000));
    expect(p.get('start')).toBe(String(now * 1000 - 3600e6));
    expect(JSON.parse(p.get('tags')!)).toEqual({ error: 'true', 'http.status_code': '500' });
    expect(p.get('minDuration')).toBe('1.5ms');
    expect(p.has('maxDuration')).toBe(false);
    expect(p.get('limit')).toBe('7');
  });
  it('leaves out the operation for "all" and uses the custom range', () => {
    const q = toApiQuery({ ...defaultSearchState(), service: 's', lookback: 'custom', start: '10', end: '20' }, now);
    expect(q.ok && [q.params.has('operation'), q.params.get('start'), q.params.get('end')])
      .toEqual([false, '10', '20']);
  });
  it('reports invalid input', () => {
    const bad = toApiQuery({ ...defaultSearchState(), service: '', minDuration: '5 parsecs',
      maxDuration: '1ms', tags: 'novalue' }, now);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.length).toBe(3);
    const inverted = toApiQuery({ ...defaultSearchState(), service: 's', minDuration: '2s', maxDuration: '1s' }, now);
    expect(inverted.ok).toBe(false);
  });
});

describe('sortTraces', () => {
  const mk = (id: string, start: number, dur: number, n: number) => {
    const t = buildTrace(jaegerTrace(Array.from({ length: n }, (_, i) => ({ id: `${id}${i}`, start, dur }))));
    return { ...t, traceID: id };
  };
  const ts = [mk('a', 100, 5, 1), mk('b', 300, 50, 2), mk('c', 200, 20, 3)];
  const order = (o: Parameters<typeof sortTraces>[1]) => sortTraces(ts, o).map((t) => t.traceID).join('');
  it('sorts by each order', () => {
    expect(order('recent')).toBe('bca');
    expect(order('longest')).toBe('bca');
    expect(order('shortest')).toBe('acb');
    expect(order('most-spans')).toBe('cba');
  });
});

import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import { selfTime, traceStats } from './stats';
import { buildTrace } from './trace';

describe('trace statistics', () => {
  const t = buildTrace(jaegerTrace([
    { id: 'r', svc: 'web', op: 'GET', start: 0, dur: 100 },
    { id: 'a', parent: 'r', svc: 'db', op: 'q', start: 10, dur: 30 },
    { id: 'b', parent: 'r', svc: 'db', op: 'q', start: 20, dur: 30, tags: [{ key: 'error', value: true }] },
    { id: 'c', parent: 'r', svc: 'db', op: 'conn', start: 90, dur: 50 },
  ]));
  it('computes self time from the union of clipped children', () => {
    // Children cover 10..50 (overlapping a, b) and 90..100 (c clipped): 50 µs covered.
    expect(selfTime(t, t.byID.get('r')!)).toBe(50);
    expect(selfTime(t, t.byID.get('a')!)).toBe(30);
  });
  it('aggregates by service and operation', () => {
    const rows = traceStats(t);
    expect(rows.map((r) => `${r.service}/${r.operation}`)).toEqual(['db/', 'db/conn', 'db/q', 'web/', 'web/GET']);
    const q = rows.find((r) => r.operation === 'q')!;
    expect(q).toMatchObject({ count: 2, total: 60, avg: 30, min: 30, max: 30, errors: 1, selfTotal: 60 });
    const db = rows[0];
    expect(db).toMatchObject({ count: 3, total: 110, min: 30, max: 50, errors: 1 });
    expect(rows.find((r) => r.service === 'web' && r.operation === '')!.selfTotal).toBe(50);
  });
});

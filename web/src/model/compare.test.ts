import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import { diffTraces } from './compare';
import { buildTrace } from './trace';

describe('diffTraces', () => {
  const a = buildTrace(jaegerTrace([
    { id: 'r', svc: 'web', op: 'GET', start: 0, dur: 100 },
    { id: 'x', parent: 'r', svc: 'db', op: 'SELECT', start: 1, dur: 10 },
    { id: 'y', parent: 'r', svc: 'db', op: 'SELECT', start: 20, dur: 10 },
    { id: 'z', parent: 'r', svc: 'cache', op: 'get', start: 40, dur: 5 },
  ]));
  const b = buildTrace(jaegerTrace([
    { id: 'R', svc: 'web', op: 'GET', start: 0, dur: 80 },
    { id: 'X', parent: 'R', svc: 'db', op: 'SELECT', start: 1, dur: 30 },
    { id: 'Q', parent: 'R', svc: 'queue', op: 'publish', start: 40, dur: 5 },
    { id: 'Q1', parent: 'Q', svc: 'db', op: 'SELECT', start: 41, dur: 2 },
  ]));
  const d = diffTraces(a, b);
  const row = (path: string) => d.rows.find((r) => r.key === path.split(' > ').join('\u0001').replace(/:/g, '\u0000'))!;

  it('matches spans by their service/operation path', () => {
    expect(row('web:GET')).toMatchObject({ countA: 1, countB: 1, status: 'same', durationA: 100, durationB: 80 });
    expect(row('web:GET > db:SELECT')).toMatchObject({ countA: 2, countB: 1, status: 'changed', durationA: 20, durationB: 30 });
    expect(row('web:GET > cache:get')).toMatchObject({ countA: 1, countB: 0, status: 'only-a' });
    expect(row('web:GET > queue:publish')).toMatchObject({ countA: 0, countB: 1, status: 'only-b' });
    // Same service/operation under a different parent is a different node.
    expect(row('web:GET > queue:publish > db:SELECT')).toMatchObject({ countA: 0, countB: 1, status: 'only-b', depth: 2 });
  });
  it('counts statuses and lists rows depth-first', () => {
    expect([d.same, d.changed, d.onlyA, d.onlyB]).toEqual([1, 1, 1, 2]);
    expect(d.rows.map((r) => `${r.service}:${r.depth}`)).toEqual(
      ['web:0', 'db:1', 'cache:1', 'queue:1', 'db:2']);
  });
  it('reports identical traces as all "same"', () => {
    const s = diffTraces(a, a);
    expect(s.rows.every((r) => r.status === 'same')).toBe(true);
    expect(s.onlyA + s.onlyB + s.changed).toBe(0);
  });
});

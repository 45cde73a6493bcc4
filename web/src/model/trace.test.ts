import { describe, expect, it } from 'vitest';
import { jaegerTrace, TRACE_ID } from '../testing/fixtures';
import { ancestors, buildTrace, visibleSpans } from './trace';

const ids = (spans: { spanID: string }[]) => spans.map((s) => s.spanID);

describe('buildTrace', () => {
  it('builds the tree from CHILD_OF references in depth-first, start-time order', () => {
    // Input order is scrambled on purpose; children must be ordered by start time.
    const t = buildTrace(jaegerTrace([
      { id: 'c2', parent: 'root', start: 1300, dur: 100, svc: 'b' },
      { id: 'g1', parent: 'c1', start: 1150, dur: 10, svc: 'c' },
      { id: 'root', start: 1000, dur: 500, svc: 'a' },
      { id: 'c1', parent: 'root', start: 1100, dur: 100, svc: 'b' },
    ]));
    expect(ids(t.spans)).toEqual(['root', 'c1', 'g1', 'c2']);
    expect(t.spans.map((s) => s.depth)).toEqual([0, 1, 2, 1]);
    expect(t.byID.get('root')!.childIDs).toEqual(['c1', 'c2']);
    expect(t.byID.get('root')!.subtreeEnd).toBe(4);
    expect(t.byID.get('c1')!.subtreeEnd).toBe(3);
    expect(t.startTime).toBe(1000);
    expect(t.duration).toBe(500);
    expect(t.depth).toBe(3);
    expect(t.rootServiceName).toBe('a');
    expect(t.rootOperationName).toBe('op-root');
    expect(t.services.map((s) => [s.name, s.spanCount])).toEqual([['a', 1], ['b', 2], ['c', 1]]);
    expect(t.byID.get('g1')!.relativeStart).toBe(150);
    expect(t.traceID).toBe(TRACE_ID);
  });

  it('does not reorder children by clock-skew guesses: a child before its parent stays first', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'root', start: 1000, dur: 100 },
      { id: 'late', parent: 'root', start: 1050, dur: 10 },
      { id: 'early', parent: 'root', start: 900, dur: 10 },
    ]));
    expect(ids(t.spans)).toEqual(['root', 'early', 'late']);
    expect(t.startTime).toBe(900);
    expect(t.byID.get('root')!.relativeStart).toBe(100);
  });

  it('prefers CHILD_OF over FOLLOWS_FROM when both resolve', () => {
    const raw = jaegerTrace([
      { id: 'a', start: 0, dur: 10 },
      { id: 'b', start: 1, dur: 10 },
      { id: 'c', start: 2, dur: 1 },
    ]);
    raw.spans[2].references = [
      { refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID: 'a' },
      { refType: 'CHILD_OF', traceID: TRACE_ID, spanID: 'b' },
    ];
    const t = buildTrace(raw);
    expect(t.byID.get('c')!.parentID).toBe('b');
  });

  it('makes orphans (parent not in the trace) roots and flags them', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'root', start: 0, dur: 100 },
      { id: 'orphan', parent: 'missing', start: 50, dur: 10 },
    ]));
    expect(t.rootIDs).toEqual(['root', 'orphan']);
    expect(t.byID.get('orphan')!.orphan).toBe(true);
    expect(t.byID.get('orphan')!.depth).toBe(0);
    expect(t.byID.get('root')!.orphan).toBe(false);
  });

  it('renames duplicate span IDs and keeps the first as the reference target', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'x', start: 0, dur: 100 },
      { id: 'x', start: 10, dur: 10 },
      { id: 'y', parent: 'x', start: 20, dur: 10 },
    ]));
    expect(new Set(ids(t.spans))).toEqual(new Set(['x', 'x_1', 'y']));
    expect(t.byID.get('y')!.parentID).toBe('x');
    expect(t.byID.get('x_1')!.originalSpanID).toBe('x');
    expect(t.warnings.some((w) => /duplicate/.test(w))).toBe(true);
  });

  it('breaks reference cycles instead of losing or looping on spans', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'a', parent: 'b', start: 0, dur: 10 },
      { id: 'b', parent: 'a', start: 5, dur: 10 },
      { id: 's', parent: 's', start: 7, dur: 1 },
    ]));
    expect(t.spans).toHaveLength(3);
    expect(new Set(ids(t.spans))).toEqual(new Set(['a', 'b', 's']));
    expect(t.byID.get('s')!.parentID).toBeNull();
    expect(t.warnings.some((w) => /cycle/.test(w))).toBe(true);
  });

  it('tolerates missing fields and drops spans without a start time', () => {
    const raw = jaegerTrace([{ id: 'a', start: 0, dur: 10 }]);
    const bad = { ...raw.spans[0], spanID: 'b', startTime: undefined as unknown as number };
    const noTags = { ...raw.spans[0], spanID: 'c', tags: null, logs: undefined, references: null, processID: 'nope' };
    raw.spans.push(bad, noTags);
    const t = buildTrace(raw);
    expect(ids(t.spans)).toEqual(['a', 'c']);
    expect(t.byID.get('c')!.serviceName).toBe('unknown');
    expect(t.byID.get('c')!.tags).toEqual([]);
  });

  it('marks error spans from error=true or otel.status_code=ERROR', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'a', start: 0, dur: 10, tags: [{ key: 'error', type: 'bool', value: true }] },
      { id: 'b', parent: 'a', start: 0, dur: 1, tags: [{ key: 'otel.status_code', type: 'string', value: 'ERROR' }] },
      { id: 'c', parent: 'a', start: 0, dur: 1, tags: [{ key: 'error', type: 'bool', value: false }] },
    ]));
    expect(t.errorCount).toBe(2);
    expect(t.byID.get('c')!.hasError).toBe(false);
  });

  it('handles a 10,000-deep chain without recursion', () => {
    const specs = Array.from({ length: 10000 }, (_, i) => ({
      id: `s${i}`, parent: i ? `s${i - 1}` : undefined, start: i, dur: 10000 - i,
    }));
    const t = buildTrace(jaegerTrace(specs));
    expect(t.depth).toBe(10000);
    expect(t.spans[9999].spanID).toBe('s9999');
  });
});

describe('visibleSpans and ancestors', () => {
  const t = buildTrace(jaegerTrace([
    { id: 'r', start: 0, dur: 100 },
    { id: 'a', parent: 'r', start: 1, dur: 10 },
    { id: 'a1', parent: 'a', start: 2, dur: 1 },
    { id: 'a2', parent: 'a', start: 3, dur: 1 },
    { id: 'b', parent: 'r', start: 20, dur: 10 },
  ]));
  it('hides the subtrees of collapsed spans only', () => {
    expect(ids(visibleSpans(t, new Set()))).toEqual(['r', 'a', 'a1', 'a2', 'b']);
    expect(ids(visibleSpans(t, new Set(['a'])))).toEqual(['r', 'a', 'b']);
    expect(ids(visibleSpans(t, new Set(['r'])))).toEqual(['r']);
    expect(ids(visibleSpans(t, new Set(['a2'])))).toEqual(['r', 'a', 'a1', 'a2', 'b']);
  });
  it('lists ancestors nearest first', () => {
    expect(ids(ancestors(t, 'a2'))).toEqual(['a', 'r']);
    expect(ancestors(t, 'r')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import { criticalPath, criticalPathBySpan } from './criticalPath';
import { buildTrace } from './trace';

const total = (segs: { start: number; end: number }[]) => segs.reduce((s, x) => s + x.end - x.start, 0);

describe('criticalPath', () => {
  it('follows the last-finishing child and gives gaps to the parent', () => {
    // root 0..100; a 10..40; b 30..90 (finishes last); b1 40..60 inside b.
    const t = buildTrace(jaegerTrace([
      { id: 'root', start: 0, dur: 100 },
      { id: 'a', parent: 'root', start: 10, dur: 30 },
      { id: 'b', parent: 'root', start: 30, dur: 60 },
      { id: 'b1', parent: 'b', start: 40, dur: 20 },
    ]));
    const segs = criticalPath(t);
    expect(segs).toEqual([
      { spanID: 'root', start: 0, end: 10 },
      { spanID: 'a', start: 10, end: 30 },
      { spanID: 'b', start: 30, end: 40 },
      { spanID: 'b1', start: 40, end: 60 },
      { spanID: 'b', start: 60, end: 90 },
      { spanID: 'root', start: 90, end: 100 },
    ]);
    expect(total(segs)).toBe(100);
  });

  it('clips children that outlive their parent and skips fully overlapped siblings', () => {
    const t = buildTrace(jaegerTrace([
      { id: 'root', start: 0, dur: 100 },
      { id: 'long', parent: 'root', start: 50, dur: 200 }, // ends after the root
      { id: 'hidden', parent: 'root', start: 60, dur: 10 }, // inside "long": not critical
    ]));
    const by = criticalPathBySpan(criticalPath(t));
    expect(by.get('long')).toEqual([{ spanID: 'long', start: 50, end: 100 }]);
    expect(by.has('hidden')).toBe(false);
    expect(by.get('root')).toEqual([{ spanID: 'root', start: 0, end: 50 }]);
  });

  it('is the whole root for a single span and empty for no spans', () => {
    expect(criticalPath(buildTrace(jaegerTrace([{ id: 'r', start: 5, dur: 7 }]))))
      .toEqual([{ spanID: 'r', start: 5, end: 12 }]);
    expect(criticalPath(buildTrace(jaegerTrace([])))).toEqual([]);
  });

  it('covers the whole root duration on a deep chain', () => {
    const specs = Array.from({ length: 5000 }, (_, i) => ({
      id: `s${i}`, parent: i ? `s${i - 1}` : undefined, start: i, dur: 20000 - 2 * i,
    }));
    const segs = criticalPath(buildTrace(jaegerTrace(specs)));
    expect(total(segs)).toBe(20000);
    expect(new Set(segs.map((s) => s.spanID)).size).toBe(5000);
  });
});

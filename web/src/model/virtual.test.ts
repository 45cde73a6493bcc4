import { describe, expect, it } from 'vitest';
import { scrollToReveal, virtualWindow } from './virtual';

describe('virtualWindow', () => {
  it('renders only the visible rows plus overscan', () => {
    expect(virtualWindow(10000, 24, 0, 240, 5)).toEqual({ start: 0, end: 15, offsetTop: 0, totalHeight: 240000 });
    const w = virtualWindow(10000, 24, 2400, 240, 5);
    expect(w).toEqual({ start: 95, end: 115, offsetTop: 95 * 24, totalHeight: 240000 });
  });
  it('handles partial rows at the edges', () => {
    // scrollTop 12: rows 0 (half) .. 10 (half) are visible.
    expect(virtualWindow(100, 24, 12, 240, 0)).toMatchObject({ start: 0, end: 11 });
  });
  it('clamps to the end and to bad scroll positions', () => {
    expect(virtualWindow(100, 24, 1e9, 240, 2)).toMatchObject({ start: 88, end: 100 });
    expect(virtualWindow(100, 24, -50, 240, 2)).toMatchObject({ start: 0, end: 12 });
    expect(virtualWindow(3, 24, 0, 1000, 5)).toMatchObject({ start: 0, end: 3 });
    expect(virtualWindow(0, 24, 0, 1000)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });
  it('never renders more than the viewport needs, whatever the list size', () => {
    for (const n of [10, 1000, 100000]) {
      const w = virtualWindow(n, 20, n * 7, 600, 4);
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(600 / 20) + 1 + 8);
    }
  });
});

describe('scrollToReveal', () => {
  it('scrolls the least needed', () => {
    expect(scrollToReveal(5, 24, 0, 240)).toBe(0); // already visible
    expect(scrollToReveal(20, 24, 0, 240)).toBe(21 * 24 - 240); // below: align bottom
    expect(scrollToReveal(2, 24, 200, 240)).toBe(48); // above: align top
  });
});

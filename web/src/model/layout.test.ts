import { describe, expect, it } from 'vitest';
import { assignLayers, layoutGraph } from './layout';

describe('assignLayers', () => {
  it('puts every node after its callers (longest path)', () => {
    const l = assignLayers(['a', 'b', 'c', 'd'], [
      { from: 'a', to: 'b', count: 1 }, { from: 'b', to: 'c', count: 1 }, { from: 'a', to: 'c', count: 1 },
    ]);
    expect([l.get('a'), l.get('b'), l.get('c'), l.get('d')]).toEqual([0, 1, 2, 0]);
  });
  it('terminates on cycles and self-loops', () => {
    const l = assignLayers(['a', 'b', 'c'], [
      { from: 'a', to: 'b', count: 1 }, { from: 'b', to: 'c', count: 1 }, { from: 'c', to: 'a', count: 1 },
      { from: 'b', to: 'b', count: 1 },
    ]);
    expect(new Set(l.values()).size).toBe(3);
  });
});

describe('layoutGraph', () => {
  it('places nodes without overlap and routes every edge', () => {
    const names = ['gw', 'auth', 'orders', 'db', 'cache', 'pay'];
    const edges = [
      { from: 'gw', to: 'auth', count: 3 }, { from: 'gw', to: 'orders', count: 5 },
      { from: 'orders', to: 'db', count: 9 }, { from: 'auth', to: 'db', count: 2 },
      { from: 'orders', to: 'pay', count: 1 }, { from: 'pay', to: 'orders', count: 1 },
      { from: 'auth', to: 'cache', count: 4 },
    ];
    const g = layoutGraph(names, edges);
    expect(g.nodes.map((n) => n.id).sort()).toEqual([...names].sort());
    expect(g.edges).toHaveLength(edges.length);
    for (const a of g.nodes) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.x + a.width).toBeLessThanOrEqual(g.width);
      expect(a.y + a.height).toBeLessThanOrEqual(g.height);
      for (const b of g.nodes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap).toBe(false);
      }
    }
    const at = (id: string) => g.nodes.find((n) => n.id === id)!;
    expect(at('gw').x).toBeLessThan(at('orders').x);
    expect(at('orders').x).toBeLessThan(at('db').x);
    expect(g.edges.filter((e) => e.back)).toHaveLength(1);
  });
});

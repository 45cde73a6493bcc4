// A small layered (Sugiyama-style) layout for the service dependency graph, left to right:
// cycles are broken by reversing DFS back edges, layers come from the longest path from a
// source, the order within layers from a few barycenter sweeps, then coordinates.

export interface GraphEdge {
  from: string;
  to: string;
  count: number;
}

export interface PlacedNode {
  id: string;
  layer: number;
  order: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge extends GraphEdge {
  /** SVG path data from the source's right side to the target's left side. */
  path: string;
  labelX: number;
  labelY: number;
  /** The edge goes backwards (part of a cycle) or to itself. */
  back: boolean;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  nodeHeight: number;
  charWidth: number;
  nodePadding: number;
  layerGap: number;
  rowGap: number;
  margin: number;
}

const DEFAULTS: LayoutOptions = {
  nodeHeight: 32, charWidth: 7.2, nodePadding: 24, layerGap: 110, rowGap: 22, margin: 20,
};

/** Layer of each node: longest path from a source after removing DFS back edges. */
export function assignLayers(nodes: string[], edges: GraphEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n, []);
  for (const e of edges) if (e.from !== e.to && out.has(e.from) && out.has(e.to)) out.get(e.from)!.push(e.to);
  // Iterative DFS marking back edges (edges into a node on the current DFS stack).
  const state = new Map<string, 0 | 1 | 2>();
  const forward = new Map<string, string[]>();
  for (const n of nodes) forward.set(n, []);
  for (const start of nodes) {
    if (state.get(start)) continue;
    const stack: Array<{ n: string; i: number }> = [{ n: start, i: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = out.get(top.n)!;
      if (top.i < succ.length) {
        const m = succ[top.i++];
        const st = state.get(m) ?? 0;
        if (st === 1) continue; // back edge: dropped for layering
        forward.get(top.n)!.push(m);
        if (st === 0) {
          state.set(m, 1);
          stack.push({ n: m, i: 0 });
        }
      } else {
        state.set(top.n, 2);
        stack.pop();
      }
    }
  }
  // Kahn's order over the acyclic forward edges.
  const indeg = new Map<string, number>();
  for (const n of nodes) indeg.set(n, 0);
  for (const [, succ] of forward) for (const m of succ) indeg.set(m, indeg.get(m)! + 1);
  const layer = new Map<string, number>();
  const queue = nodes.filter((n) => indeg.get(n) === 0);
  for (const n of queue) layer.set(n, 0);
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi];
    for (const m of forward.get(n)!) {
      layer.set(m, Math.max(layer.get(m) ?? 0, layer.get(n)! + 1));
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) queue.push(m);
    }
  }
  return layer;
}

export function layoutGraph(nodeIds: string[], edges: GraphEdge[],
  options: Partial<LayoutOptions> = {}): GraphLayout {
  const o = { ...DEFAULTS, ...options };
  const nodes = [...new Set(nodeIds)].sort((a, b) => a.localeCompare(b));
  const layerOf = assignLayers(nodes, edges);
  const layers: string[][] = [];
  for (const n of nodes) {
    const l = layerOf.get(n) ?? 0;
    while (layers.length <= l) layers.push([]);
    layers[l].push(n);
  }
  const neighbors = new Map<string, string[]>();
  for (const n of nodes) neighbors.set(n, []);
  for (const e of edges) {
    if (e.from === e.to || !neighbors.has(e.from) || !neighbors.has(e.to)) continue;
    neighbors.get(e.from)!.push(e.to);
    neighbors.get(e.to)!.push(e.from);
  }
  const pos = new Map<string, number>();
  const index = () => layers.forEach((ls) => ls.forEach((n, i) => pos.set(n, i / Math.max(1, ls.length - 1 || 1))));
  index();
  // Barycenter sweeps: order each layer by the mean position of its neighbours in the
  // adjacent layer, alternating down and up.
  for (let iter = 0; iter < 8; iter++) {
    const down = iter % 2 === 0;
    const seq = down ? layers.map((_, i) => i) : layers.map((_, i) => layers.length - 1 - i);
    for (const li of seq) {
      const ref = down ? li - 1 : li + 1;
      if (ref < 0 || ref >= layers.length) continue;
      const bary = new Map<string, number>();
      for (const n of layers[li]) {
        const adj = neighbors.get(n)!.filter((m) => layerOf.get(m) === ref);
        bary.set(n, adj.length ? adj.reduce((s, m) => s + pos.get(m)!, 0) / adj.length : pos.get(n)!);
      }
      layers[li].sort((a, b) => bary.get(a)! - bary.get(b)! || a.localeCompare(b));
      layers[li].forEach((n, i) => pos.set(n, i / Math.max(1, layers[li].length - 1)));
    }
  }

  const width = (id: string) => Math.round(id.length * o.charWidth + o.nodePadding);
  const layerWidths = layers.map((ls) => Math.max(0, ...ls.map(width)));
  const tallest = Math.max(0, ...layers.map((ls) => ls.length));
  const totalHeight = tallest * o.nodeHeight + Math.max(0, tallest - 1) * o.rowGap;
  const placed = new Map<string, PlacedNode>();
  let x = o.margin;
  layers.forEach((ls, li) => {
    const h = ls.length * o.nodeHeight + Math.max(0, ls.length - 1) * o.rowGap;
    let y = o.margin + (totalHeight - h) / 2;
    ls.forEach((id, order) => {
      const w = width(id);
      placed.set(id, { id, layer: li, order, x: x + (layerWidths[li] - w) / 2, y, width: w, height: o.nodeHeight });
      y += o.nodeHeight + o.rowGap;
    });
    x += layerWidths[li] + o.layerGap;
  });
  const graphWidth = Math.max(x - o.layerGap + o.margin, 2 * o.margin);
  const graphHeight = totalHeight + 2 * o.margin;

  const placedEdges: PlacedEdge[] = [];
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    if (a === b) {
      const sx = a.x + a.width - 10;
      const sy = a.y;
      placedEdges.push({ ...e, back: true, labelX: sx + 14, labelY: sy - 18,
        path: `M ${sx} ${sy} C ${sx + 30} ${sy - 34}, ${sx - 40} ${sy - 34}, ${sx - 20} ${sy}` });
      continue;
    }
    const back = b.layer <= a.layer;
    const sx = a.x + a.width;
    const sy = a.y + a.height / 2;
    const tx = b.x;
    const ty = b.y + b.height / 2;
    if (!back) {
      const dx = Math.max(40, (tx - sx) / 2);
      placedEdges.push({ ...e, back, labelX: (sx + tx) / 2, labelY: (sy + ty) / 2 - 4,
        path: `M ${sx} ${sy} C ${sx + dx} ${sy}, ${tx - dx} ${ty}, ${tx} ${ty}` });
    } else {
      // Backward edge: leave from the bottom of the source, arrive at the bottom of the target.
      const bx = a.x + a.width / 2;
      const by = a.y + a.height;
      const ex = b.x + b.width / 2;
      const ey = b.y + b.height;
      const dip = Math.max(by, ey) + 40;
      placedEdges.push({ ...e, back, labelX: (bx + ex) / 2, labelY: dip - 8,
        path: `M ${bx} ${by} C ${bx} ${dip}, ${ex} ${dip}, ${ex} ${ey}` });
    }
  }
  const hasBack = placedEdges.some((e) => e.back);
  return {
    nodes: [...placed.values()], edges: placedEdges, width: graphWidth,
    height: graphHeight + (hasBack ? 44 : 0),
  };
}

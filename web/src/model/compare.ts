// Structural diff of two traces: spans are matched by their path of "service operation" from
// the root, so the result shows which calls exist only in A, only in B, or in both (with how
// many times each, and their total durations).
import type { Span, Trace } from './trace';

export type DiffStatus = 'only-a' | 'only-b' | 'same' | 'changed';

export interface DiffRow {
  /** Path key: ancestors' and own service/operation pairs. */
  key: string;
  service: string;
  operation: string;
  depth: number;
  countA: number;
  countB: number;
  durationA: number;
  durationB: number;
  errorsA: number;
  errorsB: number;
  status: DiffStatus;
}

export interface TraceDiff {
  rows: DiffRow[];
  onlyA: number;
  onlyB: number;
  same: number;
  changed: number;
}

const SEP = '\u0001';

function spanPaths(trace: Trace): Map<string, string> {
  const paths = new Map<string, string>();
  // Depth-first order guarantees parents come first.
  for (const s of trace.spans) {
    const own = `${s.serviceName}\u0000${s.operationName}`;
    const parent = s.parentID !== null ? paths.get(s.parentID) : undefined;
    paths.set(s.spanID, parent !== undefined ? `${parent}${SEP}${own}` : own);
  }
  return paths;
}

interface Node {
  row: DiffRow;
  children: string[];
}

export function diffTraces(a: Trace, b: Trace): TraceDiff {
  const nodes = new Map<string, Node>();
  const roots: string[] = [];
  const visit = (t: Trace, side: 'A' | 'B') => {
    const paths = spanPaths(t);
    for (const s of t.spans) {
      const key = paths.get(s.spanID)!;
      let node = nodes.get(key);
      if (!node) {
        node = { row: newRow(key, s), children: [] };
        nodes.set(key, node);
        const parentKey = s.parentID !== null ? paths.get(s.parentID) : undefined;
        if (parentKey !== undefined) nodes.get(parentKey)!.children.push(key);
        else roots.push(key);
      }
      if (side === 'A') {
        node.row.countA++;
        node.row.durationA += s.duration;
        if (s.hasError) node.row.errorsA++;
      } else {
        node.row.countB++;
        node.row.durationB += s.duration;
        if (s.hasError) node.row.errorsB++;
      }
    }
  };
  visit(a, 'A');
  visit(b, 'B');
  const rows: DiffRow[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const n = nodes.get(stack.pop()!)!;
    rows.push(n.row);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  const diff: TraceDiff = { rows, onlyA: 0, onlyB: 0, same: 0, changed: 0 };
  for (const r of rows) {
    r.status = r.countB === 0 ? 'only-a' : r.countA === 0 ? 'only-b'
      : r.countA === r.countB ? 'same' : 'changed';
    if (r.status === 'only-a') diff.onlyA++;
    else if (r.status === 'only-b') diff.onlyB++;
    else if (r.status === 'same') diff.same++;
    else diff.changed++;
  }
  return diff;
}

function newRow(key: string, s: Span): DiffRow {
  return {
    key, service: s.serviceName, operation: s.operationName,
    depth: key.split(SEP).length - 1,
    countA: 0, countB: 0, durationA: 0, durationB: 0, errorsA: 0, errorsB: 0, status: 'same',
  };
}

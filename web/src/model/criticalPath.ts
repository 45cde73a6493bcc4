// The critical path of a trace: the chain of work that determined its end-to-end latency.
// Walking back from a span's end, the child that finished last (before the cursor) is on the
// path; the time between it and the cursor is the parent's own work; then the cursor moves to
// that child's start. Children are clipped to their parent. Iterative (deep trees are fine).
import type { Span, Trace } from './trace';

export interface PathSegment {
  spanID: string;
  /** Absolute µs. */
  start: number;
  end: number;
}

interface Frame {
  span: Span;
  children: Span[];
  next: number;
  cursor: number;
}

export function criticalPath(trace: Trace): PathSegment[] {
  if (trace.rootIDs.length === 0) return [];
  // The root whose subtree ends last decides the trace's latency.
  let root = trace.byID.get(trace.rootIDs[0])!;
  for (const id of trace.rootIDs) {
    const s = trace.byID.get(id)!;
    if (s.startTime + s.duration > root.startTime + root.duration) root = s;
  }
  const segments: PathSegment[] = [];
  const push = (spanID: string, start: number, end: number) => {
    if (end > start) segments.push({ spanID, start, end });
  };
  const frame = (span: Span, bound: number): Frame => {
    const end = Math.min(span.startTime + span.duration, bound);
    const children = span.childIDs.map((id) => trace.byID.get(id)!)
      .filter((c) => c.startTime < end && c.startTime + c.duration > span.startTime)
      .sort((a, b) => (b.startTime + b.duration) - (a.startTime + a.duration));
    return { span, children, next: 0, cursor: end };
  };
  const stack: Frame[] = [frame(root, Infinity)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    let descended = false;
    while (f.next < f.children.length) {
      const c = f.children[f.next++];
      if (c.startTime >= f.cursor) continue; // overlaps a child already on the path
      const childEnd = Math.min(c.startTime + c.duration, f.cursor);
      push(f.span.spanID, childEnd, f.cursor);
      f.cursor = Math.max(c.startTime, f.span.startTime);
      stack.push(frame(c, childEnd));
      descended = true;
      break;
    }
    if (descended) continue;
    push(f.span.spanID, f.span.startTime, f.cursor);
    stack.pop();
  }
  return segments.sort((a, b) => a.start - b.start);
}

/** Critical-path segments grouped by span. */
export function criticalPathBySpan(segments: PathSegment[]): Map<string, PathSegment[]> {
  const m = new Map<string, PathSegment[]>();
  for (const s of segments) {
    const list = m.get(s.spanID);
    if (list) list.push(s);
    else m.set(s.spanID, [s]);
  }
  return m;
}

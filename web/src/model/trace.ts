// The internal trace model the views use, built from a Jaeger UI trace (jaeger-compat §2.4):
// spans resolved to their process, parent chosen from references, the span tree in depth-first
// order (children by start time, never adjusted for clock skew) and trace-level summaries.
// Input is untrusted: missing fields, unknown parents, duplicate IDs and reference cycles are
// tolerated and reported as warnings rather than failures.
import type { JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTrace, KeyValue }
  from '../api/types';

export interface Process {
  serviceName: string;
  tags: KeyValue[];
}

export interface Span {
  /** Unique within the trace; a duplicate span ID gets a suffix "_1", "_2"… */
  spanID: string;
  originalSpanID: string;
  traceID: string;
  operationName: string;
  serviceName: string;
  process: Process;
  startTime: number;
  duration: number;
  /** Start relative to the trace start, µs. */
  relativeStart: number;
  tags: KeyValue[];
  logs: JaegerLog[];
  references: JaegerReference[];
  warnings: string[];
  parentID: string | null;
  /** The span names a parent that is not in the trace. */
  orphan: boolean;
  childIDs: string[];
  depth: number;
  /** Index in Trace.spans (depth-first order). */
  index: number;
  /** Index one past the last span of this span's subtree in Trace.spans. */
  subtreeEnd: number;
  hasError: boolean;
  kind: string;
}

export interface ServiceSummary {
  name: string;
  spanCount: number;
  errorCount: number;
}

export interface Trace {
  traceID: string;
  /** Depth-first order: a span's subtree is spans[index, subtreeEnd). */
  spans: Span[];
  byID: Map<string, Span>;
  rootIDs: string[];
  startTime: number;
  endTime: number;
  duration: number;
  services: ServiceSummary[];
  /** Number of levels of the span tree (a lone root has depth 1). */
  depth: number;
  errorCount: number;
  rootServiceName: string;
  rootOperationName: string;
  warnings: string[];
  raw: JaegerTrace;
}

function num(v: unknown, fallback = 0): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}

function asArray<T>(v: T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

export function tagValue(tags: KeyValue[], key: string): KeyValue['value'] | undefined {
  for (const t of tags) if (t.key === key) return t.value;
  return undefined;
}

/** Error as the Jaeger UI and OTel see it: tag error=true or otel.status_code=ERROR. */
export function isErrorSpan(tags: KeyValue[]): boolean {
  const err = tagValue(tags, 'error');
  if (err === true || err === 'true') return true;
  const status = tagValue(tags, 'otel.status_code');
  return typeof status === 'string' && status.toUpperCase() === 'ERROR';
}

function resolveProcess(span: JaegerSpan, processes: Record<string, JaegerProcess>): Process {
  const p = span.process ?? (span.processID ? processes[span.processID] : undefined);
  return {
    serviceName: typeof p?.serviceName === 'string' && p.serviceName ? p.serviceName : 'unknown',
    tags: asArray(p?.tags),
  };
}

/** Picks the parent: the first CHILD_OF reference to a span in the trace, else FOLLOWS_FROM. */
function pickParent(refs: JaegerReference[], known: Map<string, number>): {
  parent: string | null; orphan: boolean;
} {
  let follows: string | null = null;
  for (const r of refs) {
    if (!known.has(r.spanID)) continue;
    if (r.refType === 'CHILD_OF') return { parent: r.spanID, orphan: false };
    if (follows === null) follows = r.spanID;
  }
  if (follows !== null) return { parent: follows, orphan: false };
  return { parent: null, orphan: refs.some((r) => r.refType === 'CHILD_OF' || r.refType === 'FOLLOWS_FROM') };
}

export function buildTrace(raw: JaegerTrace): Trace {
  const processes = raw.processes && typeof raw.processes === 'object' ? raw.processes : {};
  const warnings: string[] = [...asArray(raw.warnings)];
  const input = asArray(raw.spans).filter(
    (s) => s && typeof s.spanID === 'string' && Number.isFinite(num(s.startTime, NaN)));
  if (input.length < asArray(raw.spans).length) {
    warnings.push(`${asArray(raw.spans).length - input.length} span(s) without ID or start time dropped`);
  }

  // Unique IDs: the first occurrence keeps its ID (so references resolve to it).
  const seen = new Map<string, number>();
  const ids: string[] = [];
  let duplicates = 0;
  for (const s of input) {
    const n = seen.get(s.spanID);
    if (n === undefined) {
      seen.set(s.spanID, 1);
      ids.push(s.spanID);
    } else {
      let k = n;
      let id = `${s.spanID}_${k}`;
      while (seen.has(id)) id = `${s.spanID}_${++k}`;
      seen.set(s.spanID, k + 1);
      seen.set(id, 1);
      ids.push(id);
      duplicates++;
    }
  }
  if (duplicates > 0) warnings.push(`${duplicates} duplicate span ID(s) renamed with a suffix`);
  const known = new Map<string, number>();
  ids.forEach((id, i) => known.set(id, i));

  let traceStart = Infinity;
  let traceEnd = -Infinity;
  const spans: Span[] = input.map((s, i) => {
    const process = resolveProcess(s, processes);
    const tags = asArray(s.tags);
    const refs = asArray(s.references);
    const startTime = num(s.startTime);
    const duration = Math.max(0, num(s.duration));
    traceStart = Math.min(traceStart, startTime);
    traceEnd = Math.max(traceEnd, startTime + duration);
    const { parent, orphan } = pickParent(refs, known);
    const kind = tagValue(tags, 'span.kind');
    return {
      spanID: ids[i],
      originalSpanID: s.spanID,
      traceID: typeof s.traceID === 'string' ? s.traceID : String(raw.traceID ?? ''),
      operationName: typeof s.operationName === 'string' ? s.operationName : '',
      serviceName: process.serviceName,
      process,
      startTime,
      duration,
      relativeStart: 0,
      tags,
      logs: asArray(s.logs),
      references: refs,
      warnings: asArray(s.warnings).map(String),
      parentID: parent === ids[i] ? null : parent,
      orphan,
      childIDs: [],
      depth: 0,
      index: 0,
      subtreeEnd: 0,
      hasError: isErrorSpan(tags),
      kind: typeof kind === 'string' ? kind : '',
    };
  });
  if (spans.length === 0) {
    traceStart = 0;
    traceEnd = 0;
  }

  const byID = new Map<string, Span>();
  for (const s of spans) byID.set(s.spanID, s);
  const byStart = (a: Span, b: Span) =>
    a.startTime - b.startTime || known.get(a.spanID)! - known.get(b.spanID)!;

  for (const s of spans) {
    s.relativeStart = s.startTime - traceStart;
    if (s.parentID !== null) byID.get(s.parentID)!.childIDs.push(s.spanID);
  }
  for (const s of spans) {
    if (s.childIDs.length > 1) {
      s.childIDs.sort((a, b) => byStart(byID.get(a)!, byID.get(b)!));
    }
  }

  // Depth-first order, iteratively (a 10,000-deep chain must not overflow the stack). Spans
  // caught in a reference cycle are unreachable from any root: the earliest of them is cut
  // loose and becomes a root, until every span is placed.
  const ordered: Span[] = [];
  const visited = new Set<string>();
  const rootIDs: string[] = [];
  const place = (root: Span) => {
    rootIDs.push(root.spanID);
    const stack: Array<{ span: Span; depth: number; child: number }> = [];
    const enter = (span: Span, depth: number) => {
      visited.add(span.spanID);
      span.depth = depth;
      span.index = ordered.length;
      ordered.push(span);
      stack.push({ span, depth, child: 0 });
    };
    enter(root, 0);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.child < top.span.childIDs.length) {
        const child = byID.get(top.span.childIDs[top.child++])!;
        if (!visited.has(child.spanID)) enter(child, top.depth + 1);
      } else {
        top.span.subtreeEnd = ordered.length;
        stack.pop();
      }
    }
  };
  const roots = spans.filter((s) => s.parentID === null).sort(byStart);
  for (const r of roots) place(r);
  if (ordered.length < spans.length) {
    const rest = spans.filter((s) => !visited.has(s.spanID)).sort(byStart);
    let cut = 0;
    for (const s of rest) {
      if (visited.has(s.spanID)) continue;
      const parent = byID.get(s.parentID!);
      if (parent) parent.childIDs = parent.childIDs.filter((c) => c !== s.spanID);
      s.parentID = null;
      cut++;
      place(s);
    }
    warnings.push(`${cut} reference cycle(s) broken`);
  }

  const services = new Map<string, ServiceSummary>();
  let errorCount = 0;
  let maxDepth = 0;
  for (const s of ordered) {
    let svc = services.get(s.serviceName);
    if (!svc) {
      svc = { name: s.serviceName, spanCount: 0, errorCount: 0 };
      services.set(s.serviceName, svc);
    }
    svc.spanCount++;
    if (s.hasError) {
      svc.errorCount++;
      errorCount++;
    }
    maxDepth = Math.max(maxDepth, s.depth + 1);
  }
  const root = ordered[0];
  return {
    traceID: String(raw.traceID ?? root?.traceID ?? '').toLowerCase(),
    spans: ordered,
    byID,
    rootIDs,
    startTime: traceStart,
    endTime: traceEnd,
    duration: traceEnd - traceStart,
    services: [...services.values()].sort((a, b) => a.name.localeCompare(b.name)),
    depth: maxDepth,
    errorCount,
    rootServiceName: root ? root.serviceName : '',
    rootOperationName: root ? root.operationName : '',
    warnings,
    raw,
  };
}

/** The rows shown when the given spans are collapsed: depth-first order minus their subtrees. */
export function visibleSpans(trace: Trace, collapsed: ReadonlySet<string>): Span[] {
  const out: Span[] = [];
  const spans = trace.spans;
  for (let i = 0; i < spans.length;) {
    const s = spans[i];
    out.push(s);
    i = collapsed.has(s.spanID) ? s.subtreeEnd : i + 1;
  }
  return out;
}

/** The chain of ancestors of a span, nearest first. */
export function ancestors(trace: Trace, spanID: string): Span[] {
  const out: Span[] = [];
  let cur = trace.byID.get(spanID);
  while (cur && cur.parentID !== null) {
    const p = trace.byID.get(cur.parentID);
    if (!p) break;
    out.push(p);
    cur = p;
  }
  return out;
}

// Per-service and per-operation statistics of one trace: span count, total, average, min and
// max duration, self time (duration not covered by the span's children) and errors.
import type { Span, Trace } from './trace';

export interface StatsRow {
  service: string;
  /** "" for the service's summary row. */
  operation: string;
  count: number;
  total: number;
  avg: number;
  min: number;
  max: number;
  selfTotal: number;
  errors: number;
}

/** Time inside [span.start, span.end] not covered by any child (children clipped to it). */
export function selfTime(trace: Trace, span: Span): number {
  const s0 = span.startTime;
  const s1 = span.startTime + span.duration;
  const ivs: Array<[number, number]> = [];
  for (const id of span.childIDs) {
    const c = trace.byID.get(id);
    if (!c) continue;
    const a = Math.max(s0, c.startTime);
    const b = Math.min(s1, c.startTime + c.duration);
    if (b > a) ivs.push([a, b]);
  }
  ivs.sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of ivs) {
    if (a > curB) {
      if (curB > curA) covered += curB - curA;
      curA = a;
      curB = b;
    } else if (b > curB) {
      curB = b;
    }
  }
  if (curB > curA) covered += curB - curA;
  return span.duration - covered;
}

function newRow(service: string, operation: string): StatsRow {
  return { service, operation, count: 0, total: 0, avg: 0, min: Infinity, max: 0, selfTotal: 0, errors: 0 };
}

function add(row: StatsRow, d: number, self: number, err: boolean) {
  row.count++;
  row.total += d;
  row.min = Math.min(row.min, d);
  row.max = Math.max(row.max, d);
  row.selfTotal += self;
  if (err) row.errors++;
}

/**
 * Rows grouped by service: each service's summary row (operation "") followed by its
 * operations, services and operations in name order.
 */
export function traceStats(trace: Trace): StatsRow[] {
  const services = new Map<string, { summary: StatsRow; ops: Map<string, StatsRow> }>();
  for (const s of trace.spans) {
    let g = services.get(s.serviceName);
    if (!g) {
      g = { summary: newRow(s.serviceName, ''), ops: new Map() };
      services.set(s.serviceName, g);
    }
    let op = g.ops.get(s.operationName);
    if (!op) {
      op = newRow(s.serviceName, s.operationName);
      g.ops.set(s.operationName, op);
    }
    const self = selfTime(trace, s);
    add(g.summary, s.duration, self, s.hasError);
    add(op, s.duration, self, s.hasError);
  }
  const out: StatsRow[] = [];
  for (const name of [...services.keys()].sort((a, b) => a.localeCompare(b))) {
    const g = services.get(name)!;
    out.push(g.summary);
    const ops = [...g.ops.values()].sort((a, b) => a.operation.localeCompare(b.operation));
    out.push(...ops);
  }
  for (const r of out) r.avg = r.count ? r.total / r.count : 0;
  return out;
}

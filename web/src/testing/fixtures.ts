// Test helpers: compact builders of Jaeger UI traces.
import type { JaegerSpan, JaegerTrace, KeyValue } from '../api/types';

export interface SpanSpec {
  id: string;
  parent?: string;
  refType?: 'CHILD_OF' | 'FOLLOWS_FROM';
  svc?: string;
  op?: string;
  start: number;
  dur: number;
  tags?: KeyValue[];
}

export const TRACE_ID = '00000000000000000000000000000abc';

export function jaegerTrace(specs: SpanSpec[]): JaegerTrace {
  const services = [...new Set(specs.map((s) => s.svc ?? 'svc'))];
  const processes: JaegerTrace['processes'] = {};
  services.forEach((s, i) => { processes[`p${i + 1}`] = { serviceName: s, tags: [{ key: 'host', type: 'string', value: `h-${s}` }] }; });
  const spans: JaegerSpan[] = specs.map((s) => ({
    traceID: TRACE_ID,
    spanID: s.id,
    operationName: s.op ?? `op-${s.id}`,
    references: s.parent ? [{ refType: s.refType ?? 'CHILD_OF', traceID: TRACE_ID, spanID: s.parent }] : [],
    startTime: s.start,
    duration: s.dur,
    tags: s.tags ?? [],
    logs: [],
    processID: `p${services.indexOf(s.svc ?? 'svc') + 1}`,
    warnings: null,
  }));
  return { traceID: TRACE_ID, spans, processes, warnings: null };
}

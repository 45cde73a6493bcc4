// Find-in-trace: spans whose service, operation, span ID, attribute/process keys or values, or
// event fields contain every word of the query (case-insensitive). "key=value" words match
// an attribute exactly.
import type { KeyValue } from '../api/types';
import type { Span, Trace } from './trace';

function kvText(kvs: KeyValue[], out: string[]) {
  for (const kv of kvs) {
    out.push(kv.key.toLowerCase());
    out.push(String(kv.value ?? '').toLowerCase());
  }
}

function spanHaystack(s: Span): string[] {
  const out = [s.serviceName.toLowerCase(), s.operationName.toLowerCase(), s.originalSpanID.toLowerCase()];
  kvText(s.tags, out);
  kvText(s.process.tags, out);
  for (const l of s.logs) if (Array.isArray(l.fields)) kvText(l.fields, out);
  return out;
}

function hasPair(s: Span, key: string, value: string): boolean {
  const match = (kv: KeyValue) =>
    kv.key.toLowerCase() === key && String(kv.value ?? '').toLowerCase() === value;
  return s.tags.some(match) || s.process.tags.some(match);
}

/** IDs of matching spans in depth-first order; null when the query is blank. */
export function findSpans(trace: Trace, query: string): string[] | null {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  const out: string[] = [];
  for (const s of trace.spans) {
    const hay = spanHaystack(s);
    const ok = words.every((w) => {
      const eq = w.indexOf('=');
      if (eq > 0) return hasPair(s, w.slice(0, eq), w.slice(eq + 1));
      return hay.some((h) => h.includes(w));
    });
    if (ok) out.push(s.spanID);
  }
  return out;
}

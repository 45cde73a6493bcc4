// Reads a trace file chosen by the user: Jaeger UI JSON ({"data":[trace…]}, a bare trace or an
// array of traces) or OTLP/JSON ({"resourceSpans":[…]}, also newline-delimited). Nothing is
// sent to the server. Errors are readable sentences.
import type { JaegerTrace } from '../api/types';
import { otlpToJaeger } from './otlp';

export interface LoadedFile {
  format: 'jaeger' | 'otlp';
  traces: JaegerTrace[];
  notes: string[];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isJaegerTrace(v: unknown): v is JaegerTrace {
  return isObj(v) && Array.isArray(v.spans);
}

function fromJaeger(list: unknown[]): LoadedFile {
  const traces = list.filter(isJaegerTrace).map((t) => ({
    ...t,
    traceID: String(t.traceID ?? t.spans[0]?.traceID ?? ''),
    processes: isObj(t.processes) ? t.processes : {},
  }));
  const notes = traces.length < list.length ? [`${list.length - traces.length} entries are not traces and were skipped`] : [];
  return { format: 'jaeger', traces, notes };
}

function fromOtlp(docs: unknown[]): LoadedFile {
  const merged = { resourceSpans: docs.flatMap((d) => (isObj(d) && Array.isArray(d.resourceSpans) ? d.resourceSpans : [])) };
  const { traces, skipped } = otlpToJaeger(merged);
  const notes = skipped ? [`${skipped} span(s) with a bad ID or start time were skipped`] : [];
  return { format: 'otlp', traces, notes };
}

export function parseTraceFile(text: string): LoadedFile {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('The file is empty.');
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (e) {
    // Maybe newline-delimited OTLP/JSON.
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim());
    const docs: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      try {
        docs.push(JSON.parse(lines[i]));
      } catch {
        throw new Error(`The file is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
      }
    }
    if (docs.every((d) => isObj(d) && Array.isArray(d.resourceSpans))) return checked(fromOtlp(docs));
    throw new Error('The file holds several JSON documents, but they are not OTLP/JSON.');
  }
  if (isObj(doc) && Array.isArray(doc.resourceSpans)) return checked(fromOtlp([doc]));
  if (isObj(doc) && Array.isArray(doc.data)) return checked(fromJaeger(doc.data));
  if (isJaegerTrace(doc)) return checked(fromJaeger([doc]));
  if (Array.isArray(doc)) return checked(fromJaeger(doc));
  throw new Error('Unrecognised file: expected Jaeger JSON ({"data":[…]} or a trace with "spans") ' +
    'or OTLP/JSON ({"resourceSpans":[…]}).');
}

function checked(f: LoadedFile): LoadedFile {
  const traces = f.traces.filter((t) => t.spans.length > 0);
  if (traces.length === 0) throw new Error('The file contains no spans.');
  return { ...f, traces };
}

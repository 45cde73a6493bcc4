// OTLP/JSON TracesData ({"resourceSpans":[…]}) converted in the browser to Jaeger UI traces,
// following the OTLP → Jaeger mapping of jaeger-compat §1.9: service.name becomes the process,
// other resource attributes its tags; kind, scope and status become span tags; events become
// logs; the parent becomes a CHILD_OF reference and links FOLLOWS_FROM references. IDs may be
// hex (the OTLP/JSON rule) or base64 (protobuf's canonical JSON); both are accepted.
import type { JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTrace, KeyValue }
  from '../api/types';

type Json = unknown;
type Obj = Record<string, Json>;

function obj(v: Json): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: Json): Json[] {
  return Array.isArray(v) ? v : [];
}
function str(v: Json): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

const HEX = /^[0-9a-fA-F]+$/;

/** An OTLP ID (hex, or base64 of the raw bytes) as lower-case hex of `bytes` bytes; "" if bad. */
export function otlpId(v: Json, bytes: number): string {
  const s = str(v);
  if (!s) return '';
  if (s.length === bytes * 2 && HEX.test(s)) return s.toLowerCase();
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    if (bin.length !== bytes) return '';
    let out = '';
    for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return out;
  } catch {
    return '';
  }
}

function isZeroId(id: string): boolean {
  return /^0*$/.test(id);
}

/** Unix nanoseconds (string or number) to microseconds, exactly for decimal strings. */
export function nanosToMicros(v: Json): number {
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    return v.length <= 3 ? 0 : Number(v.slice(0, -3));
  }
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? Math.floor(n / 1000) : NaN;
}

function anyValueToJson(v: Obj): Json {
  if ('stringValue' in v) return str(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('bytesValue' in v) return str(v.bytesValue);
  if ('arrayValue' in v) return arr(obj(v.arrayValue).values).map((x) => anyValueToJson(obj(x)));
  if ('kvlistValue' in v) {
    const out: Record<string, Json> = {};
    for (const kv of arr(obj(v.kvlistValue).values)) {
      const o = obj(kv);
      out[str(o.key)] = anyValueToJson(obj(o.value));
    }
    return out;
  }
  return null;
}

/** One OTLP KeyValue as a Jaeger tag (arrays and maps become JSON strings, as Jaeger does). */
export function otlpKeyValue(kv: Json): KeyValue {
  const o = obj(kv);
  const key = str(o.key);
  const v = obj(o.value);
  if ('stringValue' in v) return { key, type: 'string', value: str(v.stringValue) };
  if ('boolValue' in v) return { key, type: 'bool', value: v.boolValue === true };
  if ('intValue' in v) {
    const n = Number(v.intValue);
    const safe = Number.isSafeInteger(n);
    return { key, type: 'int64', value: safe ? n : str(v.intValue) };
  }
  if ('doubleValue' in v) return { key, type: 'float64', value: Number(v.doubleValue) };
  if ('bytesValue' in v) return { key, type: 'binary', value: str(v.bytesValue) };
  if ('arrayValue' in v || 'kvlistValue' in v) {
    return { key, type: 'string', value: JSON.stringify(anyValueToJson(v)) };
  }
  return { key, type: 'string', value: '' };
}

const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

function spanKind(v: Json): string {
  if (typeof v === 'number') return KINDS[v] ?? '';
  const s = str(v).toUpperCase().replace(/^SPAN_KIND_/, '');
  return ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'].includes(s) ? s.toLowerCase() : '';
}

function statusCode(v: Json): 'OK' | 'ERROR' | '' {
  if (v === 1 || v === 'STATUS_CODE_OK' || v === 'OK') return 'OK';
  if (v === 2 || v === 'STATUS_CODE_ERROR' || v === 'ERROR') return 'ERROR';
  return '';
}

export interface OtlpConversion {
  traces: JaegerTrace[];
  /** Spans skipped for bad IDs or times. */
  skipped: number;
}

export function otlpToJaeger(data: Json): OtlpConversion {
  const byTrace = new Map<string, {
    spans: JaegerSpan[]; processes: Map<string, { id: string; process: JaegerProcess }>;
  }>();
  let skipped = 0;
  for (const rsJ of arr(obj(data).resourceSpans)) {
    const rs = obj(rsJ);
    const resAttrs = arr(obj(rs.resource).attributes).map(otlpKeyValue);
    const svcTag = resAttrs.find((t) => t.key === 'service.name');
    const process: JaegerProcess = {
      serviceName: svcTag && typeof svcTag.value === 'string' && svcTag.value ? svcTag.value : 'unknown_service',
      tags: resAttrs.filter((t) => t.key !== 'service.name'),
    };
    const processKey = JSON.stringify(process);
    const scopes = [...arr(rs.scopeSpans), ...arr(rs.instrumentationLibrarySpans)];
    for (const ssJ of scopes) {
      const ss = obj(ssJ);
      const scope = obj(ss.scope ?? ss.instrumentationLibrary);
      for (const spJ of arr(ss.spans)) {
        const sp = obj(spJ);
        const traceID = otlpId(sp.traceId, 16);
        const spanID = otlpId(sp.spanId, 8);
        const start = nanosToMicros(sp.startTimeUnixNano);
        const end = nanosToMicros(sp.endTimeUnixNano);
        if (!traceID || !spanID || isZeroId(traceID) || !Number.isFinite(start)) {
          skipped++;
          continue;
        }
        const tags: KeyValue[] = [];
        if (str(scope.name)) tags.push({ key: 'otel.scope.name', type: 'string', value: str(scope.name) });
        if (str(scope.version)) tags.push({ key: 'otel.scope.version', type: 'string', value: str(scope.version) });
        tags.push(...arr(sp.attributes).map(otlpKeyValue));
        const kind = spanKind(sp.kind);
        if (kind && kind !== 'internal') tags.push({ key: 'span.kind', type: 'string', value: kind });
        const status = obj(sp.status);
        const code = statusCode(status.code);
        if (code) tags.push({ key: 'otel.status_code', type: 'string', value: code });
        if (code === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true });
        if (str(status.message)) {
          tags.push({ key: 'otel.status_description', type: 'string', value: str(status.message) });
        }
        const references: JaegerReference[] = [];
        const parent = otlpId(sp.parentSpanId, 8);
        if (parent && !isZeroId(parent)) references.push({ refType: 'CHILD_OF', traceID, spanID: parent });
        for (const lJ of arr(sp.links)) {
          const l = obj(lJ);
          const lt = otlpId(l.traceId, 16);
          const ls = otlpId(l.spanId, 8);
          if (lt && ls) references.push({ refType: 'FOLLOWS_FROM', traceID: lt, spanID: ls });
        }
        const logs: JaegerLog[] = arr(sp.events).map((eJ) => {
          const e = obj(eJ);
          const fields: KeyValue[] = [];
          if (str(e.name)) fields.push({ key: 'event', type: 'string', value: str(e.name) });
          fields.push(...arr(e.attributes).map(otlpKeyValue));
          const ts = nanosToMicros(e.timeUnixNano);
          return { timestamp: Number.isFinite(ts) ? ts : start, fields };
        });
        let entry = byTrace.get(traceID);
        if (!entry) {
          entry = { spans: [], processes: new Map() };
          byTrace.set(traceID, entry);
        }
        let proc = entry.processes.get(processKey);
        if (!proc) {
          proc = { id: `p${entry.processes.size + 1}`, process };
          entry.processes.set(processKey, proc);
        }
        entry.spans.push({
          traceID, spanID, flags: 1, operationName: str(sp.name), references,
          startTime: start, duration: Number.isFinite(end) && end > start ? end - start : 0,
          tags, logs, processID: proc.id, warnings: null,
        });
      }
    }
  }
  const traces: JaegerTrace[] = [];
  for (const [traceID, e] of byTrace) {
    const processes: Record<string, JaegerProcess> = {};
    for (const p of e.processes.values()) processes[p.id] = p.process;
    traces.push({ traceID, spans: e.spans, processes, warnings: null });
  }
  return { traces, skipped };
}

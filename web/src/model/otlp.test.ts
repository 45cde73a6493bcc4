import { describe, expect, it } from 'vitest';
import { nanosToMicros, otlpId, otlpToJaeger } from './otlp';
import { buildTrace } from './trace';

const TID = '5b8efff798038103d269b633813fc60c';
const doc = {
  resourceSpans: [
    {
      resource: { attributes: [
        { key: 'service.name', value: { stringValue: 'frontend' } },
        { key: 'host.name', value: { stringValue: 'h1' } },
      ] },
      scopeSpans: [{
        scope: { name: 'lib', version: '1.2' },
        spans: [{
          traceId: TID, spanId: 'eee19b7ec3c1b174', parentSpanId: '', name: 'GET /',
          kind: 2, startTimeUnixNano: '1544712660000000000', endTimeUnixNano: '1544712661000000000',
          attributes: [
            { key: 'http.status_code', value: { intValue: '500' } },
            { key: 'big', value: { intValue: '9007199254740993' } },
            { key: 'ratio', value: { doubleValue: 0.5 } },
            { key: 'ok', value: { boolValue: true } },
            { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
          ],
          events: [{ timeUnixNano: '1544712660500000000', name: 'retry',
            attributes: [{ key: 'attempt', value: { intValue: 2 } }] }],
          status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
        }],
      }],
    },
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'backend' } }] },
      scopeSpans: [{
        spans: [{
          // base64 IDs (protobuf canonical JSON) must work too.
          traceId: 'W47/95gDgQPSabYzgT/GDA==', spanId: 'qrvM3e7/ABE=', parentSpanId: 'eee19b7ec3c1b174',
          name: 'query', kind: 'SPAN_KIND_CLIENT',
          startTimeUnixNano: '1544712660100000000', endTimeUnixNano: '1544712660300000000',
          links: [{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0102030405060708' }],
        }],
      }],
    },
  ],
};

describe('otlpToJaeger', () => {
  const { traces, skipped } = otlpToJaeger(doc);
  it('groups spans by trace and resolves processes', () => {
    expect(skipped).toBe(0);
    expect(traces).toHaveLength(1);
    const t = traces[0];
    expect(t.traceID).toBe(TID);
    expect(t.spans).toHaveLength(2);
    const procs = Object.values(t.processes).map((p) => p.serviceName).sort();
    expect(procs).toEqual(['backend', 'frontend']);
    const fe = t.processes[t.spans[0].processID!];
    expect(fe.serviceName).toBe('frontend');
    expect(fe.tags).toEqual([{ key: 'host.name', type: 'string', value: 'h1' }]);
  });
  it('maps times, attributes, kind, status and events', () => {
    const s = traces[0].spans[0];
    expect(s.startTime).toBe(1544712660000000);
    expect(s.duration).toBe(1000000);
    const tag = (k: string) => s.tags!.find((x) => x.key === k);
    expect(tag('http.status_code')).toEqual({ key: 'http.status_code', type: 'int64', value: 500 });
    expect(tag('big')!.value).toBe('9007199254740993');
    expect(tag('ratio')).toEqual({ key: 'ratio', type: 'float64', value: 0.5 });
    expect(tag('ok')!.value).toBe(true);
    expect(tag('list')!.value).toBe('["a",1]');
    expect(tag('span.kind')!.value).toBe('server');
    expect(tag('otel.scope.name')!.value).toBe('lib');
    expect(tag('otel.status_code')!.value).toBe('ERROR');
    expect(tag('error')!.value).toBe(true);
    expect(tag('otel.status_description')!.value).toBe('boom');
    expect(s.logs).toEqual([{ timestamp: 1544712660500000, fields: [
      { key: 'event', type: 'string', value: 'retry' },
      { key: 'attempt', type: 'int64', value: 2 },
    ] }]);
    expect(s.references).toEqual([]);
  });
  it('decodes base64 IDs and maps parent and links to references', () => {
    const s = traces[0].spans[1];
    expect(s.spanID).toBe('aabbccddeeff0011');
    expect(s.references).toEqual([
      { refType: 'CHILD_OF', traceID: TID, spanID: 'eee19b7ec3c1b174' },
      { refType: 'FOLLOWS_FROM', traceID: 'ffffffffffffffffffffffffffffffff', spanID: '0102030405060708' },
    ]);
    expect(s.tags!.find((x) => x.key === 'span.kind')!.value).toBe('client');
  });
  it('produces a trace the model builds into a tree', () => {
    const t = buildTrace(traces[0]);
    expect(t.rootServiceName).toBe('frontend');
    expect(t.byID.get('aabbccddeeff0011')!.parentID).toBe('eee19b7ec3c1b174');
    expect(t.errorCount).toBe(1);
  });
  it('skips spans with bad IDs or times and ignores junk', () => {
    const r = otlpToJaeger({ resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: 'xyz', spanId: '0102030405060708', startTimeUnixNano: '1' },
      { traceId: '00000000000000000000000000000000', spanId: '0102030405060708', startTimeUnixNano: '1' },
      { traceId: TID, spanId: '0102030405060708' },
      null, 5,
    ] }] }, 'junk'] });
    expect(r.traces).toEqual([]);
    expect(r.skipped).toBe(5);
    expect(otlpToJaeger(null).traces).toEqual([]);
  });
});

describe('ID and time helpers', () => {
  it('accepts hex or base64 of the right length only', () => {
    expect(otlpId('0102030405060708', 8)).toBe('0102030405060708');
    expect(otlpId('AQIDBAUGBwg=', 8)).toBe('0102030405060708');
    expect(otlpId('AQID', 8)).toBe('');
    expect(otlpId(42, 8)).toBe('');
  });
  it('converts nanoseconds to microseconds exactly', () => {
    expect(nanosToMicros('1700000000123456789')).toBe(1700000000123456);
    expect(nanosToMicros(5000)).toBe(5);
    expect(nanosToMicros('12')).toBe(0);
    expect(Number.isNaN(nanosToMicros('abc'))).toBe(true);
  });
});

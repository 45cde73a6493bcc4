import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import { parseTraceFile } from './traceFile';

const jt = jaegerTrace([{ id: 'a', start: 1, dur: 2 }]);
const otlp = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0102030405060708090a0b0c0d0e0f10',
  spanId: '0102030405060708', name: 'x', startTimeUnixNano: '1000', endTimeUnixNano: '3000' }] }] }] };

describe('parseTraceFile', () => {
  it('reads Jaeger {data:[…]}, a bare trace and an array', () => {
    expect(parseTraceFile(JSON.stringify({ data: [jt, jt] })).traces).toHaveLength(2);
    expect(parseTraceFile(JSON.stringify(jt))).toMatchObject({ format: 'jaeger', traces: [{ traceID: jt.traceID }] });
    expect(parseTraceFile(JSON.stringify([jt])).traces).toHaveLength(1);
  });
  it('reads OTLP/JSON, also newline-delimited', () => {
    const one = parseTraceFile(JSON.stringify(otlp));
    expect(one.format).toBe('otlp');
    expect(one.traces[0].spans[0].duration).toBe(2);
    const nd = parseTraceFile(`${JSON.stringify(otlp)}\n${JSON.stringify(otlp)}\n`);
    expect(nd.traces).toHaveLength(1);
    expect(nd.traces[0].spans).toHaveLength(2);
  });
  it('gives readable errors', () => {
    expect(() => parseTraceFile('')).toThrow(/empty/);
    expect(() => parseTraceFile('{nope')).toThrow(/not valid JSON/);
    expect(() => parseTraceFile('{"hello":1}')).toThrow(/Unrecognised/);
    expect(() => parseTraceFile('{"data":[]}')).toThrow(/no spans/);
    expect(() => parseTraceFile('{"a":1}\n{"b":2}')).toThrow(/not OTLP/);
  });
});

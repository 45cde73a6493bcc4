// Real OpenTelemetry JS SDK exporters (gRPC with gzip, HTTP protobuf, HTTP JSON) send traces to a
// live skua; the Jaeger query API (jaeger-compat §2.1–§2.4) must return them intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { startSkua, waitForTraces } from './skua.mjs';

let skua;
before(async () => {
  skua = await startSkua();
});
after(async () => {
  const { code } = await skua.stop();
  assert.equal(code, 0, `skua should exit cleanly on SIGTERM:\n${skua.output()}`);
});

// Sends one trace: a server root span with a client child and an internal grandchild that fails.
async function sendTrace(exporter, service) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'test-host', 'k8s.pod.count': 3 }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('skua-test-scope', '1.2.3');
  const root = tracer.startSpan('GET /api/cart', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.method': 'GET',
      'http.status_code': 200,
      'sample.ratio': 0.25,
      'cache.hit': true,
      'tags.list': ['a', 'b'],
      'big.number': 9007199254740993, // beyond 2^53: JS already rounds it; checked as a number
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan('SELECT cart', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, rootCtx);
  const childCtx = trace.setSpan(rootCtx, child);
  const leaf = tracer.startSpan('compute-total', { kind: SpanKind.INTERNAL }, childCtx);
  leaf.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom' });
  leaf.setStatus({ code: SpanStatusCode.ERROR, message: 'total failed' });
  leaf.end();
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

function tagMap(tags) {
  return Object.fromEntries(tags.map((t) => [t.key, t]));
}

// Checks the Jaeger UI JSON shape of the trace sent by sendTrace (jaeger-compat §1.9, §2.4).
function checkTrace(t, traceId, service) {
  assert.equal(t.traceID, traceId);
  assert.equal(t.spans.length, 3);
  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const root = byName['GET /api/cart'];
  const child = byName['SELECT cart'];
  const leaf = byName['compute-total'];
  assert.ok(root && child && leaf, 'all three operations present');
  // Parent references.
  assert.equal(root.references.length, 0);
  assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: root.spanID }]);
  assert.deepEqual(leaf.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: child.spanID }]);
  // Tags of each type.
  const rt = tagMap(root.tags);
  assert.deepEqual(rt['http.method'], { key: 'http.method', type: 'string', value: 'GET' });
  assert.deepEqual(rt['http.status_code'], { key: 'http.status_code', type: 'int64', value: 200 });
  assert.deepEqual(rt['sample.ratio'], { key: 'sample.ratio', type: 'float64', value: 0.25 });
  assert.deepEqual(rt['cache.hit'], { key: 'cache.hit', type: 'bool', value: true });
  assert.deepEqual(rt['tags.list'], { key: 'tags.list', type: 'string', value: '["a","b"]' });
  assert.deepEqual(rt['span.kind'], { key: 'span.kind', type: 'string', value: 'server' });
  assert.equal(rt['otel.scope.name'].value, 'skua-test-scope');
  assert.equal(rt['otel.scope.version'].value, '1.2.3');
  // int64 beyond ±(2^53−1) is a JSON string (§2.4); JS sends 2^53 as an integer attribute.
  assert.deepEqual(rt['big.number'], { key: 'big.number', type: 'int64', value: '9007199254740992' });
  assert.equal(tagMap(child.tags)['span.kind'].value, 'client');
  // Error status, and the event as a log with the `event` field first.
  const lt = tagMap(leaf.tags);
  assert.deepEqual(lt['error'], { key: 'error', type: 'bool', value: true });
  assert.equal(lt['otel.status_code'].value, 'ERROR');
  assert.equal(lt['otel.status_description'].value, 'total failed');
  assert.equal(leaf.logs.length, 1);
  assert.deepEqual(leaf.logs[0].fields[0], { key: 'event', type: 'string', value: 'exception' });
  assert.deepEqual(tagMap(leaf.logs[0].fields)['exception.message'].value, 'boom');
  assert.ok(leaf.logs[0].timestamp >= leaf.startTime);
  // Times in microseconds; the process carries the resource.
  assert.ok(root.startTime > 1.6e15 && root.startTime < 4e15, `µs start time, got ${root.startTime}`);
  assert.ok(root.duration >= child.duration);
  const proc = t.processes[root.processID];
  assert.equal(proc.serviceName, service);
  const pt = tagMap(proc.tags);
  assert.equal(pt['host.name'].value, 'test-host');
  assert.deepEqual(pt['k8s.pod.count'], { key: 'k8s.pod.count', type: 'int64', value: 3 });
  assert.match(root.processID, /^p\d+$/);
}

for (const [name, makeExporter] of [
  ['OTLP gRPC with gzip (:4317)', (s) => new GrpcExporter({ url: s.otlpGrpc, compression: 'gzip' })],
  ['OTLP gRPC uncompressed (:4317)', (s) => new GrpcExporter({ url: s.otlpGrpc })],
  ['OTLP HTTP protobuf (:4318)', (s) => new HttpProtoExporter({ url: `${s.otlpHttp}/v1/traces` })],
  ['OTLP HTTP protobuf gzip (:4318)', (s) => new HttpProtoExporter({ url: `${s.otlpHttp}/v1/traces`, compression: 'gzip' })],
  ['OTLP HTTP JSON (:4318)', (s) => new HttpJsonExporter({ url: `${s.otlpHttp}/v1/traces` })],
]) {
  test(`${name}: spans arrive intact through /api/traces`, async () => {
    const service = `svc-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    const traceId = await sendTrace(makeExporter(skua), service);
    const traces = await waitForTraces(skua, service, 1);
    assert.equal(traces.length, 1);
    checkTrace(traces[0], traceId, service);
    // The same trace by ID (§2.1) and the service's operations with span kinds.
    const byId = await skua.getJSON(`${skua.query}/api/traces/${traceId}`);
    assert.equal(byId.data.length, 1);
    checkTrace(byId.data[0], traceId, service);
    const ops = await skua.getJSON(`${skua.query}/api/operations?service=${service}`);
    assert.deepEqual(
      ops.data.map((o) => `${o.name}/${o.spanKind}`).sort(),
      ['GET /api/cart/server', 'SELECT cart/client', 'compute-total/internal'],
    );
    const services = await skua.getJSON(`${skua.query}/api/services`);
    assert.ok(services.data.includes(service));
  });
}

test('search by tag and duration finds only the matching trace (§2.2)', async () => {
  const service = 'svc-search';
  const traceId = await sendTrace(new HttpProtoExporter({ url: `${skua.otlpHttp}/v1/traces` }), service);
  await waitForTraces(skua, service, 1);
  const hit = await skua.getJSON(`${skua.query}/api/traces?service=${service}&tags=${encodeURIComponent('{"error":"true"}')}`);
  assert.deepEqual(hit.data.map((t) => t.traceID), [traceId]);
  const miss = await skua.getJSON(`${skua.query}/api/traces?service=${service}&tag=http.method:POST`);
  assert.deepEqual(miss.data, []);
  const tooLong = await skua.getJSON(`${skua.query}/api/traces?service=${service}&minDuration=1h`);
  assert.deepEqual(tooLong.data, []);
});

test('OTLP HTTP rejects bad requests with the collector status codes (§1.3)', async () => {
  const url = `${skua.otlpHttp}/v1/traces`;
  let res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(res.status, 415);
  assert.match(await res.text(), /415 unsupported media type/);
  res = await fetch(url, { method: 'GET' });
  assert.equal(res.status, 405);
  res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[{' });
  assert.equal(res.status, 400);
  const status = await res.json();
  assert.equal(status.code, 3, 'google.rpc.Status with INVALID_ARGUMENT');
  assert.ok(status.message.length > 0);
  // An unknown field (the JS SDK's `flags` quirk, clients.md §3) is ignored, not a 400.
  res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSpans: [], somethingNew: 1 }),
  });
  assert.equal(res.status, 200);
  // Bodies over the 4 MiB default limit are refused with 413.
  res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.alloc(5 << 20),
  });
  assert.equal(res.status, 413);
});

test('admin: health, metrics and version (§7.1)', async () => {
  const health = await fetch(`${skua.admin}/`);
  assert.equal(health.status, 200);
  const h = await health.json();
  assert.equal(h.status, 'Server available');
  assert.match(h.upSince, /^\d{4}-\d\d-\d\dT/);
  const version = await skua.getJSON(`${skua.admin}/version`);
  assert.ok('gitCommit' in version && 'gitVersion' in version && 'buildDate' in version);
  const service = 'svc-metrics';
  await sendTrace(new HttpJsonExporter({ url: `${skua.otlpHttp}/v1/traces` }), service);
  await waitForTraces(skua, service, 1);
  const metrics = await (await fetch(`${skua.admin}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('skua_spans_stored_total') && l.includes(`service="${service}"`));
  assert.ok(line, `stored counter for ${service} in:\n${metrics}`);
  assert.equal(Number(line.split(' ').pop()), 3);
});

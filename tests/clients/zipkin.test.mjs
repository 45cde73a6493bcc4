// Real Zipkin clients send traces to a live skua's Zipkin receiver (jaeger-compat §1.7): zipkin-js
// with zipkin-transport-http (v1 and v2 JSON), the OpenTelemetry JS Zipkin exporter (v2 JSON) and
// Debian's py_zipkin (v1 Thrift, v1 JSON, v2 JSON). Each trace is read back through the Jaeger
// query API (§2.1–§2.4), where the shared client/server span ID has been split by the
// SpanIDDeduper adjuster (§2.5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zipkin from 'zipkin';
import transportHttp from 'zipkin-transport-http';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { startSkua, waitFor } from './skua.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { Tracer, BatchRecorder, ExplicitContext, Annotation, InetAddress, TraceId, jsonEncoder, option } =
  zipkin;
const { HttpLogger } = transportHttp;

let skua;
before(async () => {
  skua = await startSkua();
});
after(async () => {
  const { code } = await skua.stop();
  assert.equal(code, 0, `skua should exit cleanly on SIGTERM:\n${skua.output()}`);
});

// Polls GET /api/traces/{id} until the trace has `count` spans.
async function waitForTrace(traceId, count) {
  return waitFor(
    async () => {
      const res = await fetch(`${skua.query}/api/traces/${traceId}`);
      if (res.status !== 200) return null;
      const t = (await res.json()).data[0];
      return t.spans.length >= count ? t : null;
    },
    { what: `${count} spans of trace ${traceId}` },
  );
}

function tags(span) {
  return Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
}

// The scenario every client plays: PREFIX-frontend serves "get /checkout" and calls PREFIX-backend
// ("call backend", a client span with a "cache.miss" annotation); PREFIX-backend handles the call
// ("handle", a server span sharing the client span's ID) and fails with "db timeout".
async function checkCheckoutTrace(traceId, prefix, { remoteIp = true } = {}) {
  const t = await waitForTrace(traceId, 3);
  assert.equal(t.spans.length, 3, JSON.stringify(t.spans.map((s) => s.operationName)));
  const service = (s) => t.processes[s.processID].serviceName;
  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const root = byName['get /checkout'];
  const client = byName['call backend'];
  const server = byName['handle'];
  assert.ok(root && client && server, `operations: ${Object.keys(byName)}`);

  assert.equal(service(root), `${prefix}-frontend`);
  assert.equal(service(client), `${prefix}-frontend`);
  assert.equal(service(server), `${prefix}-backend`);

  // Parent references; the server half of the shared ID was re-IDed under the client (§2.5).
  assert.deepEqual(root.references, []);
  assert.deepEqual(client.references, [{ refType: 'CHILD_OF', traceID: t.traceID, spanID: root.spanID }]);
  assert.notEqual(server.spanID, client.spanID);
  assert.deepEqual(server.references, [{ refType: 'CHILD_OF', traceID: t.traceID, spanID: client.spanID }]);

  const rt = tags(root);
  assert.equal(rt['span.kind'], 'server');
  assert.equal(rt['http.path'], '/checkout');
  const ct = tags(client);
  assert.equal(ct['span.kind'], 'client');
  assert.equal(ct['peer.service'], `${prefix}-backend`);
  if (remoteIp) {
    assert.equal(ct['net.peer.ip'], '10.1.1.2');
    assert.equal(ct['net.peer.port'], 9000);
  }
  const st = tags(server);
  assert.equal(st['span.kind'], 'server');
  assert.equal(st['error'], true);

  // The annotation arrived as a log with an `event` field.
  const events = client.logs.map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value])).event);
  assert.deepEqual(events, ['cache.miss']);
  assert.ok(root.duration > 0 && client.duration > 0 && server.duration > 0);
  assert.ok(client.startTime >= root.startTime);

  // The services and operations are searchable.
  const services = (await skua.getJSON(`${skua.query}/api/services`)).data;
  assert.ok(services.includes(`${prefix}-frontend`) && services.includes(`${prefix}-backend`));
  const ops = (await skua.getJSON(`${skua.query}/api/services/${prefix}-frontend/operations`)).data;
  assert.deepEqual([...ops].sort(), ['call backend', 'get /checkout']);
  return { t, root, client, server };
}

// ---- zipkin-js ---------------------------------------------------------------------------------

// Sends the checkout trace with zipkin-js: two tracers (one per "process"), each with its own
// BatchRecorder, sharing one HttpLogger (zipkin-js lower-cases span names). Resolves with the trace
// ID once skua accepted the POST.
async function sendWithZipkinJs(endpoint, encoder, prefix) {
  const logger = new HttpLogger({ endpoint, jsonEncoder: encoder, httpInterval: 3_600_000 });
  const makeTracer = (name) =>
    new Tracer({
      ctxImpl: new ExplicitContext(),
      recorder: new BatchRecorder({ logger }),
      localServiceName: name,
      traceId128Bit: true,
    });
  const frontend = makeTracer(`${prefix}-frontend`);
  const backend = makeTracer(`${prefix}-backend`);

  const rootId = frontend.createRootId();
  frontend.setId(rootId);
  frontend.recordServiceName(`${prefix}-frontend`);
  frontend.recordRpc('get /checkout');
  frontend.recordAnnotation(new Annotation.ServerRecv());
  frontend.recordAnnotation(new Annotation.LocalAddr({ host: new InetAddress('10.1.1.1'), port: 8080 }));
  frontend.recordBinary('http.path', '/checkout');

  const childId = frontend.createChildId();
  frontend.setId(childId);
  frontend.recordServiceName(`${prefix}-frontend`);
  frontend.recordRpc('call backend');
  frontend.recordAnnotation(new Annotation.ClientSend());
  frontend.recordAnnotation(
    new Annotation.ServerAddr({
      serviceName: `${prefix}-backend`,
      host: new InetAddress('10.1.1.2'),
      port: 9000,
    }),
  );
  frontend.recordMessage('cache.miss');

  // The backend continues the client's B3 context: same span ID, marked shared.
  const sharedId = new TraceId({
    traceId: childId.traceId,
    parentId: childId.parentSpanId,
    spanId: childId.spanId,
    sampled: new option.Some(true),
    shared: true,
  });
  backend.setId(sharedId);
  backend.recordServiceName(`${prefix}-backend`);
  backend.recordRpc('handle');
  backend.recordAnnotation(new Annotation.ServerRecv());
  backend.recordAnnotation(new Annotation.LocalAddr({ host: new InetAddress('10.1.1.2'), port: 9000 }));
  backend.recordBinary('error', 'db timeout');
  await new Promise((r) => setTimeout(r, 2)); // a non-zero duration, not a wait for anything
  backend.setId(sharedId);
  backend.recordAnnotation(new Annotation.ServerSend());

  frontend.setId(childId);
  frontend.recordAnnotation(new Annotation.ClientRecv());
  frontend.setId(rootId);
  frontend.recordAnnotation(new Annotation.ServerSend());

  const sent = new Promise((resolve, reject) => {
    logger.on('success', resolve);
    logger.on('error', reject);
  });
  logger.processQueue(globalThis.fetch);
  await sent;
  return rootId.traceId;
}

test('zipkin-js: v1 JSON to /api/v1/spans', async () => {
  const traceId = await sendWithZipkinJs(`${skua.zipkin}/api/v1/spans`, jsonEncoder.JSON_V1, 'zjs1');
  assert.equal(traceId.length, 32);
  await checkCheckoutTrace(traceId, 'zjs1');
});

test('zipkin-js: v2 JSON to /api/v2/spans', async () => {
  const traceId = await sendWithZipkinJs(`${skua.zipkin}/api/v2/spans`, jsonEncoder.JSON_V2, 'zjs2');
  await checkCheckoutTrace(traceId, 'zjs2');
});

// ---- OpenTelemetry JS Zipkin exporter ----------------------------------------------------------

test('@opentelemetry/exporter-zipkin: v2 JSON', async () => {
  const prefix = 'otelz';
  const provider = (name) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name, 'host.name': 'test-host' }),
      spanProcessors: [new SimpleSpanProcessor(new ZipkinExporter({ url: `${skua.zipkin}/api/v2/spans` }))],
    });
  const frontend = provider(`${prefix}-frontend`);
  const backend = provider(`${prefix}-backend`);
  const ft = frontend.getTracer('zipkin-test');
  const bt = backend.getTracer('zipkin-test');

  const root = ft.startSpan('get /checkout', { kind: SpanKind.SERVER, attributes: { 'http.path': '/checkout' } });
  const rootCtx = trace.setSpan(context.active(), root);
  const client = ft.startSpan(
    'call backend',
    { kind: SpanKind.CLIENT, attributes: { 'peer.service': `${prefix}-backend`, 'retry.count': 0 } },
    rootCtx,
  );
  client.addEvent('cache.miss');
  const clientCtx = trace.setSpan(rootCtx, client);
  // OpenTelemetry gives the server its own span ID (no sharing); it is a plain child of the client.
  const server = bt.startSpan('handle', { kind: SpanKind.SERVER }, clientCtx);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'db timeout' });
  server.end();
  client.end();
  root.end();
  await Promise.all([frontend.forceFlush(), backend.forceFlush()]);
  await Promise.all([frontend.shutdown(), backend.shutdown()]);

  const traceId = root.spanContext().traceId;
  const t = await waitForTrace(traceId, 3);
  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const service = (s) => t.processes[s.processID].serviceName;
  assert.equal(service(byName['get /checkout']), `${prefix}-frontend`);
  assert.equal(service(byName['handle']), `${prefix}-backend`);
  const childOf = (spanID) => [{ refType: 'CHILD_OF', traceID: traceId, spanID }];
  assert.deepEqual(byName['call backend'].references, childOf(byName['get /checkout'].spanID));
  assert.equal(byName['handle'].spanID, server.spanContext().spanId);
  assert.deepEqual(byName['handle'].references, childOf(client.spanContext().spanId));
  const ct = tags(byName['call backend']);
  assert.equal(ct['span.kind'], 'client');
  assert.equal(ct['retry.count'], '0', 'the exporter stringifies attribute values');
  assert.equal(ct['peer.service'], `${prefix}-backend`);
  const st = tags(byName['handle']);
  assert.equal(st['error'], true);
  assert.equal(st['otel.status_code'], 'ERROR');
  assert.equal(st['otel.status_description'], 'db timeout');
  assert.equal(st['otel.scope.name'], undefined, 'the exporter sends no scope');
  // Resource attributes the exporter flattened into tags are process tags again.
  const processTags = Object.fromEntries(
    t.processes[byName['handle'].processID].tags.map((x) => [x.key, x.value]),
  );
  assert.equal(processTags['host.name'], 'test-host');
  assert.equal(st['host.name'], undefined);
  const events = byName['call backend'].logs.map((l) => l.fields.find((f) => f.key === 'event')?.value);
  assert.deepEqual(events, ['cache.miss']);
});

// ---- py_zipkin (Debian python3-py-zipkin) ------------------------------------------------------

const execFileP = promisify(execFile);
for (const encoding of ['V1_THRIFT', 'V1_JSON', 'V2_JSON']) {
  test(`py_zipkin: ${encoding}`, async () => {
    const prefix = `py-${encoding.toLowerCase().replace('_', '-')}`;
    const sender = path.join(here, 'zipkin_py_sender.py');
    const { stdout } = await execFileP('/usr/bin/python3', [sender, skua.zipkin, encoding, prefix]);
    const traceId = stdout.trim();
    assert.match(traceId, encoding === 'V2_JSON' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{16}$/);
    const { client, server } = await checkCheckoutTrace(traceId, prefix);
    assert.equal(tags(client)['net.host.ip'], '10.1.1.1');
    assert.equal(tags(server)['net.host.port'], 9000);
    // §1.7 sanitizers apply to Thrift spans only: a string `error` becomes error=true plus
    // error.message; the JSON paths carry the text as the status description instead.
    if (encoding === 'V1_THRIFT') {
      assert.equal(tags(server)['error.message'], 'db timeout');
    } else {
      assert.equal(tags(server)['otel.status_description'], 'db timeout');
    }
  });
}

test('bad bodies are refused with a reason', async () => {
  let res = await fetch(`${skua.zipkin}/api/v2/spans`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '[{"traceId": 1}]',
  });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /traceId: must be a string/);
  res = await fetch(`${skua.zipkin}/api/v1/spans`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-thrift' },
    body: 'not thrift',
  });
  assert.equal(res.status, 400);
  res = await fetch(`${skua.zipkin}/api/v3/spans`, { method: 'POST', body: '[]' });
  assert.equal(res.status, 404);
});

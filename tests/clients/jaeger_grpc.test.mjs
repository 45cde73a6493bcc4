// Jaeger gRPC collector (jaeger-compat §1.4, :14250): an independent protobuf/gRPC stack
// (@grpc/grpc-js with protobufjs, loading skua's proto/jaeger/api_v2 definitions) posts a batch the
// way jaeger-agent and the Jaeger SDKs do; the Jaeger query API (§2.1–§2.4) must return it intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { startSkua, waitForTraces } from './skua.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const definition = protoLoader.loadSync('jaeger/api_v2/collector.proto', {
  includeDirs: [path.join(here, '../../proto')],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
});
const api = grpc.loadPackageDefinition(definition).jaeger.api_v2;

let skua;
let client;
before(async () => {
  skua = await startSkua();
  client = new api.CollectorService(`127.0.0.1:${skua.ports.jaegerGrpc}`, grpc.credentials.createInsecure());
});
after(async () => {
  client?.close();
  const { code } = await skua.stop();
  assert.equal(code, 0, `skua should exit cleanly on SIGTERM:\n${skua.output()}`);
});

function postSpans(request) {
  return new Promise((resolve, reject) => {
    client.PostSpans(request, { deadline: Date.now() + 10000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const hex = (s) => Buffer.from(s, 'hex');
const nowSeconds = Math.floor(Date.now() / 1000);
const time = (offsetMs) => ({ seconds: String(nowSeconds), nanos: offsetMs * 1e6 });

function batch(traceHex, service) {
  const traceId = hex(traceHex);
  return {
    batch: {
      process: { service_name: service, tags: [{ key: 'hostname', v_str: 'web-1' }] },
      spans: [
        {
          trace_id: traceId,
          span_id: hex('0000000000000001'),
          operation_name: 'HTTP GET /dispatch',
          flags: 1,
          start_time: time(0),
          duration: { seconds: '0', nanos: 50e6 },
          tags: [
            { key: 'span.kind', v_str: 'server' },
            { key: 'http.method', v_str: 'GET' },
            { key: 'cache.hit', v_type: 'BOOL', v_bool: true },
            { key: 'http.status_code', v_type: 'INT64', v_int64: '200' },
            { key: 'sampler.param', v_type: 'FLOAT64', v_float64: 0.25 },
            { key: 'payload', v_type: 'BINARY', v_binary: Buffer.from([1, 2, 255]) },
          ],
          logs: [
            {
              timestamp: time(10),
              fields: [
                { key: 'event', v_str: 'cache miss' },
                { key: 'key', v_str: 'customer:123' },
              ],
            },
          ],
        },
        {
          trace_id: traceId,
          span_id: hex('0000000000000002'),
          operation_name: 'SQL SELECT',
          references: [{ trace_id: traceId, span_id: hex('0000000000000001'), ref_type: 'CHILD_OF' }],
          start_time: time(5),
          duration: { seconds: '0', nanos: 20e6 },
          tags: [
            { key: 'span.kind', v_str: 'client' },
            { key: 'error', v_type: 'BOOL', v_bool: true },
          ],
        },
        {
          // A span of another service carrying its own process.
          trace_id: traceId,
          span_id: hex('0000000000000003'),
          operation_name: 'process order',
          references: [{ trace_id: traceId, span_id: hex('0000000000000002'), ref_type: 'FOLLOWS_FROM' }],
          start_time: time(30),
          duration: { seconds: '0', nanos: 1e6 },
          tags: [{ key: 'span.kind', v_str: 'consumer' }],
          process: { service_name: `${service}-worker` },
        },
      ],
    },
  };
}

const tagMap = (tags) => Object.fromEntries(tags.map((t) => [t.key, t]));

test('PostSpans: spans arrive intact through /api/traces', async () => {
  const service = 'svc-jaeger-grpc';
  const traceHex = 'abcdef01234567890000000000000042';
  assert.deepEqual(await postSpans(batch(traceHex, service)), {});

  const [t] = await waitForTraces(skua, service, 1);
  assert.equal(t.traceID, traceHex);
  assert.equal(t.spans.length, 3);
  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const root = byName['HTTP GET /dispatch'];
  const child = byName['SQL SELECT'];
  const worker = byName['process order'];
  assert.ok(root && child && worker);
  // Parent references (§1.4 parent rule).
  assert.deepEqual(root.references, []);
  assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: traceHex, spanID: '0000000000000001' }]);
  assert.deepEqual(worker.references, [{ refType: 'FOLLOWS_FROM', traceID: traceHex, spanID: '0000000000000002' }]);
  // Times in µs as sent; flags.
  assert.equal(root.startTime, nowSeconds * 1e6);
  assert.equal(root.duration, 50000);
  assert.equal(root.flags, 1);
  // Tags of every type.
  const rt = tagMap(root.tags);
  assert.deepEqual(rt['http.method'], { key: 'http.method', type: 'string', value: 'GET' });
  assert.deepEqual(rt['cache.hit'], { key: 'cache.hit', type: 'bool', value: true });
  assert.deepEqual(rt['http.status_code'], { key: 'http.status_code', type: 'int64', value: 200 });
  assert.deepEqual(rt['sampler.param'], { key: 'sampler.param', type: 'float64', value: 0.25 });
  assert.equal(rt['payload'].type, 'binary');
  assert.deepEqual(rt['span.kind'], { key: 'span.kind', type: 'string', value: 'server' });
  const ct = tagMap(child.tags);
  assert.deepEqual(ct['error'], { key: 'error', type: 'bool', value: true });
  // Logs, `event` first.
  assert.equal(root.logs.length, 1);
  assert.equal(root.logs[0].timestamp, nowSeconds * 1e6 + 10000);
  assert.deepEqual(root.logs[0].fields, [
    { key: 'event', type: 'string', value: 'cache miss' },
    { key: 'key', type: 'string', value: 'customer:123' },
  ]);
  // Processes: the batch's for spans without one (§1.4), the span's own otherwise.
  assert.equal(t.processes[root.processID].serviceName, service);
  assert.deepEqual(t.processes[root.processID].tags, [{ key: 'hostname', type: 'string', value: 'web-1' }]);
  assert.equal(root.processID, child.processID);
  assert.equal(t.processes[worker.processID].serviceName, `${service}-worker`);

  const ops = await skua.getJSON(`${skua.query}/api/operations?service=${service}`);
  assert.deepEqual(ops.data.map((o) => `${o.name}/${o.spanKind}`).sort(), [
    'HTTP GET /dispatch/server',
    'SQL SELECT/client',
  ]);
  const services = await skua.getJSON(`${skua.query}/api/services`);
  assert.ok(services.data.includes(service) && services.data.includes(`${service}-worker`));
});

test('PostSpans: a malformed span is INVALID_ARGUMENT (§1.4)', async () => {
  const bad = batch('abcdef01234567890000000000000043', 'svc-jaeger-grpc-bad');
  bad.batch.spans[0].trace_id = Buffer.from('short');
  await assert.rejects(postSpans(bad), (err) => {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /trace_id must be 16 bytes/);
    return true;
  });
});

// Real Jaeger Thrift clients against a live skua (jaeger-compat §1.5, §1.6; clients.md §1–§3):
// the npm jaeger-client over agent UDP (it sends BINARY Thrift, also to the compact port) and over
// HTTP (its HTTPSender), and Debian's ruby-jaeger-client over agent UDP compact and HTTP. Each
// trace is read back through the query API (§2.1–§2.4): services, operations, parent references,
// tags of each type, logs and process tags must arrive intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSkua, waitForTraces } from './skua.mjs';

const require = createRequire(import.meta.url);
const { initTracer, opentracing } = require('jaeger-client');
const here = path.dirname(fileURLToPath(import.meta.url));

const RUBY = '/usr/bin/ruby';
const RUBY_SCRIPT = path.join(here, 'jaeger_client.rb');

let skua;
before(async () => {
  skua = await startSkua();
});
after(async () => {
  const { code } = await skua.stop();
  assert.equal(code, 0, `skua should exit cleanly on SIGTERM:\n${skua.output()}`);
});

function tagMap(tags) {
  return Object.fromEntries(tags.map((t) => [t.key, t]));
}

// Jaeger's UI JSON writes a 64-bit trace ID as 16 hex digits; the clients drop leading zeros.
function pad16(hex) {
  return hex.padStart(16, '0');
}

async function operationsOf(service) {
  const r = await skua.getJSON(`${skua.query}/api/services/${encodeURIComponent(service)}/operations`);
  return [...r.data].sort();  // /api/services/{s}/operations lists names (§2.1)
}

// Sends root → child (with a log) → follower (FOLLOWS_FROM child) with the npm jaeger-client and
// closes the tracer, which flushes. Returns the IDs the client assigned.
async function sendNodeTrace(reporter, service) {
  const logger = { info() {}, error(msg) { throw new Error(`jaeger-client: ${msg}`); } };
  const tracer = initTracer(
    { serviceName: service, sampler: { type: 'const', param: 1 }, reporter: { flushIntervalMs: 60000, ...reporter } },
    { logger, tags: { 'node.process.tag': 'p1' } },
  );
  const root = tracer.startSpan('node-root', {
    tags: {
      'span.kind': 'server',
      'http.method': 'GET',
      'http.status_code': 200, // the Node client sends every number as a DOUBLE tag
      ratio: 0.25,
      'cache.hit': true,
      payload: Buffer.from([0, 1, 2, 255]),
    },
  });
  const child = tracer.startSpan('node-child', { childOf: root });
  child.log({ event: 'cache-miss', attempt: 2 });
  const follower = tracer.startSpan('node-follower', {
    references: [opentracing.followsFrom(child.context())],
  });
  follower.finish();
  child.finish();
  root.finish();
  await new Promise((resolve) => tracer.close(resolve));
  return {
    traceId: pad16(root.context().traceIdStr),
    rootId: pad16(root.context().spanIdStr),
    childId: pad16(child.context().spanIdStr),
    followerId: pad16(follower.context().spanIdStr),
  };
}

async function checkNodeTrace(service, ids) {
  const [t] = await waitForTraces(skua, service, 1);
  assert.equal(t.traceID, ids.traceId);
  assert.equal(t.spans.length, 3);
  const services = (await skua.getJSON(`${skua.query}/api/services`)).data;
  assert.ok(services.includes(service), `${service} in ${services}`);
  assert.deepEqual(await operationsOf(service), ['node-child', 'node-follower', 'node-root']);

  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const root = byName['node-root'];
  const child = byName['node-child'];
  const follower = byName['node-follower'];
  assert.equal(root.spanID, ids.rootId);
  assert.deepEqual(root.references, []);
  // §1.5: the Thrift span's parentSpanId arrives as a CHILD_OF reference.
  assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: ids.traceId, spanID: ids.rootId }]);
  assert.deepEqual(follower.references, [{ refType: 'FOLLOWS_FROM', traceID: ids.traceId, spanID: ids.childId }]);

  const rt = tagMap(root.tags);
  assert.deepEqual(rt['http.method'], { key: 'http.method', type: 'string', value: 'GET' });
  assert.deepEqual(rt['http.status_code'], { key: 'http.status_code', type: 'float64', value: 200 });
  assert.deepEqual(rt.ratio, { key: 'ratio', type: 'float64', value: 0.25 });
  assert.deepEqual(rt['cache.hit'], { key: 'cache.hit', type: 'bool', value: true });
  assert.deepEqual(rt.payload, { key: 'payload', type: 'binary', value: Buffer.from([0, 1, 2, 255]).toString('base64') });
  assert.deepEqual(rt['span.kind'], { key: 'span.kind', type: 'string', value: 'server' });
  assert.equal(rt['sampler.type'].value, 'const');

  assert.equal(child.logs.length, 1);
  assert.deepEqual(child.logs[0].fields, [
    { key: 'event', type: 'string', value: 'cache-miss' },
    { key: 'attempt', type: 'float64', value: 2 },
  ]);
  assert.ok(child.logs[0].timestamp >= child.startTime);

  const process = t.processes[root.processID];
  assert.equal(process.serviceName, service);
  const pt = tagMap(process.tags);
  assert.equal(pt['node.process.tag'].value, 'p1');
  assert.match(pt['jaeger.version'].value, /^Node-3\.19\.0$/);
}

test('npm jaeger-client: agent UDP to the binary port', async () => {
  const ids = await sendNodeTrace({ agentHost: '127.0.0.1', agentPort: skua.ports.agentBinary }, 'node-udp-binary');
  await checkNodeTrace('node-udp-binary', ids);
});

test('npm jaeger-client: agent UDP to the compact port (it sends binary; clients.md §3)', async () => {
  const ids = await sendNodeTrace({ agentHost: '127.0.0.1', agentPort: skua.ports.agentCompact }, 'node-udp-compact');
  await checkNodeTrace('node-udp-compact', ids);
});

test('npm jaeger-client: HTTPSender to /api/traces on the collector port', async () => {
  const ids = await sendNodeTrace({ collectorEndpoint: `${skua.jaegerHttp}/api/traces` }, 'node-http');
  await checkNodeTrace('node-http', ids);
});

// --- Debian ruby-jaeger-client -------------------------------------------------------------------

function rubyUnusableReason() {
  if (!fs.existsSync(RUBY)) return `${RUBY} is missing (apt package ruby-jaeger-client not installed; scripts/install-deps.sh --test)`;
  if (!fs.existsSync('/usr/share/rubygems-integration/all/gems/jaeger-client-1.3.0')) {
    return 'ruby-jaeger-client is not installed (scripts/install-deps.sh --test)';
  }
  return null;
}

function runRuby(mode, port, service) {
  return new Promise((resolve, reject) => {
    execFile(RUBY, [RUBY_SCRIPT, mode, '127.0.0.1', String(port), service], { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ruby failed: ${err.message}\n${stderr}`));
      if (/ERROR/.test(stderr)) return reject(new Error(`ruby-jaeger-client reported: ${stderr}`));
      const [traceId, rootId, childId] = stdout.trim().split(' ');
      resolve({ traceId, rootId, childId });
    });
  });
}

async function checkRubyTrace(service, ids) {
  const [t] = await waitForTraces(skua, service, 1);
  assert.equal(t.traceID, ids.traceId);
  assert.equal(t.spans.length, 2);
  assert.deepEqual(await operationsOf(service), ['ruby-child', 'ruby-root']);
  const byName = Object.fromEntries(t.spans.map((s) => [s.operationName, s]));
  const root = byName['ruby-root'];
  const child = byName['ruby-child'];
  assert.equal(root.spanID, ids.rootId);
  assert.deepEqual(root.references, []);
  assert.deepEqual(child.references, [{ refType: 'CHILD_OF', traceID: ids.traceId, spanID: ids.rootId }]);
  const rt = tagMap(root.tags);
  assert.deepEqual(rt['http.method'], { key: 'http.method', type: 'string', value: 'GET' });
  assert.deepEqual(rt['http.status_code'], { key: 'http.status_code', type: 'int64', value: 200 });
  assert.deepEqual(rt.ratio, { key: 'ratio', type: 'float64', value: 0.5 });
  assert.deepEqual(rt['cache.hit'], { key: 'cache.hit', type: 'bool', value: true });
  assert.deepEqual(rt['span.kind'], { key: 'span.kind', type: 'string', value: 'server' });
  assert.equal(child.logs.length, 1);
  assert.deepEqual(child.logs[0].fields, [
    { key: 'event', type: 'string', value: 'cache-miss' },
    { key: 'attempt', type: 'int64', value: 2 },
  ]);
  const process = t.processes[root.processID];
  assert.equal(process.serviceName, service);
  const pt = tagMap(process.tags);
  assert.equal(pt['ruby.process.tag'].value, 'p1');
  assert.equal(pt['jaeger.version'].value, 'Ruby-1.3.0');
}

const rubySkip = rubyUnusableReason();

test('ruby-jaeger-client: agent UDP compact (ONEWAY) to 6831', { skip: rubySkip ?? false }, async () => {
  const ids = await runRuby('udp', skua.ports.agentCompact, 'ruby-udp-compact');
  await checkRubyTrace('ruby-udp-compact', ids);
});

test('ruby-jaeger-client: HTTP sender (?format=jaeger.thrift) to /api/traces', { skip: rubySkip ?? false }, async () => {
  const ids = await runRuby('http', skua.ports.jaegerHttp, 'ruby-http');
  await checkRubyTrace('ruby-http', ids);
});

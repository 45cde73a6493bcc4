// Test harness: starts a real skua all-in-one on free loopback ports and stops it afterwards.
// Used by every *.test.mjs in this folder. The binary comes from $SKUA_BIN (scripts/test.sh sets it).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const skuaBin = process.env.SKUA_BIN ?? path.join(here, '../../build/release/src/cli/skua');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

// Polls fn() until it returns a truthy value or the deadline passes; returns that value.
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

// Starts skua with the given extra environment; resolves once the admin health check says ready.
// Free ports are picked before skua binds them, so another process may take one in between: a
// start that fails with "cannot listen" is retried on fresh ports.
export async function startSkua(extraEnv = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSkuaOnce(extraEnv);
    } catch (e) {
      if (attempt >= 3 || !/cannot listen/.test(e.message)) throw e;
    }
  }
}

async function startSkuaOnce(extraEnv) {
  const ports = {
    otlpGrpc: await freePort(),
    otlpHttp: await freePort(),
    query: await freePort(),
    admin: await freePort(),
    jaegerGrpc: await freePort(),
    jaegerHttp: await freePort(),
    zipkin: await freePort(),
    agentCompact: await freeUdpPort(),
    agentBinary: await freeUdpPort(),
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skua-client-test-'));
  const env = {
    ...process.env,
    COLLECTOR_OTLP_GRPC_HOST_PORT: `127.0.0.1:${ports.otlpGrpc}`,
    COLLECTOR_OTLP_HTTP_HOST_PORT: `127.0.0.1:${ports.otlpHttp}`,
    QUERY_HTTP_SERVER_HOST_PORT: `127.0.0.1:${ports.query}`,
    ADMIN_HTTP_HOST_PORT: `127.0.0.1:${ports.admin}`,
    // Jaeger's own names for the Jaeger and Zipkin listeners (jaeger-compat §1.1, §7.2); a skua
    // without those receivers ignores them.
    COLLECTOR_GRPC_HOST_PORT: `127.0.0.1:${ports.jaegerGrpc}`,
    // --collector.grpc-server.host-port's variable by the §7.2 rule (the Jaeger gRPC receiver).
    COLLECTOR_GRPC_SERVER_HOST_PORT: `127.0.0.1:${ports.jaegerGrpc}`,
    COLLECTOR_HTTP_HOST_PORT: `127.0.0.1:${ports.jaegerHttp}`,
    // --collector.http-server.host-port's variable by the §7.2 rule (the Jaeger Thrift receiver).
    COLLECTOR_HTTP_SERVER_HOST_PORT: `127.0.0.1:${ports.jaegerHttp}`,
    COLLECTOR_ZIPKIN_HOST_PORT: `127.0.0.1:${ports.zipkin}`,
    PROCESSOR_JAEGER_COMPACT_SERVER_HOST_PORT: `127.0.0.1:${ports.agentCompact}`,
    PROCESSOR_JAEGER_BINARY_SERVER_HOST_PORT: `127.0.0.1:${ports.agentBinary}`,
    // The default (embedded, durable) store, in a fresh directory of this test's own.
    EMBEDDED_DIRECTORY: dataDir,
    ...extraEnv,
  };
  const child = spawn(skuaBin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const skua = {
    ports,
    child,
    exited,
    output: () => output,
    query: `http://127.0.0.1:${ports.query}`,
    admin: `http://127.0.0.1:${ports.admin}`,
    otlpHttp: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpc: `http://127.0.0.1:${ports.otlpGrpc}`,
    jaegerHttp: `http://127.0.0.1:${ports.jaegerHttp}`,
    zipkin: `http://127.0.0.1:${ports.zipkin}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
    async getJSON(url) {
      const res = await fetch(url);
      const body = await res.text();
      if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${body}`);
      return JSON.parse(body);
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`skua exited early:\n${output}`);
        const res = await fetch(`${skua.admin}/`);
        return res.status === 200;
      },
      { what: 'skua to become healthy' },
    );
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${e.message}\n--- skua output ---\n${output}`);
  }
  return skua;
}

// Polls /api/traces?service=… until `count` traces come back; returns the response's data.
export async function waitForTraces(skua, service, count, extraParams = '') {
  return waitFor(
    async () => {
      const r = await skua.getJSON(
        `${skua.query}/api/traces?service=${encodeURIComponent(service)}&limit=100${extraParams}`,
      );
      return r.data.length >= count ? r.data : null;
    },
    { what: `${count} trace(s) of ${service}` },
  );
}

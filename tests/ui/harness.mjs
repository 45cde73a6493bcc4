// Test harness of the web UI's end-to-end tests: a live skua (tests/clients/skua.mjs: free ports,
// a fresh data directory), W1 data from `skua tracegen`, the 10,008-span trace, and Debian's
// Chromium driven by playwright-core with the flags of clients.md §4 and a fresh profile per run.
// Pages are watched for page errors and console errors; screenshots go to
// build/test-logs/ui-screenshots/ (or $SKUA_UI_SCREENSHOTS).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { skuaBin, startSkua, waitFor } from '../clients/skua.mjs';

export { startSkua, waitFor };

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const screenshotDir =
  process.env.SKUA_UI_SCREENSHOTS ?? path.join(repoRoot, 'build/test-logs/ui-screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// clients.md §4: without the background-networking flags Chromium keeps trying to reach the
// internet.
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Launches Chromium with a new, empty profile directory; close() removes it.
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'skua-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A new page whose page errors and console errors are recorded; `problems()` lists them.
export async function openPage(browser) {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url ?? ''})`);
  });
  return { page, problems: () => problems.slice() };
}

// Fails the test when the page logged errors; closes it either way.
export async function closeClean(t, { page, problems }, name) {
  try {
    if (name) await screenshot(page, name);
  } finally {
    await page.close();
  }
  const found = problems();
  if (found.length) throw new Error(`${t?.name ?? name}: the page logged errors:\n${found.join('\n')}`);
}

export async function screenshot(page, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false });
}

// Sends `spans` W1 spans to skua over OTLP HTTP (protobuf) with `skua tracegen`, starting ten
// minutes ago so the UI's default lookback finds them. Resolves with tracegen's JSON report.
export async function loadW1(skua, spans, seed = 7) {
  const start = new Date(Date.now() - 10 * 60 * 1000).toISOString();
  const args = [
    'tracegen', '--protocol', 'otlp-http-proto', '--endpoint', `${skua.otlpHttp}/v1/traces`,
    '--spans', String(spans), '--seed', String(seed), '--start-time', start, '--json',
  ];
  const child = spawn(skuaBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`skua tracegen exited with ${code}:\n${out}\n${err}`);
  const report = JSON.parse(out.trim().split('\n').pop());
  if (report.spans_acknowledged !== spans) throw new Error(`tracegen: ${out}`);
  return report;
}

export const bigTraceId = '5ca1ab1e0000000000000000000100a8';
export const bigTraceSpans = 10008;

// The storage suite's large trace (jaeger-compat §3.8 GetLargeSpans): the example fixture's span
// cloned 10,008 times, as OTLP/JSON requests of at most `perRequest` spans. The clones form a tree
// (each span's parent is span ⌊(i−1)/4⌋, so it is 7 levels deep) over four services, one
// millisecond apart, ending about ten minutes ago.
export function bigTraceRequests(perRequest = 2500) {
  const fixture = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'tests/fixtures/traces/example_trace.json'), 'utf8'),
  );
  const rs = fixture.resourceSpans[0];
  const template = rs.scopeSpans[0].spans[0];
  const startMs = Date.now() - 10 * 60 * 1000 - bigTraceSpans - 5000;
  const spanId = (i) => (i + 1).toString(16).padStart(16, '0');
  const spans = [];
  for (let i = 0; i < bigTraceSpans; i++) {
    const startNs = BigInt(startMs + i) * 1000000n;
    // The root spans the whole trace; every other span lasts 0.5–3 ms.
    const durNs = i === 0 ? BigInt(bigTraceSpans + 10) * 1000000n : BigInt(500000 + (i % 6) * 500000);
    const span = {
      ...template,
      traceId: bigTraceId,
      spanId: spanId(i),
      name: `big-op-${i % 25}`,
      kind: i === 0 ? 2 : 1 + (i % 3),
      startTimeUnixNano: String(startNs),
      endTimeUnixNano: String(startNs + durNs),
      attributes: [...(template.attributes ?? []), { key: 'big.index', value: { intValue: String(i) } }],
    };
    delete span.parentSpanId;
    delete span.links;
    if (i > 0) span.parentSpanId = spanId(Math.floor((i - 1) / 4));
    spans.push(span);
  }
  const requests = [];
  for (let off = 0; off < spans.length; off += perRequest) {
    const byService = new Map();
    for (const [k, span] of spans.slice(off, off + perRequest).entries()) {
      const svc = `big-svc-${(off + k) % 4}`;
      if (!byService.has(svc)) byService.set(svc, []);
      byService.get(svc).push(span);
    }
    requests.push({
      resourceSpans: [...byService].map(([svc, list]) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] },
        scopeSpans: [{ scope: rs.scopeSpans[0].scope, spans: list }],
      })),
    });
  }
  return requests;
}

export async function postOtlpJson(skua, body) {
  const res = await fetch(`${skua.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /v1/traces: ${res.status} ${text}`);
}

// Loads the large trace and waits until the query API returns all of it.
export async function loadBigTrace(skua) {
  for (const req of bigTraceRequests()) await postOtlpJson(skua, req);
  await waitFor(
    async () => {
      const res = await fetch(`${skua.query}/api/traces/${bigTraceId}`);
      if (res.status !== 200) return false;
      const body = await res.json();
      return body.data?.[0]?.spans?.length === bigTraceSpans;
    },
    { timeoutMs: 30000, intervalMs: 200, what: `the ${bigTraceSpans}-span trace` },
  );
}

// Writes `contents` to a new temporary file named `name`; returns its path.
export function tempFile(name, contents) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skua-ui-file-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, contents);
  return file;
}

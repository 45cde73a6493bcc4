// How skua serves the UI (jaeger-compat §2.6): under a base path with a UI config file, and another
// UI build from --query.static-files (here a copy of skua's own build, so the same app runs from
// disk). Checks the injected values in the browser, caching headers, the SPA fallback and that
// nothing outside the UI directory is served.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { skuaBin } from '../clients/skua.mjs';
import { closeClean, launchBrowser, loadW1, openPage, repoRoot, startSkua, waitFor } from './harness.mjs';

// GET with the path sent exactly as given (fetch would normalize "..").
function rawGet(base, rawPath, headers = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method: 'GET', headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The asset URLs index.html references (relative to <base href>).
function assetPaths(html) {
  return [...html.matchAll(/(?:src|href)="\.\/(static\/[^"]+)"/g)].map((m) => m[1]);
}

// Spans are acknowledged before they are stored: wait until the service is listed.
async function waitForService(skua, service) {
  await waitFor(async () => (await skua.getJSON(`${skua.query}${skua.base ?? ''}/api/services`)).data
    .includes(service), { what: `service ${service}` });
}

const version = JSON.parse(execFileSync(skuaBin, ['version'], { encoding: 'utf8' }));
const uiConfig = { dependencies: { menuEnabled: true }, search: { maxLimit: 321 }, note: '</script>&' };

describe('UI under a base path with a UI config', { timeout: 120000 }, () => {
  let skua;
  let browser;
  let tmp;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skua-ui-serving-'));
    fs.writeFileSync(path.join(tmp, 'ui-config.json'), JSON.stringify(uiConfig));
    skua = await startSkua({ QUERY_BASE_PATH: '/jaeger', QUERY_UI_CONFIG: path.join(tmp, 'ui-config.json') });
    skua.base = '/jaeger';
    [browser] = await Promise.all([launchBrowser(), loadW1(skua, 400, 11)]);
    await waitForService(skua, 'frontend');
  });

  after(async () => {
    await browser?.close();
    await skua?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the app runs under /jaeger with the injected config and version', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    const requests = [];
    page.on('response', (r) => requests.push({ url: r.url(), status: r.status() }));
    await page.goto(`${skua.query}/`, { waitUntil: 'networkidle' });  // redirected to /jaeger/
    await page.waitForURL('**/jaeger/search**');
    const injected = await page.evaluate(() => ({
      config: window.JAEGER_CONFIG,
      capabilities: window.JAEGER_STORAGE_CAPABILITIES,
      version: window.JAEGER_VERSION,
      base: document.baseURI,
    }));
    assert.deepEqual(injected.config, uiConfig);
    assert.deepEqual(injected.capabilities, { archiveStorage: false });
    assert.deepEqual(injected.version, version);
    assert.equal(injected.base, `${skua.query}/jaeger/`);

    await waitFor(async () => (await page.getByTestId('search-service').locator('option').allTextContents())
      .includes('frontend'), { what: 'services under /jaeger/api' });
    await page.getByTestId('search-service').selectOption('frontend');
    await page.getByTestId('search-submit').click();
    const first = page.getByTestId('search-result').first();
    await first.waitFor();
    const traceId = await first.getAttribute('data-trace-id');
    await first.getByRole('link').first().click();
    await page.waitForURL(`**/jaeger/trace/${traceId}`);
    await page.getByTestId('span-row').first().waitFor();
    // A deep link loads on its own.
    await page.reload({ waitUntil: 'networkidle' });
    await page.getByTestId('span-row').first().waitFor();

    for (const r of requests) {
      const u = new URL(r.url);
      if (u.protocol === 'data:') continue;
      assert.ok(u.pathname === '/' || u.pathname.startsWith('/jaeger/'), `request under the base path: ${r.url}`);
      assert.ok(r.status < 400, `${r.url} answered ${r.status}`);
    }
    assert.ok(requests.some((r) => new URL(r.url).pathname.startsWith('/jaeger/static/')));
    assert.ok(requests.some((r) => new URL(r.url).pathname.startsWith('/jaeger/api/')));
    await closeClean(t, p, 'base-path-trace');
  });

  test('assets are compressed, cacheable and revalidated; index.html is not cached', async () => {
    const index = await rawGet(skua.query, '/jaeger/search?service=x', { 'accept-encoding': 'gzip' });
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['cache-control'], 'no-cache');
    const html = index.headers['content-encoding'] === 'gzip'
      ? zlib.gunzipSync(index.body).toString() : index.body.toString();
    assert.match(html, /<base href="\/jaeger\/"/);
    assert.ok(!html.includes('</script>&'), 'the config cannot close its <script>');
    const assets = assetPaths(html);
    assert.ok(assets.some((a) => a.endsWith('.js')), `index.html loads a script: ${assets}`);
    for (const asset of assets) {
      const gz = await rawGet(skua.query, `/jaeger/${asset}`, { 'accept-encoding': 'gzip, br' });
      assert.equal(gz.status, 200, asset);
      assert.equal(gz.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(gz.headers['content-type'], asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      const plain = await rawGet(skua.query, `/jaeger/${asset}`);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      if (gz.headers['content-encoding'] === 'gzip') {
        assert.ok(gz.body.length < plain.body.length);
        assert.deepEqual(zlib.gunzipSync(gz.body), plain.body);
      }
      const again = await rawGet(skua.query, `/jaeger/${asset}`,
        { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag });
      assert.equal(again.status, 304, asset);
      assert.equal(again.body.length, 0);
    }
    const revalidated = await rawGet(skua.query, '/jaeger/trace/abc',
      { 'accept-encoding': 'gzip', 'if-none-match': index.headers.etag });
    assert.equal(revalidated.status, 304);
  });

  test('paths outside the UI and the base path are 404', async () => {
    for (const p of ['/jaeger/static/missing-123.js', '/jaeger/static/%2e%2e/index.html', '/jaeger/../etc/passwd',
      '/jaeger/static%2Fx.js', '/jaeger/.env', '/static/x.js', '/search', '/jaegerx/search']) {
      const r = await rawGet(skua.query, p);
      assert.equal(r.status, 404, p);
    }
    const api = await rawGet(skua.query, '/jaeger/api/services');
    assert.equal(api.status, 200);
    assert.equal(JSON.parse(api.body).data.includes('frontend'), true);
  });
});

describe('--query.static-files serves another UI build', { timeout: 120000 }, () => {
  let skua;
  let browser;
  let tmp;
  let ui;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skua-ui-static-'));
    ui = path.join(tmp, 'ui');
    fs.cpSync(path.join(repoRoot, 'web/dist'), ui, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'SECRET OUTSIDE');
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(ui, 'static', 'leak.js'));
    fs.symlinkSync(tmp, path.join(ui, 'static', 'up'));
    skua = await startSkua({ QUERY_STATIC_FILES: ui, SPAN_STORAGE_TYPE: 'memory' });
    [browser] = await Promise.all([launchBrowser(), loadW1(skua, 400, 11)]);
    await waitForService(skua, 'frontend');
  });

  after(async () => {
    await browser?.close();
    await skua?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the app runs from the directory with the injections', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    await page.goto(`${skua.query}/search`, { waitUntil: 'networkidle' });
    const injected = await page.evaluate(() => [window.JAEGER_CONFIG, window.JAEGER_VERSION]);
    assert.deepEqual(injected, [{}, version]);
    await waitFor(async () => (await page.getByTestId('search-service').locator('option').allTextContents())
      .includes('frontend'), { what: 'services' });
    await closeClean(t, p, 'static-files-search');
  });

  test('files are read from disk, symlinks out of the directory are refused', async () => {
    const html = (await rawGet(skua.query, '/trace/1234')).body.toString();
    assert.match(html, /JAEGER_VERSION = \{"gitCommit"/);
    const asset = assetPaths(html).find((a) => a.endsWith('.js'));
    const js = await rawGet(skua.query, `/${asset}`);
    assert.equal(js.status, 200);
    assert.deepEqual(js.body, fs.readFileSync(path.join(ui, asset)));
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const again = await rawGet(skua.query, `/${asset}`, { 'if-none-match': js.headers.etag });
    assert.equal(again.status, 304);
    for (const p of ['/static/leak.js', '/static/up/secret.txt', '/static/%2e%2e/%2e%2e/secret.txt',
      '/static/..%2f..%2fsecret.txt', '/../secret.txt']) {
      const r = await rawGet(skua.query, p);
      assert.equal(r.status, 404, p);
      assert.ok(!r.body.toString().includes('SECRET'), p);
    }
  });
});

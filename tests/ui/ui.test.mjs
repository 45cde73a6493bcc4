// End-to-end tests of skua's web UI (issue #6) against a live skua holding W1 data and the
// 10,008-span trace, driven through the data-testid attributes of the UI contract.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  bigTraceId,
  bigTraceSpans,
  closeClean,
  launchBrowser,
  loadBigTrace,
  loadW1,
  openPage,
  repoRoot,
  startSkua,
  tempFile,
  waitFor,
} from './harness.mjs';

const W1_SPANS = 3000;

describe('web UI', { timeout: 180000 }, () => {
  let skua;
  let browser;
  const tempDirs = [];

  before(async () => {
    skua = await startSkua();
    [browser] = await Promise.all([
      launchBrowser(),
      (async () => {
        await loadW1(skua, W1_SPANS);
        await loadBigTrace(skua);
      })(),
    ]);
    // W1 is searchable once its root service answers.
    await waitFor(
      async () => (await skua.getJSON(`${skua.query}/api/services`)).data.includes('frontend'),
      { what: 'W1 services' },
    );
  });

  after(async () => {
    await browser?.close();
    await skua?.stop();
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  // Selects `service` in the search form once the service list has loaded.
  async function chooseService(page, service) {
    const select = page.getByTestId('search-service');
    await waitFor(async () => (await select.locator('option').allTextContents()).includes(service), {
      what: `service ${service} in the search form`,
    });
    await select.selectOption(service);
  }

  // Opens the first search result, expands its first span row, and checks that the attributes
  // shown are that span's tags as the API returns them.
  async function openFirstResultAndExpand(page) {
    const first = page.getByTestId('search-result').first();
    const traceId = await first.getAttribute('data-trace-id');
    assert.match(traceId, /^[0-9a-f]{16,32}$/);
    await first.getByRole('link').first().click();
    await page.waitForURL(`**/trace/${traceId}`);
    await page.getByTestId('trace-header').waitFor();
    const row = page.getByTestId('span-row').first();
    await row.waitFor();
    const spanId = await row.getAttribute('data-span-id');
    await row.click();
    const detail = page.getByTestId('span-detail').first();
    await detail.waitFor();
    const attrs = detail.getByTestId('span-attributes');
    await attrs.waitFor();
    const shown = await attrs.getByTestId('span-attribute').allTextContents();

    const api = await skua.getJSON(`${skua.query}/api/traces/${traceId}`);
    const span = api.data[0].spans.find((s) => s.spanID === spanId);
    assert.ok(span, `span ${spanId} is in the API's trace ${traceId}`);
    const tags = span.tags.filter((t) => !['span.kind', 'otel.status_code', 'error'].includes(t.key));
    assert.ok(tags.length > 0, 'the span has attributes to show');
    for (const tag of tags) {
      assert.ok(
        shown.some((text) => text.includes(tag.key) && text.includes(String(tag.value))),
        `attribute ${tag.key}=${tag.value} is shown; rows: ${JSON.stringify(shown)}`,
      );
    }
    return { traceId, spanId };
  }

  test('search by service, open a trace, expand a span: its attributes show', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    await page.goto(`${skua.query}/`, { waitUntil: 'networkidle' });
    // "/" redirects to /search.
    await page.waitForURL('**/search**');
    await chooseService(page, 'frontend');
    await page.getByTestId('search-limit').fill('1500');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-result').first().waitFor();
    await page.getByTestId('scatter-plot').waitFor();
    const count = await page.getByTestId('search-result').count();
    const countText = await page.getByTestId('search-result-count').textContent();
    assert.match(countText, new RegExp(`^\\s*${count} Traces?`));
    // The UI shows what the API finds for the same search (its URL carries the search state).
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('service'), 'frontend');
    const end = Date.now() * 1000;
    const api = await skua.getJSON(
      `${skua.query}/api/traces?service=frontend&limit=1500&start=${end - 3600e6}&end=${end}`,
    );
    assert.equal(count, api.data.length);
    for (const id of await page.getByTestId('search-result').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-trace-id')))) {
      assert.ok(api.data.some((tr) => tr.traceID === id), `result ${id} is one the API found`);
    }
    await closeClean(t, p, 'search-by-service');

    const p2 = await openPage(browser);
    await p2.page.goto(`${skua.query}/search?service=frontend&limit=20`, { waitUntil: 'networkidle' });
    await p2.page.getByTestId('search-result').first().waitFor();
    await openFirstResultAndExpand(p2.page);
    await closeClean(t, p2, 'trace-span-detail');
  });

  test('search by tag', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    await page.goto(`${skua.query}/search`, { waitUntil: 'networkidle' });
    await chooseService(page, 'frontend');
    await page.getByTestId('search-tags').fill('http.request.method=POST');
    await page.getByTestId('search-limit').fill('1500');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-result').first().waitFor();
    const ids = await page.getByTestId('search-result').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-trace-id')));
    const end = Date.now() * 1000;
    const tags = encodeURIComponent(JSON.stringify({ 'http.request.method': 'POST' }));
    const api = await skua.getJSON(
      `${skua.query}/api/traces?service=frontend&tags=${tags}&limit=1500&start=${end - 3600e6}&end=${end}`,
    );
    const all = await skua.getJSON(
      `${skua.query}/api/traces?service=frontend&limit=1500&start=${end - 3600e6}&end=${end}`,
    );
    assert.ok(api.data.length > 0 && api.data.length < all.data.length, 'the tag narrows the search');
    assert.deepEqual([...ids].sort(), api.data.map((tr) => tr.traceID).sort());
    assert.match(new URL(page.url()).search, /tags=/);
    await closeClean(t, p, 'search-by-tag');
  });

  test('the dependency graph draws its nodes', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    await page.goto(`${skua.query}/dependencies`, { waitUntil: 'networkidle' });
    const api = await skua.getJSON(
      `${skua.query}/api/dependencies?endTs=${Date.now()}&lookback=${24 * 3600 * 1000}`,
    );
    const services = new Set(api.data.flatMap((l) => [l.parent, l.child]));
    assert.ok(services.size >= 5, `W1 has dependencies (${services.size} services)`);
    await page.getByTestId('dependency-graph').waitFor();
    await waitFor(async () => (await page.getByTestId('dependency-node').count()) === services.size, {
      what: `${services.size} dependency nodes`,
    });
    const names = (await page.getByTestId('dependency-node').allTextContents()).map((s) => s.trim());
    for (const svc of services) {
      assert.ok(names.some((n) => n.includes(svc)), `node ${svc} drawn; nodes: ${names}`);
    }
    const box = await page.getByTestId('dependency-node').first().boundingBox();
    assert.ok(box && box.width > 0 && box.height > 0, 'nodes are laid out with a size');
    await closeClean(t, p, 'dependencies');
  });

  test('a trace file opens (Jaeger JSON and OTLP JSON)', async (t) => {
    // Jaeger UI JSON, as /api/traces returns and the UI downloads it.
    const search = await skua.getJSON(`${skua.query}/api/traces?service=frontend&limit=1`);
    const trace = search.data[0];
    const jaegerFile = tempFile('trace.json', JSON.stringify({ data: [trace] }));
    tempDirs.push(path.dirname(jaegerFile));
    const p = await openPage(browser);
    const { page } = p;
    await page.goto(`${skua.query}/open`, { waitUntil: 'networkidle' });
    await page.getByTestId('open-trace-file').setInputFiles(jaegerFile);
    await page.getByTestId('trace-header').waitFor();
    await page.getByTestId('span-row').first().waitFor();
    const rowIds = await page.getByTestId('span-row').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-span-id')));
    assert.equal(rowIds.length, trace.spans.length, 'every span of a small trace has a row');
    assert.deepEqual([...rowIds].sort(), trace.spans.map((s) => s.spanID).sort());
    await closeClean(t, p, 'open-jaeger-json');

    // OTLP/JSON: the storage fixture, which skua never stored.
    const otlp = path.join(repoRoot, 'tests/fixtures/traces/example_trace.json');
    const fixture = JSON.parse(fs.readFileSync(otlp, 'utf8'));
    const otlpSpans = fixture.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const p2 = await openPage(browser);
    await p2.page.goto(`${skua.query}/open`, { waitUntil: 'networkidle' });
    await p2.page.getByTestId('open-trace-file').setInputFiles(otlp);
    await p2.page.getByTestId('trace-header').waitFor();
    await p2.page.getByTestId('span-row').first().waitFor();
    const otlpRows = await p2.page.getByTestId('span-row').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-span-id')));
    assert.deepEqual(
      [...otlpRows].sort(),
      otlpSpans.map((s) => s.spanId.toLowerCase()).sort(),
      'every span of the OTLP file has a row',
    );
    const header = await p2.page.getByTestId('trace-header').textContent();
    assert.match(header, /demo-svc-1/);
    await closeClean(t, p2, 'open-otlp-json');
  });

  test('the 10,008-span trace renders few rows and scrolls', async (t) => {
    const p = await openPage(browser);
    const { page } = p;
    const started = Date.now();
    await page.goto(`${skua.query}/trace/${bigTraceId}`, { waitUntil: 'networkidle' });
    await page.getByTestId('trace-header').waitFor();
    await page.getByTestId('span-row').first().waitFor();
    const renderMs = Date.now() - started;
    const header = await page.getByTestId('trace-header').textContent();
    assert.match(header.replace(/[,\s\u202f\u00a0]/g, ''), new RegExp(String(bigTraceSpans)));

    const timeline = page.getByTestId('timeline');
    const rowIds = () => page.getByTestId('span-row').evaluateAll((els) =>
      els.map((e) => e.getAttribute('data-span-id')));
    const before = await rowIds();
    assert.ok(before.length > 0 && before.length < 300,
      `only the rows on screen are in the DOM (${before.length} of ${bigTraceSpans})`);
    const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
    assert.ok(domNodes < 20000, `the page holds ${domNodes} elements, far fewer than per-span DOM`);

    // Scroll the timeline to the middle, then to the end: new rows replace the old ones.
    const seen = new Set(before);
    for (const fraction of [0.5, 1]) {
      await timeline.evaluate((el, f) => { el.scrollTop = (el.scrollHeight - el.clientHeight) * f; }, fraction);
      const now = await waitFor(async () => {
        const ids = await rowIds();
        return ids.some((id) => !seen.has(id)) ? ids : null;
      }, { what: `new rows after scrolling to ${fraction * 100}%` });
      assert.ok(now.length < 300, `still few rows after scrolling (${now.length})`);
      now.forEach((id) => seen.add(id));
    }
    const atEnd = await timeline.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2);
    assert.ok(atEnd, 'the timeline scrolled to its end');
    assert.ok(seen.size > before.length, 'scrolling brought rows that were not rendered before');
    t.diagnostic(`10,008-span trace: first rows after ${renderMs} ms; ${before.length} rows in the DOM`);
    await closeClean(t, p, 'large-trace');
  });

  test('other pages load without errors', async (t) => {
    const search = await skua.getJSON(`${skua.query}/api/traces?service=frontend&limit=2`);
    const [a, b] = search.data.map((tr) => tr.traceID);
    for (const [route, testid, name] of [
      [`/compare/${a}/${b}`, 'compare-view', 'compare'],
      ['/search?service=no-such-service', 'search-empty', 'search-empty'],
    ]) {
      const p = await openPage(browser);
      await p.page.goto(`${skua.query}${route}`, { waitUntil: 'networkidle' });
      await p.page.getByTestId(testid).first().waitFor();
      await closeClean(t, p, name);
    }
  });
});

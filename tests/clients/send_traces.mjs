// A real OpenTelemetry JS SDK client for skua's multi-process C++ tests (tests/integration): builds
// traces with the SDK's tracer and sends them with the OTLP protobuf-over-HTTP exporter, then
// prints one JSON line per trace sent: {"traceId":"…","spanIds":["…",…]}. Exits 1 when the
// exporter reports a failure (after its own retries of 429/503 answers), 2 for bad arguments.
//
//   node send_traces.mjs --endpoint=http://127.0.0.1:4318/v1/traces [--traces=20]
//        [--spans=4] [--service=send-traces] [--batch=10]
//
// Not a test file (node --test does not pick it up): the C++ test spawns it and checks the output.
import { context, trace, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

function parseArgs(argv) {
  const args = { traces: 20, spans: 4, service: 'send-traces', batch: 10 };
  for (const a of argv) {
    const m = /^--([a-z]+)=(.*)$/.exec(a);
    if (!m || !(m[1] in args || m[1] === 'endpoint')) throw new Error(`unexpected argument ${a}`);
    args[m[1]] = m[1] === 'endpoint' || m[1] === 'service' ? m[2] : Number(m[2]);
  }
  if (!args.endpoint) throw new Error('--endpoint is required');
  for (const k of ['traces', 'spans', 'batch']) {
    if (!Number.isInteger(args[k]) || args[k] < 1) throw new Error(`--${k} must be a positive integer`);
  }
  return args;
}

// Exports `spans` with the OTLP exporter; resolves to the SDK's ExportResult.
function exportOnce(exporter, spans) {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`send_traces: ${e.message}`);
    process.exit(2);
  }
  // Spans are collected in memory first and exported in batches of whole traces, so the exit code
  // can say exactly whether every export was acknowledged.
  const collected = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': args.service }),
    spanProcessors: [new SimpleSpanProcessor(collected)],
  });
  const tracer = provider.getTracer('skua-send-traces', '1.0.0');
  const sent = [];
  for (let t = 0; t < args.traces; t++) {
    const root = tracer.startSpan(`GET /item/${t % 5}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.method': 'GET', 'test.trace.index': t },
    });
    const ctx = trace.setSpan(context.active(), root);
    const spanIds = [root.spanContext().spanId];
    for (let s = 1; s < args.spans; s++) {
      const child = tracer.startSpan(`child-${s}`, { kind: SpanKind.CLIENT, attributes: { 'test.span.index': s } }, ctx);
      spanIds.push(child.spanContext().spanId);
      child.end();
    }
    root.end();
    sent.push({ traceId: root.spanContext().traceId, spanIds });
  }
  await provider.forceFlush();
  const spans = collected.getFinishedSpans();

  const exporter = new OTLPTraceExporter({ url: args.endpoint, timeoutMillis: 10000 });
  const byTrace = new Map();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    if (!byTrace.has(id)) byTrace.set(id, []);
    byTrace.get(id).push(span);
  }
  const traceIds = [...byTrace.keys()];
  let failed = 0;
  for (let i = 0; i < traceIds.length; i += args.batch) {
    const batch = traceIds.slice(i, i + args.batch).flatMap((id) => byTrace.get(id));
    const result = await exportOnce(exporter, batch);
    if (result.code !== 0) {
      failed++;
      console.error(`send_traces: export of ${batch.length} spans failed: ${result.error?.message ?? result.code}`);
    }
  }
  await exporter.shutdown();
  await provider.shutdown();
  for (const t of sent) console.log(JSON.stringify(t));
  if (failed > 0) process.exit(1);
}

await main();

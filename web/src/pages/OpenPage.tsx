// /open: load a Jaeger JSON or OTLP/JSON trace file from disk (or drop it) and view it without
// storing it anywhere. With several traces in the file, pick one from the list.
import { useMemo, useState, type DragEvent } from 'react';
import { Empty, ErrorMessage } from '../components/common';
import { TraceView } from '../components/trace/TraceView';
import { formatDuration, formatTimestamp } from '../model/format';
import { buildTrace, type Trace } from '../model/trace';
import { parseTraceFile } from '../model/traceFile';
import { uiConfig } from '../config';

interface Loaded {
  name: string;
  format: string;
  traces: Trace[];
  notes: string[];
}

export function OpenPage() {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chosen, setChosen] = useState(0);
  const [over, setOver] = useState(false);

  const load = async (file: File) => {
    setError(null);
    try {
      const text = await file.text();
      const parsed = parseTraceFile(text);
      setLoaded({ name: file.name, format: parsed.format, notes: parsed.notes,
        traces: parsed.traces.map(buildTrace) });
      setChosen(0);
    } catch (e) {
      setLoaded(null);
      setError(e);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f) void load(f);
  };
  const trace = useMemo(() => loaded?.traces[chosen] ?? null, [loaded, chosen]);

  if (uiConfig().disableFileUploadControl === true) {
    return <Empty>Opening trace files is disabled by the server's UI configuration.</Empty>;
  }
  return (
    <div className="trace-view">
      <div className={`dropzone${over ? ' over' : ''}`} style={loaded ? { padding: 10, margin: '8px 16px' } : undefined}
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)} onDrop={onDrop}>
        {!loaded ? (
          <>
            <h2 style={{ marginTop: 0 }}>Open a trace file</h2>
            <p className="muted">Jaeger JSON (as downloaded from a trace or search) or OTLP/JSON.
              The file stays in your browser; nothing is uploaded.</p>
          </>
        ) : null}
        <label>
          {loaded ? `${loaded.name} (${loaded.format === 'otlp' ? 'OTLP/JSON' : 'Jaeger JSON'}, ${loaded.traces.length} trace${loaded.traces.length === 1 ? '' : 's'}) — open another: ` : 'Choose a file or drop it here: '}
          <input type="file" accept=".json,.jsonl,.ndjson,application/json" data-testid="open-trace-file"
            onChange={(e) => { const f = e.target.files?.[0]; if (f) void load(f); e.target.value = ''; }} />
        </label>
        {loaded?.notes.map((n) => <div key={n} className="muted">{n}</div>)}
        {loaded && loaded.traces.length > 1 ? (
          <div style={{ marginTop: 6 }}>
            <label>Trace: <select value={chosen} onChange={(e) => setChosen(Number(e.target.value))}
              data-testid="open-trace-choice">
              {loaded.traces.map((t, i) => (
                <option key={`${t.traceID}-${i}`} value={i}>
                  {t.rootServiceName}: {t.rootOperationName} — {t.spans.length} spans,
                  {' '}{formatDuration(t.duration)}, {formatTimestamp(t.startTime)}
                </option>
              ))}
            </select></label>
          </div>
        ) : null}
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      {trace ? <TraceView key={`${loaded?.name}-${chosen}`} trace={trace} /> : null}
    </div>
  );
}

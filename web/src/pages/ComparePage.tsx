// /compare and /compare/{a}/{b}: two traces side by side with their structural differences.
import { useMemo, useState, type FormEvent } from 'react';
import { fetchTrace } from '../api/client';
import { Empty, ErrorMessage, ServiceBadge, useAsync } from '../components/common';
import { serviceColor } from '../model/colors';
import { diffTraces, type DiffStatus } from '../model/compare';
import { formatDuration, formatTimestamp } from '../model/format';
import { buildTrace, type Trace } from '../model/trace';
import { Link, navigate } from '../router';

const STATUS_LABEL: Record<DiffStatus, string> = {
  'only-a': 'only in A', 'only-b': 'only in B', same: 'in both', changed: 'in both, count differs',
};

function Summary({ label, trace }: { label: string; trace: Trace }) {
  return (
    <div>
      <div className="muted">Trace {label}</div>
      <div style={{ fontWeight: 600, fontSize: 14 }}>
        <Link to={`/trace/${trace.traceID}`}>{trace.rootServiceName}: {trace.rootOperationName}</Link>
      </div>
      <div className="mono muted">{trace.traceID}</div>
      <div>{formatTimestamp(trace.startTime)} · <b>{formatDuration(trace.duration)}</b> ·
        {' '}{trace.spans.length} spans · {trace.errorCount} errors</div>
      <div style={{ display: 'flex', gap: 4, flexWrap: 'wrap', marginTop: 4 }}>
        {trace.services.map((s) => <ServiceBadge key={s.name} name={s.name} count={s.spanCount} />)}
      </div>
    </div>
  );
}

function CompareForm({ a, b }: { a: string; b: string }) {
  const [ida, setA] = useState(a);
  const [idb, setB] = useState(b);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ida.trim() && idb.trim()) navigate(`/compare/${ida.trim()}/${idb.trim()}`);
  };
  return (
    <form className="compare-form" onSubmit={submit}>
      <label>A <input value={ida} onChange={(e) => setA(e.target.value)} placeholder="trace ID"
        data-testid="compare-input-a" /></label>
      <label>B <input value={idb} onChange={(e) => setB(e.target.value)} placeholder="trace ID"
        data-testid="compare-input-b" /></label>
      <button type="submit" className="primary" disabled={!ida.trim() || !idb.trim()}>Compare</button>
    </form>
  );
}

function Diff({ a, b }: { a: Trace; b: Trace }) {
  const diff = useMemo(() => diffTraces(a, b), [a, b]);
  const [onlyChanges, setOnlyChanges] = useState(false);
  const rows = onlyChanges ? diff.rows.filter((r) => r.status !== 'same') : diff.rows;
  return (
    <>
      <div className="compare-cols">
        <Summary label="A" trace={a} />
        <Summary label="B" trace={b} />
      </div>
      <div className="compare-legend">
        <span><span className="sw" style={{ background: 'var(--only-a)' }} />only in A ({diff.onlyA})</span>
        <span><span className="sw" style={{ background: 'var(--only-b)' }} />only in B ({diff.onlyB})</span>
        <span><span className="sw" style={{ background: 'var(--diff)' }} />count differs ({diff.changed})</span>
        <span><span className="sw" />same ({diff.same})</span>
        <label className="check"><input type="checkbox" checked={onlyChanges}
          onChange={(e) => setOnlyChanges(e.target.checked)} /> differences only</label>
      </div>
      <div className="compare-tree">
        <table>
          <thead>
            <tr>
              <th>Service / operation (path from the root)</th>
              <th>A spans</th><th>B spans</th><th>A total</th><th>B total</th><th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} className={r.status === 'changed' ? 'diff' : r.status}
                data-testid="compare-row" data-status={r.status}>
                <td style={{ paddingLeft: 6 + Math.min(r.depth, 30) * 14 }}>
                  <span className="dot" style={{ background: serviceColor(r.service) }} />{' '}
                  <b>{r.service}</b> <span className="muted">{r.operation}</span>
                </td>
                <td className="n">{r.countA}{r.errorsA ? <span style={{ color: 'var(--error)' }}> ({r.errorsA}!)</span> : null}</td>
                <td className="n">{r.countB}{r.errorsB ? <span style={{ color: 'var(--error)' }}> ({r.errorsB}!)</span> : null}</td>
                <td className="n">{r.countA ? formatDuration(r.durationA) : '–'}</td>
                <td className="n">{r.countB ? formatDuration(r.durationB) : '–'}</td>
                <td>{STATUS_LABEL[r.status]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function ComparePage({ a, b }: { a: string; b: string }) {
  const ready = Boolean(a && b);
  const state = useAsync(
    ready ? (sig) => Promise.all([fetchTrace(a, sig), fetchTrace(b, sig)]) : null, [a, b]);
  const traces = useMemo(
    () => (state.status === 'done' ? state.value.map(buildTrace) : null), [state]);
  return (
    <div data-testid="compare-view">
      <CompareForm key={`${a}/${b}`} a={a} b={b} />
      {!ready ? (
        <Empty testid="compare-empty">
          <h3>Compare two traces</h3>
          <p>Enter two trace IDs above, or tick two results on the <Link to="/search">search page</Link>.</p>
        </Empty>
      ) : null}
      {state.status === 'loading' ? <div className="loading">Loading traces…</div> : null}
      {state.status === 'error' ? <ErrorMessage error={state.error} /> : null}
      {traces ? <Diff a={traces[0]} b={traces[1]} /> : null}
    </div>
  );
}

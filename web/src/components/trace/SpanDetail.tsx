// The detail panel of one span: timing, attributes, process/resource, events (logs),
// references and links, warnings.
import type { KeyValue } from '../../api/types';
import { serviceColor } from '../../model/colors';
import { formatDuration, formatTimestamp } from '../../model/format';
import type { Span, Trace } from '../../model/trace';
import { Link } from '../../router';

export function formatValue(kv: KeyValue): string {
  const v = kv.value;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function KeyValueTable({ items, testid, rowTestid }: {
  items: KeyValue[]; testid?: string; rowTestid?: string;
}) {
  if (items.length === 0) return <div className="muted" data-testid={testid}>None</div>;
  return (
    <table className="kv" data-testid={testid}>
      <tbody>
        {items.map((kv, i) => (
          <tr key={`${kv.key}-${i}`} data-testid={rowTestid}>
            <td className="k">{kv.key}</td>
            <td className="v" title={kv.type ? `type: ${kv.type}` : undefined}>{formatValue(kv)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SpanDetail({ trace, span, onClose, onSelect, selfTime, criticalTime }: {
  trace: Trace; span: Span; onClose: () => void; onSelect: (id: string) => void;
  selfTime: number; criticalTime: number;
}) {
  const parent = span.parentID ? trace.byID.get(span.parentID) : undefined;
  const tags = [...span.tags].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section className="span-detail" data-testid="span-detail" aria-label="Span details">
      <h2>
        <span className="dot" style={{ background: serviceColor(span.serviceName) }} />
        <span>{span.serviceName}</span>
        <span className="muted" style={{ fontWeight: 400 }}>{span.operationName}</span>
        {span.hasError ? <span className="badge error">error</span> : null}
        <button type="button" className="close" onClick={onClose} aria-label="Close details">✕</button>
      </h2>
      <div className="facts">
        <span>Span ID: <b className="mono">{span.originalSpanID}</b></span>
        <span>Start: <b>{formatDuration(span.relativeStart)}</b> <span className="muted">({formatTimestamp(span.startTime)})</span></span>
        <span>Duration: <b>{formatDuration(span.duration)}</b></span>
        <span>Self time: <b>{formatDuration(selfTime)}</b></span>
        {criticalTime > 0 ? <span>On critical path: <b>{formatDuration(criticalTime)}</b></span> : null}
        {span.kind ? <span>Kind: <b>{span.kind}</b></span> : null}
        {parent ? (
          <span>Parent: <a href="#" onClick={(e) => { e.preventDefault(); onSelect(parent.spanID); }}>
            {parent.serviceName}: {parent.operationName}</a></span>
        ) : <span>Root span</span>}
      </div>
      {span.warnings.length > 0 || span.orphan ? (
        <>
          <h3 style={{ color: 'var(--warn)' }}>Warnings</h3>
          <ul data-testid="span-warnings">
            {span.orphan ? <li>The parent span is not in this trace.</li> : null}
            {span.warnings.map((w, i) => <li key={i}>{w}</li>)}
          </ul>
        </>
      ) : null}
      <h3>Attributes ({span.tags.length})</h3>
      <KeyValueTable items={tags} testid="span-attributes" rowTestid="span-attribute" />
      <h3>Process / resource</h3>
      <div data-testid="span-process">
        <div>service.name: <b>{span.process.serviceName}</b></div>
        <KeyValueTable items={span.process.tags} />
      </div>
      <h3>Events ({span.logs.length})</h3>
      <div data-testid="span-events">
        {span.logs.length === 0 ? <div className="muted">None</div> : null}
        {span.logs.map((l, i) => (
          <div className="event" key={i}>
            <div className="when">
              {formatDuration(l.timestamp - trace.startTime)}
              <span className="muted" style={{ fontWeight: 400 }}> ({formatDuration(l.timestamp - span.startTime)} into the span)</span>
            </div>
            <KeyValueTable items={Array.isArray(l.fields) ? l.fields : []} />
          </div>
        ))}
      </div>
      <h3>References &amp; links ({span.references.length})</h3>
      <div data-testid="span-links">
        {span.references.length === 0 ? <div className="muted">None</div> : (
          <ul>
            {span.references.map((r, i) => {
              const inTrace = r.traceID?.toLowerCase() === trace.traceID || !r.traceID;
              const target = inTrace ? trace.byID.get(r.spanID) : undefined;
              return (
                <li key={i}>
                  <span className="mono">{r.refType}</span>{' '}
                  {target ? (
                    <a href="#" onClick={(e) => { e.preventDefault(); onSelect(target.spanID); }}>
                      {target.serviceName}: {target.operationName}
                    </a>
                  ) : inTrace ? (
                    <span className="muted">span {r.spanID} (not in this trace)</span>
                  ) : (
                    <Link to={`/trace/${r.traceID}`}>trace {r.traceID} span {r.spanID}</Link>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}

// The trace view: header summary, toolbar (find, critical path, expand/collapse, statistics,
// JSON, download), minimap, the virtualized timeline and the selected span's details.
import { useCallback, useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { ServiceBadge } from '../common';
import { criticalPath, criticalPathBySpan } from '../../model/criticalPath';
import { findSpans } from '../../model/find';
import { formatDuration, formatTimestamp } from '../../model/format';
import { selfTime } from '../../model/stats';
import { ancestors, visibleSpans, type Trace } from '../../model/trace';
import { uiConfig } from '../../config';
import { Minimap } from './Minimap';
import { SpanDetail } from './SpanDetail';
import { StatsTable } from './StatsTable';
import { Timeline, type ViewRange } from './Timeline';

type Mode = 'timeline' | 'stats' | 'json';

export function downloadTrace(trace: Trace) {
  const blob = new Blob([JSON.stringify({ data: [trace.raw] }, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `trace-${trace.traceID}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function TraceHeader({ trace }: { trace: Trace }) {
  return (
    <header className="trace-header" data-testid="trace-header">
      <h1>
        <span>{trace.rootServiceName}: {trace.rootOperationName}</span>
        <span className="tid mono">{trace.traceID}</span>
      </h1>
      <div className="facts">
        <span>Start <b>{formatTimestamp(trace.startTime)}</b></span>
        <span>Duration <b>{formatDuration(trace.duration)}</b></span>
        <span>Services <b>{trace.services.length}</b></span>
        <span>Depth <b>{trace.depth}</b></span>
        <span>Total spans <b>{trace.spans.length}</b></span>
        {trace.errorCount > 0
          ? <span style={{ color: 'var(--error)' }}>Errors <b style={{ color: 'inherit' }}>{trace.errorCount}</b></span>
          : null}
      </div>
      <div className="services">
        {trace.services.map((s) => (
          <ServiceBadge key={s.name} name={s.name} count={s.spanCount} errors={s.errorCount} />
        ))}
      </div>
      {trace.warnings.length > 0 ? (
        <div className="warnings">{trace.warnings.map((w, i) => <div key={i}>⚠ {w}</div>)}</div>
      ) : null}
    </header>
  );
}

/**
 * `initialSpanID` (a deep link) starts with that span selected and in view;
 * `onSelectionChange` hears about every selection change (to keep it in the URL).
 */
export function TraceView({ trace, initialSpanID, onSelectionChange }: {
  trace: Trace; initialSpanID?: string; onSelectionChange?: (spanID: string | null) => void;
}) {
  const initial = initialSpanID && trace.byID.has(initialSpanID) ? initialSpanID : null;
  const [mode, setMode] = useState<Mode>('timeline');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [selectedID, setSelectedID] = useState<string | null>(initial);
  const [focusedID, setFocusedID] = useState<string | null>(initial);
  const [revealToken, setRevealToken] = useState(initial ? 1 : 0);
  useEffect(() => {
    onSelectionChange?.(selectedID);
  }, [selectedID, onSelectionChange]);
  const [query, setQuery] = useState('');
  const [findPos, setFindPos] = useState(-1);
  const [range, setRange] = useState<ViewRange>({ start: 0, end: 1 });
  const [showCritical, setShowCritical] = useState(true);

  const rows = useMemo(() => visibleSpans(trace, collapsed), [trace, collapsed]);
  const matchList = useMemo(() => findSpans(trace, query), [trace, query]);
  const matchSet = useMemo(() => (matchList ? new Set(matchList) : null), [matchList]);
  const critical = useMemo(() => criticalPathBySpan(criticalPath(trace)), [trace]);
  const focusedIndex = useMemo(
    () => (focusedID ? rows.findIndex((s) => s.spanID === focusedID) : -1), [rows, focusedID]);

  const toggle = useCallback((id: string) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const select = useCallback((id: string) => {
    setSelectedID((cur) => (cur === id ? null : id));
    setFocusedID(id);
    // The detail pane takes room from the timeline: keep the row in view.
    setRevealToken((t) => t + 1);
  }, []);
  const reveal = useCallback((id: string) => {
    const anc = ancestors(trace, id);
    setCollapsed((c) => {
      if (!anc.some((a) => c.has(a.spanID))) return c;
      const next = new Set(c);
      anc.forEach((a) => next.delete(a.spanID));
      return next;
    });
    setFocusedID(id);
    setRevealToken((t) => t + 1);
  }, [trace]);
  const jumpTo = useCallback((id: string) => {
    reveal(id);
    setSelectedID(id);
    setMode('timeline');
  }, [reveal]);

  const step = (dir: 1 | -1) => {
    if (!matchList || matchList.length === 0) return;
    const pos = (findPos + dir + matchList.length) % matchList.length;
    setFindPos(pos);
    reveal(matchList[pos]);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return;
    const idx = focusedIndex < 0 ? 0 : focusedIndex;
    const cur = rows[idx];
    const moveTo = (i: number) => {
      const j = Math.max(0, Math.min(rows.length - 1, i));
      setFocusedID(rows[j].spanID);
      setRevealToken((t) => t + 1);
    };
    let handled = true;
    switch (e.key) {
      case 'ArrowDown': moveTo(focusedIndex < 0 ? 0 : idx + 1); break;
      case 'ArrowUp': moveTo(idx - 1); break;
      case 'PageDown': moveTo(idx + 20); break;
      case 'PageUp': moveTo(idx - 20); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(rows.length - 1); break;
      case 'ArrowRight':
        if (cur.childIDs.length > 0 && collapsed.has(cur.spanID)) toggle(cur.spanID);
        else if (cur.childIDs.length > 0) moveTo(idx + 1);
        break;
      case 'ArrowLeft':
        if (cur.childIDs.length > 0 && !collapsed.has(cur.spanID)) toggle(cur.spanID);
        else if (cur.parentID) reveal(cur.parentID);
        break;
      case 'Enter':
      case ' ':
        select(cur.spanID);
        break;
      case 'Escape': setSelectedID(null); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  };

  const selected = selectedID ? trace.byID.get(selectedID) : undefined;
  const jsonDisabled = uiConfig().disableJsonView === true;
  return (
    <div className="trace-view">
      <TraceHeader trace={trace} />
      <div className="toolbar">
        <input type="search" data-testid="trace-find" placeholder="Find in trace…" value={query}
          aria-label="Find in trace"
          onChange={(e) => { setQuery(e.target.value); setFindPos(-1); }}
          onKeyDown={(e) => { if (e.key === 'Enter') step(e.shiftKey ? -1 : 1); }} />
        <span className="find-count" data-testid="trace-find-count">
          {matchList ? `${findPos >= 0 ? `${findPos + 1} of ` : ''}${matchList.length} match${matchList.length === 1 ? '' : 'es'}` : ''}
        </span>
        <button type="button" onClick={() => step(-1)} disabled={!matchList?.length} aria-label="Previous match">↑</button>
        <button type="button" onClick={() => step(1)} disabled={!matchList?.length} aria-label="Next match">↓</button>
        <label className="check" title="Highlight the critical path">
          <input type="checkbox" checked={showCritical} data-testid="trace-critical-path"
            onChange={(e) => setShowCritical(e.target.checked)} />
          Critical path
        </label>
        <button type="button" onClick={() => setCollapsed(new Set())}>Expand all</button>
        <button type="button" onClick={() => setCollapsed(new Set(
          trace.spans.filter((s) => s.childIDs.length > 0 && s.depth >= 1).map((s) => s.spanID)))}>
          Collapse all
        </button>
        <span className="spacer" />
        <button type="button" className={mode === 'stats' ? 'active' : ''} data-testid="trace-stats"
          onClick={() => setMode((m) => (m === 'stats' ? 'timeline' : 'stats'))}>Statistics</button>
        {!jsonDisabled ? (
          <button type="button" className={mode === 'json' ? 'active' : ''} data-testid="trace-view-json"
            onClick={() => setMode((m) => (m === 'json' ? 'timeline' : 'json'))}>JSON</button>
        ) : null}
        <button type="button" data-testid="trace-download" onClick={() => downloadTrace(trace)}>
          Download
        </button>
      </div>
      {mode === 'timeline' ? (
        <>
          <Minimap trace={trace} range={range} onRange={setRange} />
          <Timeline trace={trace} rows={rows} range={range} collapsed={collapsed}
            selectedID={selectedID} focusedIndex={focusedIndex} revealToken={revealToken}
            matches={matchSet} critical={showCritical ? critical : null}
            onToggle={toggle} onSelect={select} onKeyDown={onKeyDown} />
          {selected ? (
            <SpanDetail trace={trace} span={selected} onClose={() => setSelectedID(null)}
              onSelect={jumpTo} selfTime={selfTime(trace, selected)}
              criticalTime={(critical.get(selected.spanID) ?? []).reduce((a, s) => a + s.end - s.start, 0)} />
          ) : null}
        </>
      ) : null}
      {mode === 'stats' ? <StatsTable trace={trace} /> : null}
      {mode === 'json' ? (
        <pre className="json-view" data-testid="trace-json">{JSON.stringify(trace.raw, null, 2)}</pre>
      ) : null}
    </div>
  );
}

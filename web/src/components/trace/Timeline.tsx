// The virtualized span timeline: a time ruler, then one row per visible span with its tree
// indentation, service colour, duration bar, critical-path overlay and event marks. Only the
// rows in (or just around) the viewport are in the DOM.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { serviceColor } from '../../model/colors';
import type { PathSegment } from '../../model/criticalPath';
import { formatDuration } from '../../model/format';
import type { Span, Trace } from '../../model/trace';
import { scrollToReveal, virtualWindow } from '../../model/virtual';

export const ROW_HEIGHT = 24;
export const NAME_WIDTH = 380;
const INDENT = 12;
const MAX_INDENT_LEVELS = 24;

export interface ViewRange {
  /** Fractions of the trace duration, 0 <= start < end <= 1. */
  start: number;
  end: number;
}

export function Ruler({ trace, range }: { trace: Trace; range: ViewRange }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const from = range.start * trace.duration;
  const width = (range.end - range.start) * trace.duration;
  return (
    <div className="timeline-head">
      <div className="name-col" style={{ width: NAME_WIDTH }}>Service &amp; Operation</div>
      <div className="ruler">
        {ticks.map((t) => (
          <div key={t} className={`tick${t === 1 ? ' last' : ''}`}
            style={t === 1 ? { left: '100%' } : { left: `${t * 100}%` }}>
            {formatDuration(from + t * width)}
          </div>
        ))}
      </div>
    </div>
  );
}

interface RowProps {
  span: Span;
  trace: Trace;
  top: number;
  range: ViewRange;
  collapsed: boolean;
  selected: boolean;
  focused: boolean;
  match: boolean;
  dim: boolean;
  critical: PathSegment[] | undefined;
  onToggle: (id: string) => void;
  onSelect: (id: string) => void;
}

function SpanRow(p: RowProps) {
  const { span, trace } = p;
  const total = trace.duration || 1;
  const vStart = p.range.start * total;
  const vWidth = (p.range.end - p.range.start) * total || 1;
  const pct = (us: number) => ((us - vStart) / vWidth) * 100;
  const left = pct(span.relativeStart);
  const width = Math.max((span.duration / vWidth) * 100, 0);
  const color = serviceColor(span.serviceName);
  const hasChildren = span.childIDs.length > 0;
  const indent = Math.min(span.depth, MAX_INDENT_LEVELS) * INDENT;
  const labelLeft = left + width > 75 ? undefined : `calc(${Math.max(left + width, 0)}% + 4px)`;
  const labelRight = left + width > 75 ? `calc(${Math.max(100 - left, 0)}% + 4px)` : undefined;
  const cls = ['span-row'];
  if (p.selected) cls.push('selected');
  if (p.focused) cls.push('focused');
  if (p.match) cls.push('match');
  if (p.dim) cls.push('dim');
  return (
    <div className={cls.join(' ')} data-testid="span-row" data-span-id={span.spanID}
      style={{ top: p.top, height: ROW_HEIGHT }} role="row" aria-selected={p.selected}
      aria-level={span.depth + 1} aria-expanded={hasChildren ? !p.collapsed : undefined}
      onClick={() => p.onSelect(span.spanID)}>
      <div className="name-col" style={{ width: NAME_WIDTH, paddingLeft: 4 + indent }}
        title={`${span.serviceName}: ${span.operationName}`}>
        {hasChildren ? (
          <button type="button" className="toggle" aria-label={p.collapsed ? 'Expand' : 'Collapse'}
            onClick={(e) => { e.stopPropagation(); p.onToggle(span.spanID); }}>
            {p.collapsed ? '▸' : '▾'}
          </button>
        ) : <span className="toggle" />}
        <span className="dot" style={{ background: color }} />
        {span.depth > MAX_INDENT_LEVELS ? <span className="nchild">L{span.depth}</span> : null}
        <span className="svc">{span.serviceName}</span>
        <span className="op">{span.operationName}</span>
        {span.hasError ? <span className="err" title="Error">!</span> : null}
        {hasChildren && p.collapsed ? (
          <span className="nchild">+{span.subtreeEnd - span.index - 1}</span>
        ) : null}
      </div>
      <div className="bar-col">
        {[25, 50, 75].map((g) => <div key={g} className="gridline" style={{ left: `${g}%` }} />)}
        <div className={`bar${span.hasError ? ' error' : ''}`}
          style={{ left: `${left}%`, width: `${width}%`, background: color }} />
        {p.critical?.map((seg, i) => (
          <div key={i} className="cp" title="Critical path"
            style={{ left: `${pct(seg.start - trace.startTime)}%`,
              width: `${((seg.end - seg.start) / vWidth) * 100}%` }} />
        ))}
        {span.logs.slice(0, 50).map((l, i) => (
          <div key={`l${i}`} className="log-mark"
            style={{ left: `${pct(l.timestamp - trace.startTime)}%` }} />
        ))}
        <span className="dur-label" style={{ left: labelLeft, right: labelRight }}>
          {formatDuration(span.duration)}
        </span>
      </div>
    </div>
  );
}

export interface TimelineProps {
  trace: Trace;
  rows: Span[];
  range: ViewRange;
  collapsed: ReadonlySet<string>;
  selectedID: string | null;
  focusedIndex: number;
  /** Bumped to scroll the focused row into view. */
  revealToken: number;
  matches: ReadonlySet<string> | null;
  critical: Map<string, PathSegment[]> | null;
  onToggle: (id: string) => void;
  onSelect: (id: string) => void;
  onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => void;
}

export function Timeline(p: TimelineProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    setViewport(el.clientHeight);
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || p.revealToken === 0 || p.focusedIndex < 0) return;
    const next = scrollToReveal(p.focusedIndex, ROW_HEIGHT, el.scrollTop, el.clientHeight);
    if (next !== el.scrollTop) el.scrollTop = next;
    // Only a new reveal request scrolls, not every re-render.
  }, [p.revealToken]);

  const win = virtualWindow(p.rows.length, ROW_HEIGHT, scrollTop, viewport, 8);
  const rendered: JSX.Element[] = [];
  for (let i = win.start; i < win.end; i++) {
    const s = p.rows[i];
    rendered.push(
      <SpanRow key={s.spanID} span={s} trace={p.trace} top={i * ROW_HEIGHT} range={p.range}
        collapsed={p.collapsed.has(s.spanID)} selected={p.selectedID === s.spanID}
        focused={p.focusedIndex === i} match={p.matches?.has(s.spanID) ?? false}
        dim={p.matches !== null && !p.matches.has(s.spanID)}
        critical={p.critical?.get(s.spanID)} onToggle={p.onToggle} onSelect={p.onSelect} />,
    );
  }
  return (
    <>
      <Ruler trace={p.trace} range={p.range} />
      <div className="timeline" data-testid="timeline" ref={ref} tabIndex={0} role="treegrid"
        aria-label="Span timeline" aria-rowcount={p.rows.length}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} onKeyDown={p.onKeyDown}>
        <div className="rows" style={{ height: win.totalHeight }}>{rendered}</div>
      </div>
    </>
  );
}

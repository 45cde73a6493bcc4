// Duration-over-time plot of search results (plain SVG): x = start time, y = duration,
// radius grows with span count, red = traces with errors. Clicking a dot opens the trace.
import { useState } from 'react';
import { formatDuration, formatTimestamp } from '../model/format';
import type { Trace } from '../model/trace';

const W = 800;
const H = 170;
const PAD_L = 56;
const PAD_R = 12;
const PAD_T = 10;
const PAD_B = 22;

function niceTicks(max: number, count: number): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}

export function ScatterPlot({ traces, onOpen }: {
  traces: Trace[]; onOpen: (traceID: string) => void;
}) {
  const [hover, setHover] = useState<Trace | null>(null);
  if (traces.length === 0) return null;
  let t0 = Infinity;
  let t1 = -Infinity;
  let dmax = 0;
  let smax = 1;
  for (const t of traces) {
    t0 = Math.min(t0, t.startTime);
    t1 = Math.max(t1, t.startTime);
    dmax = Math.max(dmax, t.duration);
    smax = Math.max(smax, t.spans.length);
  }
  const span = t1 - t0 || 1;
  const yTicks = niceTicks(dmax * 1.05 || 1, 4);
  const ymax = yTicks[yTicks.length - 1] || 1;
  const x = (us: number) => PAD_L + ((us - t0) / span) * (W - PAD_L - PAD_R);
  const y = (d: number) => H - PAD_B - (d / ymax) * (H - PAD_T - PAD_B);
  const xTicks = [t0, t0 + span / 2, t1];
  return (
    <div className="scatter" data-testid="scatter-plot">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" style={{ display: "block", maxHeight: 220 }}
        role="img" aria-label="Trace durations over time">
        {yTicks.map((v) => (
          <g key={v}>
            <line x1={PAD_L} x2={W - PAD_R} y1={y(v)} y2={y(v)} />
            <text x={PAD_L - 4} y={y(v) + 3} textAnchor="end">{formatDuration(v)}</text>
          </g>
        ))}
        {xTicks.map((v, i) => (
          <text key={i} x={x(v)} y={H - 6} textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
            {formatTimestamp(v).slice(11, span < 60e6 ? 23 : 19)}
          </text>
        ))}
        {traces.map((t) => (
          <circle key={t.traceID} cx={x(t.startTime)} cy={y(t.duration)}
            r={3 + 5 * Math.sqrt(t.spans.length / smax)}
            fill={t.errorCount > 0 ? 'var(--error)' : 'var(--accent)'} fillOpacity={0.55}
            onClick={() => onOpen(t.traceID)}
            onMouseEnter={() => setHover(t)} onMouseLeave={() => setHover(null)}>
            <title>{`${t.rootServiceName}: ${t.rootOperationName}\n${formatDuration(t.duration)}, ${t.spans.length} spans`}</title>
          </circle>
        ))}
      </svg>
      <div className="muted" style={{ padding: '0 8px 4px', fontSize: 12, minHeight: 18 }}>
        {hover
          ? `${hover.rootServiceName}: ${hover.rootOperationName} — ${formatDuration(hover.duration)}, ${hover.spans.length} spans, ${formatTimestamp(hover.startTime)}`
          : 'Duration over time; click a dot to open the trace.'}
      </div>
    </div>
  );
}

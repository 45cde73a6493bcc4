// The trace minimap: every span drawn on a canvas (rows compressed to fit), the current zoom
// window shaded. Dragging selects a time range to zoom into; double-click resets.
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { serviceColor } from '../../model/colors';
import type { Trace } from '../../model/trace';
import type { ViewRange } from './Timeline';
import { NAME_WIDTH } from './Timeline';

export function Minimap({ trace, range, onRange }: {
  trace: Trace; range: ViewRange; onRange: (r: ViewRange) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return undefined;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const w = canvas.clientWidth;
      const h = canvas.clientHeight;
      canvas.width = Math.max(1, Math.floor(w * dpr));
      canvas.height = Math.max(1, Math.floor(h * dpr));
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const n = trace.spans.length;
      const total = trace.duration || 1;
      const rowH = Math.max(h / Math.max(n, 1), 0.5);
      for (let i = 0; i < n; i++) {
        const s = trace.spans[i];
        ctx.fillStyle = serviceColor(s.serviceName);
        const x = (s.relativeStart / total) * w;
        const bw = Math.max((s.duration / total) * w, 1);
        ctx.fillRect(x, (i / n) * h, bw, Math.max(rowH, 1));
      }
    };
    draw();
    const ro = new ResizeObserver(draw);
    ro.observe(canvas);
    return () => ro.disconnect();
  }, [trace]);

  const frac = (e: MouseEvent) => {
    const r = boxRef.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
  };
  const sel = drag ? { start: Math.min(drag.from, drag.to), end: Math.max(drag.from, drag.to) } : range;
  const zoomed = range.start > 0 || range.end < 1;
  return (
    <div style={{ display: 'flex', flex: 'none' }}>
      <div style={{ width: NAME_WIDTH, flex: 'none', padding: '4px 8px', fontSize: 12,
        borderBottom: '1px solid var(--border)', borderRight: '1px solid var(--border)' }} className="muted">
        {zoomed ? (
          <button type="button" onClick={() => onRange({ start: 0, end: 1 })}>Reset zoom</button>
        ) : 'Drag on the minimap to zoom'}
      </div>
      <div className="minimap" ref={boxRef} style={{ flex: 1 }} data-testid="trace-minimap"
        onMouseDown={(e) => { const f = frac(e); setDrag({ from: f, to: f }); }}
        onMouseMove={(e) => { if (drag) setDrag({ ...drag, to: frac(e) }); }}
        onMouseUp={() => {
          if (drag && Math.abs(drag.to - drag.from) > 0.005) onRange(sel);
          setDrag(null);
        }}
        onMouseLeave={() => setDrag(null)}
        onDoubleClick={() => onRange({ start: 0, end: 1 })}>
        <canvas ref={canvasRef} />
        <div className="shade" style={{ left: 0, width: `${sel.start * 100}%` }} />
        <div className="shade" style={{ left: `${sel.end * 100}%`, right: 0 }} />
        <div className="view-window" style={{ left: `${sel.start * 100}%`, width: `${(sel.end - sel.start) * 100}%` }} />
      </div>
    </div>
  );
}

// The statistics table of a trace, grouped by service then operation, sortable by column.
import { useMemo, useState } from 'react';
import { serviceColor } from '../../model/colors';
import { formatDuration } from '../../model/format';
import { traceStats, type StatsRow } from '../../model/stats';
import type { Trace } from '../../model/trace';

type Col = 'name' | 'count' | 'total' | 'avg' | 'min' | 'max' | 'selfTotal' | 'errors';
const COLS: Array<{ key: Col; label: string }> = [
  { key: 'name', label: 'Service / operation' }, { key: 'count', label: 'Spans' },
  { key: 'total', label: 'Total' }, { key: 'avg', label: 'Avg' }, { key: 'min', label: 'Min' },
  { key: 'max', label: 'Max' }, { key: 'selfTotal', label: 'Self time' },
  { key: 'errors', label: 'Errors' },
];

export function StatsTable({ trace }: { trace: Trace }) {
  const rows = useMemo(() => traceStats(trace), [trace]);
  const [sort, setSort] = useState<{ col: Col; desc: boolean }>({ col: 'name', desc: false });
  const groups = useMemo(() => {
    const gs: Array<{ svc: StatsRow; ops: StatsRow[] }> = [];
    for (const r of rows) {
      if (r.operation === '') gs.push({ svc: r, ops: [] });
      else gs[gs.length - 1].ops.push(r);
    }
    const val = (r: StatsRow) => (sort.col === 'name' ? (r.operation || r.service) : r[sort.col]);
    const cmp = (a: StatsRow, b: StatsRow) => {
      const x = val(a);
      const y = val(b);
      const c = typeof x === 'string' && typeof y === 'string' ? x.localeCompare(y) : Number(x) - Number(y);
      return sort.desc ? -c : c;
    };
    gs.sort((a, b) => cmp(a.svc, b.svc));
    for (const g of gs) g.ops.sort(cmp);
    return gs;
  }, [rows, sort]);
  const fmt = (r: StatsRow, c: Col) => (c === 'count' || c === 'errors' ? String(r[c])
    : formatDuration(r[c as 'total']));
  return (
    <div className="stats" data-testid="trace-stats-table">
      <table>
        <thead>
          <tr>
            {COLS.map((c) => (
              <th key={c.key} onClick={() => setSort((s) => ({ col: c.key,
                desc: s.col === c.key ? !s.desc : c.key !== 'name' }))}>
                {c.label}{sort.col === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => [
            <tr key={g.svc.service} className="svc-row">
              <td><span className="dot" style={{ background: serviceColor(g.svc.service) }} /> {g.svc.service}</td>
              {COLS.slice(1).map((c) => <td key={c.key} className="n">{fmt(g.svc, c.key)}</td>)}
            </tr>,
            ...g.ops.map((r) => (
              <tr key={`${g.svc.service}\u0000${r.operation}`}>
                <td style={{ paddingLeft: 24 }}>{r.operation}</td>
                {COLS.slice(1).map((c) => <td key={c.key} className="n">{fmt(r, c.key)}</td>)}
              </tr>
            )),
          ])}
        </tbody>
      </table>
    </div>
  );
}

// /dependencies: the service dependency graph from /api/dependencies, laid out automatically,
// with call counts on the edges and a table of the links.
import { useMemo, useState } from 'react';
import { fetchDependencies } from '../api/client';
import { Empty, ErrorMessage, useAsync } from '../components/common';
import { serviceColor } from '../model/colors';
import { layoutGraph } from '../model/layout';
import { serializeSearchState, defaultSearchState } from '../model/searchState';
import type { DependencyLink } from '../api/types';
import { navigate } from '../router';

const LOOKBACKS = [
  { label: 'Last hour', ms: 3600e3 }, { label: 'Last 6 hours', ms: 6 * 3600e3 },
  { label: 'Last 24 hours', ms: 24 * 3600e3 }, { label: 'Last 2 days', ms: 48 * 3600e3 },
  { label: 'Last 7 days', ms: 7 * 24 * 3600e3 },
];

function Graph({ links }: { links: DependencyLink[] }) {
  const [hover, setHover] = useState<string | null>(null);
  const layout = useMemo(() => {
    const names = new Set<string>();
    for (const l of links) {
      names.add(l.parent);
      names.add(l.child);
    }
    return layoutGraph([...names], links.map((l) => ({ from: l.parent, to: l.child, count: l.callCount })));
  }, [links]);
  // Dense graphs: call counts only for the hovered service's edges, to stay readable.
  const showLabels = layout.edges.length <= 40;
  return (
    <svg width={layout.width} height={layout.height} role="img" aria-label="Service dependency graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
          orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--fg-2)" />
        </marker>
      </defs>
      {layout.edges.map((e) => (
        <g key={`${e.from}\u0000${e.to}`} className={`edge${hover && (hover === e.from || hover === e.to) ? ' hl' : ''}`}>
          <path d={e.path} markerEnd="url(#arrow)" />
          {showLabels || hover === e.from || hover === e.to
            ? <text x={e.labelX} y={e.labelY} textAnchor="middle">{e.count}</text> : null}
          <title>{`${e.from} → ${e.to}: ${e.count} call${e.count === 1 ? '' : 's'}`}</title>
        </g>
      ))}
      {layout.nodes.map((n) => (
        <g key={n.id} className="node" data-testid="dependency-node" transform={`translate(${n.x},${n.y})`}
          onMouseEnter={() => setHover(n.id)} onMouseLeave={() => setHover(null)}
          style={{ cursor: 'pointer' }}
          onClick={() => navigate(`/search?${serializeSearchState({ ...defaultSearchState(), service: n.id })}`)}>
          <rect width={n.width} height={n.height} rx={6} style={{ stroke: serviceColor(n.id) }} />
          <text x={n.width / 2} y={n.height / 2 + 4} textAnchor="middle">{n.id}</text>
        </g>
      ))}
    </svg>
  );
}

export function DependenciesPage() {
  const [lookback, setLookback] = useState(LOOKBACKS[2].ms);
  const [nonce, setNonce] = useState(0);
  const state = useAsync((sig) => fetchDependencies(Date.now(), lookback, sig), [lookback, nonce]);
  const links = state.status === 'done' ? state.value.filter((l) => l && l.parent && l.child) : [];
  const services = new Set(links.flatMap((l) => [l.parent, l.child]));
  return (
    <div>
      <div className="deps-bar">
        <label>Lookback <select value={lookback} onChange={(e) => setLookback(Number(e.target.value))}
          data-testid="dependencies-lookback">
          {LOOKBACKS.map((l) => <option key={l.ms} value={l.ms}>{l.label}</option>)}
        </select></label>
        <button type="button" onClick={() => setNonce((n) => n + 1)}>Refresh</button>
        {state.status === 'done' ? (
          <span className="muted">{services.size} services, {links.length} links,
            {' '}{links.reduce((s, l) => s + (Number(l.callCount) || 0), 0)} calls</span>
        ) : null}
      </div>
      {state.status === 'loading' ? <div className="loading">Loading dependencies…</div> : null}
      {state.status === 'error' ? <ErrorMessage error={state.error} /> : null}
      {state.status === 'done' ? (
        <>
          <div className="dependency-graph" data-testid="dependency-graph">
            {links.length === 0 ? (
              <Empty testid="dependencies-empty">
                <h3>No dependencies</h3>
                <p>No service called another in this time range.</p>
              </Empty>
            ) : <Graph links={links} />}
          </div>
          <div className="content">
            <table className="kv" style={{ maxWidth: 700 }}>
              <tbody>
                {links.map((l) => (
                  <tr key={`${l.parent}\u0000${l.child}`}>
                    <td className="k">
                      <span className="dot" style={{ background: serviceColor(l.parent) }} /> {l.parent} → {l.child}
                    </td>
                    <td className="v">{l.callCount} calls</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

// /search: the search form (services and operations from the API, logfmt tags, lookback or a
// custom range, durations, limit), the results with sort orders, the duration scatter plot and
// picking two traces to compare. The submitted search lives in the URL.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { fetchOperations, fetchServices, searchTraces } from '../api/client';
import { Empty, ErrorMessage, ServiceBadge, useAsync } from '../components/common';
import { ScatterPlot } from '../components/ScatterPlot';
import { formatDuration, formatRelative, formatTimestamp } from '../model/format';
import {
  LOOKBACKS, MAX_LIMIT, SORT_LABELS, SORT_ORDERS, parseSearchState, serializeSearchState,
  sortTraces, toApiQuery, type SearchState, type SortOrder,
} from '../model/searchState';
import { buildTrace, type Trace } from '../model/trace';
import { Link, navigate } from '../router';
import { uiConfig } from '../config';

function usToLocalInput(us: string): string {
  const n = Number(us);
  if (!us || !Number.isFinite(n)) return '';
  const d = new Date(n / 1000 - new Date(n / 1000).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function localInputToUs(v: string): string {
  if (!v) return '';
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? String(ms * 1000) : '';
}

function SearchForm({ initial, onSubmit }: {
  initial: SearchState; onSubmit: (s: SearchState) => void;
}) {
  const [draft, setDraft] = useState<SearchState>(initial);
  const [formErrors, setFormErrors] = useState<string[]>([]);
  useEffect(() => setDraft(initial), [initial]);
  const services = useAsync((sig) => fetchServices(sig), []);
  const operations = useAsync(
    draft.service ? (sig) => fetchOperations(draft.service, sig) : null, [draft.service]);
  const serviceList = services.status === 'done' ? services.value : [];
  const maxLimit = uiConfig().search?.maxLimit ?? MAX_LIMIT;

  // Pick the first service when none is chosen yet.
  useEffect(() => {
    if (!draft.service && serviceList.length > 0) {
      setDraft((d) => (d.service ? d : { ...d, service: serviceList[0] }));
    }
  }, [draft.service, serviceList]);

  const set = <K extends keyof SearchState>(k: K, v: SearchState[K]) =>
    setDraft((d) => ({ ...d, [k]: v }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = toApiQuery(draft, Date.now());
    if (!q.ok) {
      setFormErrors(q.errors);
      return;
    }
    setFormErrors([]);
    onSubmit(draft);
  };

  const opList = operations.status === 'done' ? operations.value : [];
  return (
    <form className="search-form" onSubmit={submit} aria-label="Search traces">
      {services.status === 'error' ? <ErrorMessage error={services.error} /> : null}
      <label htmlFor="sf-service">Service {serviceList.length ? <span className="muted">({serviceList.length})</span> : null}</label>
      <select id="sf-service" data-testid="search-service" value={draft.service}
        onChange={(e) => setDraft((d) => ({ ...d, service: e.target.value, operation: '' }))}>
        {draft.service && !serviceList.includes(draft.service)
          ? <option value={draft.service}>{draft.service}</option> : null}
        {!draft.service ? <option value="">{services.status === 'loading' ? 'Loading…' : 'No services'}</option> : null}
        {serviceList.map((s) => <option key={s} value={s}>{s}</option>)}
      </select>
      <label htmlFor="sf-operation">Operation {opList.length ? <span className="muted">({opList.length})</span> : null}</label>
      <select id="sf-operation" data-testid="search-operation" value={draft.operation}
        onChange={(e) => set('operation', e.target.value)}>
        <option value="">all</option>
        {draft.operation && !opList.includes(draft.operation)
          ? <option value={draft.operation}>{draft.operation}</option> : null}
        {opList.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
      <label htmlFor="sf-tags">Tags</label>
      <input id="sf-tags" data-testid="search-tags" type="text" value={draft.tags}
        placeholder='http.status_code=500 error=true' spellCheck={false}
        onChange={(e) => set('tags', e.target.value)} />
      <div className="hint">logfmt: key=value pairs separated by spaces, "quoted values" allowed</div>
      <label htmlFor="sf-lookback">Lookback</label>
      <select id="sf-lookback" data-testid="search-lookback" value={draft.lookback}
        onChange={(e) => {
          const v = e.target.value;
          setDraft((d) => {
            if (v !== 'custom' || d.start) return { ...d, lookback: v };
            const now = Date.now() * 1000;
            return { ...d, lookback: v, start: String(now - 3600e6), end: String(now) };
          });
        }}>
        {LOOKBACKS.map((l) => <option key={l.value} value={l.value}>{l.label}</option>)}
        <option value="custom">Custom time range</option>
      </select>
      {draft.lookback === 'custom' ? (
        <div className="row2">
          <div>
            <label htmlFor="sf-start">From</label>
            <input id="sf-start" type="datetime-local" value={usToLocalInput(draft.start)}
              onChange={(e) => set('start', localInputToUs(e.target.value))} />
          </div>
          <div>
            <label htmlFor="sf-end">To</label>
            <input id="sf-end" type="datetime-local" value={usToLocalInput(draft.end)}
              onChange={(e) => set('end', localInputToUs(e.target.value))} />
          </div>
        </div>
      ) : null}
      <div className="row2">
        <div>
          <label htmlFor="sf-min">Min duration</label>
          <input id="sf-min" data-testid="search-min-duration" type="text" placeholder="e.g. 100ms"
            value={draft.minDuration} onChange={(e) => set('minDuration', e.target.value)} />
        </div>
        <div>
          <label htmlFor="sf-max">Max duration</label>
          <input id="sf-max" data-testid="search-max-duration" type="text" placeholder="e.g. 1.5s"
            value={draft.maxDuration} onChange={(e) => set('maxDuration', e.target.value)} />
        </div>
      </div>
      <label htmlFor="sf-limit">Limit results</label>
      <input id="sf-limit" data-testid="search-limit" type="number" min={1} max={maxLimit}
        value={draft.limit}
        onChange={(e) => set('limit', Math.max(1, Math.min(maxLimit, Number(e.target.value) || 1)))} />
      {formErrors.length ? (
        <div className="form-errors" role="alert">{formErrors.map((e) => <div key={e}>{e}</div>)}</div>
      ) : null}
      <button type="submit" className="primary" data-testid="search-submit"
        disabled={!draft.service}>Find Traces</button>
    </form>
  );
}

function ResultItem({ trace, maxDuration, checked, onCheck, checkDisabled, nowMs }: {
  trace: Trace; maxDuration: number; checked: boolean; onCheck: (on: boolean) => void;
  checkDisabled: boolean; nowMs: number;
}) {
  return (
    <div className="result" data-testid="search-result" data-trace-id={trace.traceID}>
      <div className="result-head">
        <input type="checkbox" data-testid="compare-checkbox" checked={checked}
          disabled={checkDisabled && !checked} title="Select to compare"
          onChange={(e) => onCheck(e.target.checked)} />
        <Link className="title" to={`/trace/${trace.traceID}`} data-testid="search-result-title">
          {trace.rootServiceName}: {trace.rootOperationName}
          <span className="tid mono">{trace.traceID.slice(0, 7)}</span>
        </Link>
        <span className="dur">{formatDuration(trace.duration)}</span>
      </div>
      <div className="durbar" style={{ width: `${maxDuration ? (trace.duration / maxDuration) * 100 : 0}%` }} />
      <div className="result-body">
        <div>
          <div><b>{trace.spans.length}</b> Span{trace.spans.length === 1 ? '' : 's'}</div>
          {trace.errorCount > 0
            ? <div style={{ color: 'var(--error)' }}><b>{trace.errorCount}</b> Error{trace.errorCount === 1 ? '' : 's'}</div>
            : null}
        </div>
        <div className="badges">
          {trace.services.map((s) => (
            <ServiceBadge key={s.name} name={s.name} count={s.spanCount} errors={s.errorCount} />
          ))}
        </div>
        <div className="meta">
          <div>{formatTimestamp(trace.startTime)}</div>
          <div>{formatRelative(trace.startTime, nowMs)}</div>
        </div>
      </div>
    </div>
  );
}

function downloadJson(name: string, value: unknown) {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Results({ state, traces }: { state: SearchState; traces: Trace[] }) {
  const [selected, setSelected] = useState<string[]>([]);
  const sorted = useMemo(() => sortTraces(traces, state.sort), [traces, state.sort]);
  const maxDuration = traces.reduce((m, t) => Math.max(m, t.duration), 0);
  const nowMs = Date.now();
  const setSort = (sort: SortOrder) =>
    navigate(`/search?${serializeSearchState({ ...state, sort })}`, { replace: true });
  if (traces.length === 0) {
    return (
      <Empty testid="search-empty">
        <h3>No traces found</h3>
        <p>Try a longer lookback, another service or operation, or fewer tags.</p>
      </Empty>
    );
  }
  return (
    <>
      <ScatterPlot traces={traces} onOpen={(id) => navigate(`/trace/${id}`)} />
      <div className="results-bar">
        <span className="count" data-testid="search-result-count">
          {traces.length} Trace{traces.length === 1 ? '' : 's'}
        </span>
        <label>Sort: <select value={state.sort} data-testid="search-sort"
          onChange={(e) => setSort(e.target.value as SortOrder)}>
          {SORT_ORDERS.map((o) => <option key={o} value={o}>{SORT_LABELS[o]}</option>)}
        </select></label>
        <span className="spacer" />
        <span className="muted">{selected.length}/2 selected</span>
        <button type="button" data-testid="compare-selected" disabled={selected.length !== 2}
          onClick={() => navigate(`/compare/${selected[0]}/${selected[1]}`)}>Compare</button>
        <button type="button" onClick={() => downloadJson(`traces-${Date.now()}.json`,
          { data: traces.map((t) => t.raw) })}>Download results</button>
      </div>
      {sorted.map((t) => (
        <ResultItem key={t.traceID} trace={t} maxDuration={maxDuration} nowMs={nowMs}
          checked={selected.includes(t.traceID)} checkDisabled={selected.length >= 2}
          onCheck={(on) => setSelected((sel) =>
            on ? [...sel.filter((x) => x !== t.traceID), t.traceID].slice(-2)
              : sel.filter((x) => x !== t.traceID))} />
      ))}
    </>
  );
}

export function SearchPage({ search }: { search: string }) {
  const state = useMemo(() => parseSearchState(search), [search]);
  const [nonce, setNonce] = useState(0);
  const queryKey = useMemo(() => {
    const copy = new URLSearchParams(search);
    copy.delete('sort');
    return copy.toString();
  }, [search]);
  const results = useAsync(
    state.service
      ? async (sig) => {
        const q = toApiQuery(state, Date.now());
        if (!q.ok) throw new Error(q.errors.join('; '));
        const raw = await searchTraces(q.params, sig);
        return raw.map(buildTrace);
      }
      : null,
    [queryKey, nonce]);

  const onSubmit = (s: SearchState) => {
    navigate(`/search?${serializeSearchState(s)}`);
    setNonce((n) => n + 1);
  };

  return (
    <div className="search-layout">
      <SearchForm initial={state} onSubmit={onSubmit} />
      <section className="search-results" aria-label="Search results">
        {results.status === 'idle' ? (
          <Empty testid="search-idle">
            <h3>Find traces</h3>
            <p>Choose a service and press “Find Traces”, or <Link to="/open">open a trace file</Link>.</p>
          </Empty>
        ) : null}
        {results.status === 'loading' ? <div className="loading">Searching…</div> : null}
        {results.status === 'error' ? <ErrorMessage error={results.error} /> : null}
        {results.status === 'done' ? <Results state={state} traces={results.value} /> : null}
      </section>
    </div>
  );
}

// /trace/{traceId}: loads the trace from the API and shows the trace view.
import { useCallback, useMemo } from 'react';
import { fetchTrace } from '../api/client';
import { ErrorMessage, useAsync } from '../components/common';
import { TraceView } from '../components/trace/TraceView';
import { buildTrace } from '../model/trace';
import { navigate } from '../router';

/** `?span=<spanID>` deep-links to one span; the selection is kept there. */
export function TracePage({ traceId, search }: { traceId: string; search: string }) {
  const initialSpan = useMemo(() => new URLSearchParams(search).get('span') ?? undefined,
    // Only the first URL matters: later changes come from the view itself.
    []);
  const onSelection = useCallback((spanID: string | null) => {
    const q = spanID ? `?span=${encodeURIComponent(spanID)}` : '';
    if (window.location.search !== q) navigate(`/trace/${traceId}${q}`, { replace: true });
  }, [traceId]);
  const state = useAsync((sig) => fetchTrace(traceId, sig), [traceId]);
  const trace = useMemo(() => (state.status === 'done' ? buildTrace(state.value) : null), [state]);
  if (state.status === 'error') return <ErrorMessage error={state.error} />;
  if (!trace) return <div className="loading">Loading trace {traceId}…</div>;
  return <TraceView trace={trace} initialSpanID={initialSpan} onSelectionChange={onSelection} />;
}

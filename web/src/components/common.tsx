// Small shared pieces: the error banner, the empty state, the async data hook.
import { useEffect, useState, type ReactNode } from 'react';
import { serviceColor } from '../model/colors';

export function ErrorMessage({ error }: { error: unknown }) {
  const text = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-message" data-testid="error-message" role="alert">
      {text}
    </div>
  );
}

export function Empty({ children, testid }: { children: ReactNode; testid?: string }) {
  return <div className="empty" data-testid={testid}>{children}</div>;
}

export function ServiceBadge({ name, count, errors }: {
  name: string; count?: number; errors?: number;
}) {
  return (
    <span className={`badge${errors ? ' error' : ''}`} title={errors ? `${errors} error span(s)` : undefined}>
      <span className="dot" style={{ background: serviceColor(name) }} />
      {name}
      {count !== undefined ? <span className="muted">({count})</span> : null}
    </span>
  );
}

export type AsyncState<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; value: T }
  | { status: 'error'; error: unknown };

/**
 * Runs `load` whenever `deps` change (null key = do nothing), aborting the previous run.
 */
export function useAsync<T>(
  load: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[],
): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: load ? 'loading' : 'idle' });
  useEffect(() => {
    if (!load) {
      setState({ status: 'idle' });
      return undefined;
    }
    const ctl = new AbortController();
    setState({ status: 'loading' });
    load(ctl.signal).then(
      (value) => {
        if (!ctl.signal.aborted) setState({ status: 'done', value });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ status: 'error', error });
      },
    );
    return () => ctl.abort();
  }, deps);
  return state;
}

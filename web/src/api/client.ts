// Fetch helpers for skua's Jaeger-compatible HTTP JSON API. Every URL is resolved against
// document.baseURI so the UI works under any QUERY_BASE_PATH. Failures become ApiError with a
// readable message taken from the envelope's errors[] when the server sent one.
import type { DependencyLink, Envelope, JaegerTrace } from './types';

export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The API root, e.g. "/" or "/jaeger/", always ending with '/'. */
export function apiUrl(path: string, params?: URLSearchParams): string {
  const base = typeof document !== 'undefined' ? document.baseURI : 'http://localhost/';
  const url = new URL(path.replace(/^\//, ''), base);
  if (params) url.search = params.toString();
  return url.toString();
}

/** Turns an error body (JSON envelope or plain text) into one readable line. */
export function errorMessageFromBody(status: number, statusText: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as Envelope<unknown>;
    if (parsed && Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors
        .map((e) => (e.code && e.code !== status ? `${e.code} - ${e.msg}` : e.msg))
        .join('; ');
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const text = body.trim().slice(0, 300);
  return text ? `${status} ${statusText}: ${text}` : `${status} ${statusText}`.trim();
}

async function getEnvelope<T>(path: string, params?: URLSearchParams, signal?: AbortSignal):
    Promise<Envelope<T>> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path, params), { credentials: 'same-origin', signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(`Cannot reach the skua query service (${String(e)})`, 0);
  }
  const body = await res.text();
  if (!res.ok) throw new ApiError(errorMessageFromBody(res.status, res.statusText, body), res.status);
  try {
    return JSON.parse(body) as Envelope<T>;
  } catch {
    throw new ApiError('The server sent a response that is not JSON', res.status);
  }
}

export async function fetchServices(signal?: AbortSignal): Promise<string[]> {
  const env = await getEnvelope<string[]>('api/services', undefined, signal);
  return [...(env.data ?? [])].sort((a, b) => a.localeCompare(b));
}

export async function fetchOperations(service: string, signal?: AbortSignal): Promise<string[]> {
  const env = await getEnvelope<string[]>(
    `api/services/${encodeURIComponent(service)}/operations`, undefined, signal);
  return [...(env.data ?? [])].sort((a, b) => a.localeCompare(b));
}

export async function searchTraces(params: URLSearchParams, signal?: AbortSignal):
    Promise<JaegerTrace[]> {
  const env = await getEnvelope<JaegerTrace[]>('api/traces', params, signal);
  return env.data ?? [];
}

export async function fetchTrace(traceId: string, signal?: AbortSignal): Promise<JaegerTrace> {
  const env = await getEnvelope<JaegerTrace[]>(
    `api/traces/${encodeURIComponent(traceId)}`, undefined, signal);
  const trace = env.data?.[0];
  if (!trace) throw new ApiError(`Trace ${traceId} not found`, 404);
  return trace;
}

export async function fetchDependencies(endTs: number, lookback: number, signal?: AbortSignal):
    Promise<DependencyLink[]> {
  const params = new URLSearchParams({ endTs: String(endTs), lookback: String(lookback) });
  const env = await getEnvelope<DependencyLink[]>('api/dependencies', params, signal);
  return env.data ?? [];
}

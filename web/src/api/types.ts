// Wire types of Jaeger's HTTP JSON API (/api/*) as served by skua's query service
// (jaeger-compat §2.3 envelope, §2.4 trace model). Values are as received: never trusted.

export type TagType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface KeyValue {
  key: string;
  type?: TagType | string;
  value: string | number | boolean | null;
}

export interface JaegerLog {
  timestamp: number;
  fields: KeyValue[];
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM' | string;
  traceID: string;
  spanID: string;
}

export interface JaegerProcess {
  serviceName: string;
  tags?: KeyValue[] | null;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  flags?: number;
  operationName: string;
  references?: JaegerReference[] | null;
  startTime: number;
  duration: number;
  tags?: KeyValue[] | null;
  logs?: JaegerLog[] | null;
  processID?: string;
  process?: JaegerProcess;
  warnings?: string[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings?: string[] | null;
}

export interface ApiErrorEntry {
  code?: number;
  msg: string;
  traceID?: string;
}

export interface Envelope<T> {
  data: T | null;
  total?: number;
  limit?: number;
  offset?: number;
  errors?: ApiErrorEntry[] | null;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

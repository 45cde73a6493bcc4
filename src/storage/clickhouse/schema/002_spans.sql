-- Every span, whole, for trace-by-ID: ordered by (tenant, trace_id), so reading one trace touches
-- the granules holding it in each day partition, never a scan. Also what dependency links are
-- computed from (service, dep_kind, dep_refs: model::jaeger::EdgeSpan of the span).
CREATE TABLE IF NOT EXISTS {database}.spans{local} (
  tenant String,
  day Date,                  -- UTC day of start_ns: the partition (retention drops whole days)
  trace_id FixedString(16),  -- big-endian bytes: byte order is trace ID order
  span_id UInt64,
  start_ns UInt64,           -- Unix ns
  end_ns UInt64,             -- max(end, start), Unix ns
  service String,            -- the Jaeger process service of the span
  dep_kind String,           -- the span.kind tag as Jaeger reads it
  dep_refs String,           -- same-trace references, 9 bytes each (type, span ID)
  span String                -- the span as an OTLP ExportTraceServiceRequest with its resource and scope
) ENGINE = MergeTree
PARTITION BY day
ORDER BY (tenant, trace_id)
SETTINGS index_granularity = 1024;

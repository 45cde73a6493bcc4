-- The search index: one row per span, ordered for service / operation / time search. A search
-- reads only the granules of one (tenant, service[, operation]) range in the days of its window.
CREATE TABLE IF NOT EXISTS {database}.span_index{local} (
  tenant String,
  day Date,
  service String,            -- resource service.name ("" when absent)
  operation String,          -- span name
  span_kind String,          -- "server", "client", … or "" (OTLP kind)
  start_ns UInt64,
  duration_ns UInt64,
  trace_id FixedString(16),
  tags Array(String)         -- every searchable tag, "key\0value" (storage/clickhouse/sql.h)
) ENGINE = MergeTree
PARTITION BY day
ORDER BY (tenant, service, operation, start_ns)
SETTINGS index_granularity = 8192;

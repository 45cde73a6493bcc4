-- Services and operations (with span kind) per day, filled by a materialized view on every insert
-- into span_index; ReplacingMergeTree folds the repeats away as parts merge, DISTINCT at read time
-- does the rest. Services are the distinct services of this table.
CREATE TABLE IF NOT EXISTS {database}.operations{local} (
  tenant String,
  day Date,
  service String,
  operation String,
  span_kind String
) ENGINE = ReplacingMergeTree
PARTITION BY day
ORDER BY (tenant, service, operation, span_kind);

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.operations_mv{local}
TO {database}.operations{local}
AS SELECT DISTINCT tenant, day, service, operation, span_kind FROM {database}.span_index{local};

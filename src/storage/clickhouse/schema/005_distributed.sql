-- skua: cluster only
-- Cluster mode: Distributed tables over the per-shard tables, with the same names the single-server
-- schema gives its tables. Writes are sharded by trace ID (spans and index rows of one trace on one
-- shard); reads fan out to every shard.
CREATE TABLE IF NOT EXISTS {database}.spans AS {database}.spans_local
ENGINE = Distributed('{cluster}', '{database}', 'spans_local', cityHash64(trace_id));

CREATE TABLE IF NOT EXISTS {database}.span_index AS {database}.span_index_local
ENGINE = Distributed('{cluster}', '{database}', 'span_index_local', cityHash64(trace_id));

CREATE TABLE IF NOT EXISTS {database}.operations AS {database}.operations_local
ENGINE = Distributed('{cluster}', '{database}', 'operations_local');

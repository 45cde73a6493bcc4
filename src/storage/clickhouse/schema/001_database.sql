-- skua ClickHouse schema, version 1 (docs/storage/clickhouse.md explains every choice).
-- Placeholders, filled in by SchemaStatements (storage/clickhouse/schema.cc):
--   {database}  the database (clickhouse.database, an identifier)
--   {local}     "" on a single server; "_local" for the per-shard tables in cluster mode
--   {cluster}   the cluster name (cluster mode only)
-- A file whose first line is "-- skua: cluster only" is applied only in cluster mode.
-- Statements end with ";" at the end of a line. Written for ClickHouse 18.16 (no TTL, codecs or
-- skipping indexes) and kept to syntax current ClickHouse still accepts.
CREATE DATABASE IF NOT EXISTS {database};

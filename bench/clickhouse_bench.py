"""The ClickHouse part of skua's benchmark (bench/bench.py calls it; docs/benchmarks.md).

Measures, in the same run as the embedded store's figures:
  - ingest: W1 replayed by `skua tracegen` into one `skua collector` writing to a real
    clickhouse-server (Debian's, started here on loopback with its own temporary directory):
    spans per collector CPU-second, per (collector + ClickHouse) CPU-second, wall-clock rate;
  - size: bytes per span as ClickHouse stores them (system.parts bytes_on_disk of skua's
    database, after OPTIMIZE … FINAL so parts are merged as in a long-running server);
  - queries: `skua query` over the same database loaded step by step to each size, with the
    same query mix and freshness probes as the single-node stores.
Every function takes the bench module `b` (bench.py itself) for its helpers (Http, Skua, run_tracegen,
measure_queries, …), so the two share one definition of each measurement.
"""

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{dir}/log/server.log</log>
    <errorlog>{dir}/log/error.log</errorlog><console>0</console></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <interserver_http_port>{inter}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""


def server_binary():
    for path in ("/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse"):
        if os.path.exists(path):
            return path
    return shutil.which("clickhouse-server")


class ClickHouse:
    """One clickhouse-server on free loopback ports with its own directory, removed by stop()."""

    def __init__(self, b, workdir):
        self.b = b
        self.dir = Path(workdir) / f"clickhouse-{os.getpid()}-{time.monotonic_ns()}"
        self.http_port, self.tcp_port, self.inter_port = (b.free_port() for _ in range(3))
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout=60):
        (self.dir / "log").mkdir(parents=True, exist_ok=True)
        (self.dir / "config.xml").write_text(CONFIG.format(
            dir=self.dir, http=self.http_port, tcp=self.tcp_port, inter=self.inter_port))
        (self.dir / "users.xml").write_text(USERS)
        binary = server_binary()
        cmd = [binary] + (["server"] if binary.endswith("/clickhouse") else []) + \
            [f"--config-file={self.dir / 'config.xml'}"]
        self.out = open(self.dir / "stdout.log", "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        http = self.b.Http(self.http_port, timeout=2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clickhouse-server exited with {self.proc.returncode}; "
                                   f"see {self.dir}/log")
            try:
                status, body, _ = http.get("/ping")
                if status == 200 and body.strip() == b"Ok.":
                    http.close()
                    self.http = self.b.Http(self.http_port, timeout=600)
                    return self
            except OSError:
                http.close()
                http = self.b.Http(self.http_port, timeout=2)
            time.sleep(0.05)
        raise RuntimeError(f"clickhouse-server did not answer /ping in {timeout}s")

    def query(self, sql):
        status, body, _ = self.http.request("POST", "/", sql.encode())
        if status != 200:
            raise RuntimeError(f"ClickHouse answered {status} to {sql[:80]!r}: {body[:300]!r}")
        return body.decode()

    def cpu_seconds(self):
        return self.b.proc_cpu_seconds(self.proc.pid)

    def database_bytes(self, database):
        """(bytes on disk, compressed data bytes, rows of the span table) of one database's
        active parts, after merging every table's parts."""
        tables = self.query(f"SELECT name FROM system.tables WHERE database = '{database}' "
                            "AND engine LIKE '%MergeTree' FORMAT TSV").split()
        for table in tables:
            self.query(f"OPTIMIZE TABLE {database}.`{table}` FINAL")
        row = self.query("SELECT sum(bytes_on_disk), sum(data_compressed_bytes) FROM system.parts "
                         f"WHERE active AND database = '{database}' FORMAT TSV").split()
        return int(row[0] or 0), int(row[1] or 0), tables

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.out.close()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def role_process(b, skua_bin, role, workdir, extra_flags):
    """A b.Skua running `skua <role>` on SPAN_STORAGE_TYPE=clickhouse, every listener of that
    role on a free loopback port (from `skua help <role>`)."""
    help_text = subprocess.run([skua_bin, "help", role], capture_output=True, text=True).stdout
    flags, _ = b.parse_skua_help(help_text)

    class RoleProcess(b.Skua):
        def __init__(self):
            self.binary = skua_bin
            self.backend = "clickhouse"
            self.workdir = Path(workdir)
            self.ports = {flag: b.free_port() for flag in flags}
            self.data_dir = None
            self.owns_data = False
            self.flags = [role] + [f"--{f}=127.0.0.1:{p}" for f, p in self.ports.items()] + \
                ["--span-storage.type=clickhouse", "--log-level=warn"] + list(extra_flags)
            self.proc = None
            self.log_path = self.workdir / f"skua-clickhouse-{role}.log"

    return RoleProcess()


def init_schema(skua_bin, flags):
    proc = subprocess.run([skua_bin, "clickhouse", "init"] + flags, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"skua clickhouse init failed: {(proc.stdout + proc.stderr)[-2000:]}")


def ingest_once(b, skua_bin, ch, protocol, cfg, workdir, corpus, database):
    flag_re, endpoint_fmt = next((f, e) for p, f, e in b.PROTOCOLS if p == protocol)
    ch_flags = [f"--clickhouse.servers={ch.url}", f"--clickhouse.database={database}"]
    init_schema(skua_bin, ch_flags)
    with role_process(b, skua_bin, "collector", workdir, ch_flags) as s:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=s.port(flag_re))
        cpu0, ch_cpu0 = s.cpu_seconds(), ch.cpu_seconds()
        result, gen_cpu, gen_wall = b.run_tracegen(skua_bin, protocol, endpoint,
                                                   cfg["concurrency"], replay=corpus)
        acked = b.tracegen_spans_acked(result, cfg["ingest_spans"])
        stored, drain = s.wait_stored(acked)
        cpu, ch_cpu = s.cpu_seconds() - cpu0, ch.cpu_seconds() - ch_cpu0
        peak_rss = s.memory()["VmHWM"]
        refused = s.metric("skua_spans_refused_total")
    on_disk, compressed, _ = ch.database_bytes(database)
    ch.query(f"DROP DATABASE IF EXISTS {database}")
    send = b.tracegen_send_seconds(result) or gen_wall
    seconds = send + drain
    return {
        "spans": stored, "acked": acked, "refused": refused,
        "spans_per_s": stored / seconds if seconds > 0 else float("nan"),
        "spans_per_cpu_s": stored / cpu if cpu > 0 else float("nan"),
        "spans_per_total_cpu_s": stored / (cpu + ch_cpu) if cpu + ch_cpu > 0 else float("nan"),
        "collector_cpu_s_per_m": cpu / stored * 1e6 if stored else float("nan"),
        "clickhouse_cpu_s_per_m": ch_cpu / stored * 1e6 if stored else float("nan"),
        "peak_rss": peak_rss,
        "bytes_per_span": on_disk / stored if stored else float("nan"),
        "compressed_bytes_per_span": compressed / stored if stored else float("nan"),
    }


def run_queries(b, skua_bin, ch, cfg, workdir, load_protocol):
    rng = random.Random(2024)
    flag_re, endpoint_fmt = next((f, e) for p, f, e in b.PROTOCOLS if p == load_protocol)
    database = "skua_bench_queries"
    ch_flags = [f"--clickhouse.servers={ch.url}", f"--clickhouse.database={database}"]
    init_schema(skua_bin, ch_flags)
    out = {"sizes": [], "freshness": None, "load_protocol": load_protocol}
    with role_process(b, skua_bin, "collector", workdir, ch_flags) as c, \
            role_process(b, skua_bin, "query", workdir, ch_flags) as q:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=c.port(flag_re))
        otlp_http = c.port(r"collector\.otlp\.http\.host-port")
        stored = 0
        for i, size in enumerate(cfg["sizes"]):
            need = size - int(stored)
            probes = None
            if i == len(cfg["sizes"]) - 1 and otlp_http:
                probes = b.FreshnessProbes(otlp_http, q.port(r"query\.http-server\.host-port"),
                                           cfg["freshness_probes"])
                probes.load_running.set()
                probes.start()
            b.log(f"== queries clickhouse: loading {need} spans over {load_protocol} (to {size})")
            if need > 0:
                result, _, _ = b.run_tracegen(skua_bin, load_protocol, endpoint,
                                              cfg["concurrency"], spans=need, seed=100 + i)
                stored, _ = c.wait_stored(stored + b.tracegen_spans_acked(result, need))
            if probes:
                probes.load_running.clear()
                probes.join()
                if probes.error:
                    raise RuntimeError(probes.error)
                out["freshness"] = {"latencies": probes.latencies, "timeouts": probes.timeouts,
                                    "under_load": probes.under_load}
            stored = c.metric("skua_spans_stored_total")
            b.log(f"== queries clickhouse: measuring at {int(stored)} spans")
            lat, mean_spans = b.measure_queries(q, cfg["query_samples"], rng)
            out["sizes"].append({"target": size, "stored": stored, "latencies": lat,
                                 "mean_trace_spans": mean_spans})
    ch.query(f"DROP DATABASE IF EXISTS {database}")
    return out


def run(b, skua_bin, cfg, workdir, protocols, skip, errors):
    """The ClickHouse figures, or None (with the reason in errors) when it cannot run."""
    if server_binary() is None:
        errors.append("ClickHouse figures: clickhouse-server is not installed "
                      "(scripts/install-deps.sh --test installs it)")
        return None
    out = {"concurrency": cfg["concurrency"], "query_samples": cfg["query_samples"]}
    ch = ClickHouse(b, workdir).start()
    try:
        out["version"] = ch.query("SELECT version()").strip()
        if "ingest" not in skip:
            out["ingest"] = {}
            for protocol in [p for p in protocols if p in b.T1_PROTOCOLS]:
                corpus = Path(workdir) / f"corpus-clickhouse-{protocol}"
                b.write_corpus(skua_bin, protocol, cfg["ingest_spans"], corpus)
                runs = []
                for rep in range(cfg["ingest_reps"]):
                    b.log(f"== ingest clickhouse {protocol} rep {rep + 1}/{cfg['ingest_reps']}")
                    try:
                        runs.append(ingest_once(b, skua_bin, ch, protocol, cfg, workdir, corpus,
                                                f"skua_bench_{rep}"))
                    except (RuntimeError, OSError, ValueError) as e:
                        errors.append(f"ingest into clickhouse over {protocol}: {e}")
                        b.log(f"!! {errors[-1]}")
                shutil.rmtree(corpus, ignore_errors=True)
                if runs:
                    out["ingest"][protocol] = runs
        if "queries" not in skip and protocols:
            try:
                out["queries"] = run_queries(b, skua_bin, ch, cfg, workdir, protocols[0])
            except (RuntimeError, OSError, ValueError) as e:
                errors.append(f"queries on clickhouse: {e}")
                b.log(f"!! {errors[-1]}")
    finally:
        ch.stop()
    return out


def sections(b, run):
    """Report sections for run["clickhouse"], with ratios to the embedded store of the same run."""
    chrun = run.get("clickhouse")
    if not chrun:
        return []
    Row, median, percentile = b.Row, b.median, b.percentile
    embedded = run.get("system", {}).get("embedded", {})
    out = []
    ingest = chrun.get("ingest", {})
    if ingest:
        rows = []
        for protocol, runs in ingest.items():
            emb = embedded.get("ingest", {}).get(protocol, [])
            emb_core = median([r["spans_per_cpu_s"] for r in emb]) if emb else None
            emb_bps = median([r["bytes_per_span"] for r in emb]) if emb else None
            per_core = [r["spans_per_cpu_s"] for r in runs]
            rows.append(Row(f"{protocol}: spans per `skua collector` CPU-second", "spans/s",
                            per_core, b.ratio_or_none(median(per_core), emb_core),
                            "embedded store (skua CPU)"))
            rows.append(Row(f"{protocol}: spans per CPU-second of collector + ClickHouse",
                            "spans/s", [r["spans_per_total_cpu_s"] for r in runs],
                            b.ratio_or_none(median([r["spans_per_total_cpu_s"] for r in runs]),
                                            emb_core), "embedded store (skua CPU)"))
            rows.append(Row(f"{protocol}: wall-clock ingest rate", "spans/s",
                            [r["spans_per_s"] for r in runs]))
            rows.append(Row(f"{protocol}: ClickHouse CPU per million spans", "cpu-s/M",
                            [r["clickhouse_cpu_s_per_m"] for r in runs]))
            rows.append(Row(f"{protocol}: collector peak RSS (VmHWM)", "bytes",
                            [r["peak_rss"] for r in runs]))
            bps = [r["bytes_per_span"] for r in runs]
            rows.append(Row(f"{protocol}: bytes per span in ClickHouse (bytes_on_disk)",
                            "bytes/span", bps, b.ratio_or_none(median(bps), emb_bps),
                            "embedded store"))
            rows.append(Row(f"{protocol}: compressed column data per span", "bytes/span",
                            [r["compressed_bytes_per_span"] for r in runs]))
        r0 = next(iter(ingest.values()))[0]
        out.append((
            f"Ingest through `skua collector` into ClickHouse {chrun.get('version', '')}",
            f"A fresh database per repetition in one clickhouse-server on loopback (Debian's, "
            f"default settings, LZ4); `skua tracegen` replays {r0['acked']:,} W1 spans "
            f"({chrun['concurrency']} concurrent requests) into one `skua collector`, which "
            "acknowledges a batch once ClickHouse accepted its INSERTs. CPU from "
            "/proc/<pid>/stat of the collector and of clickhouse-server; all three processes "
            "share the 2 cores. Bytes: system.parts `bytes_on_disk` of skua's database after "
            "OPTIMIZE TABLE … FINAL, indexes and marks included. Ratios: to the embedded "
            "store's figure of the same protocol in this run.", rows))
    q = chrun.get("queries")
    if q:
        rows = []
        eq = embedded.get("queries", {})
        emb_steps = {int(s["target"]): s for s in eq.get("sizes", [])}
        fr = q.get("freshness")
        if fr and fr["latencies"]:
            p99 = percentile(fr["latencies"], 99)
            rows.append(Row("freshness p99 (collector acknowledged → found by `skua query`)", "s",
                            [p99], target="T7: ≤ 1 s", ok=p99 <= 1.0 and fr["timeouts"] == 0,
                            note=f"{fr['timeouts']} timed out" if fr["timeouts"] else ""))
        labels = {"trace_by_id": "trace by ID", "search_service_operation":
                  "search service+operation, 1 h, limit 20", "search_service_tag":
                  "search service+attribute, 24 h, limit 20",
                  "search_no_match": "search matching nothing", "services": "services list",
                  "operations": "operations list"}
        for step in q["sizes"]:
            n = f"{int(step['stored']):,} spans"
            emb = emb_steps.get(int(step["target"]))
            for kind, label in labels.items():
                lat = step["latencies"].get(kind, [])
                if not lat:
                    continue
                rows.append(Row(f"{label} p50 @ {n}", "s", [percentile(lat, 50)]))
                p99 = percentile(lat, 99)
                emb_lat = emb["latencies"].get(kind, []) if emb else []
                rows.append(Row(f"{label} p99 @ {n}", "s", [p99],
                                b.ratio_or_none(p99, percentile(emb_lat, 99) if emb_lat else None),
                                "embedded store"))
        out.append((
            "Freshness and queries through `skua query` on ClickHouse",
            f"One `skua collector` and one `skua query` on the same database, loaded step by step "
            f"over {q['load_protocol']}; the same query mix as the single-node stores "
            f"({chrun['query_samples']} requests of each kind per step, timed by the driver). "
            "Ratios: p99 against the embedded store's p99 at the same size in this run.", rows))
    return out

#!/usr/bin/python3
"""skua's benchmark driver (scripts/bench.sh runs it; docs/benchmarks.md explains the output).

One run measures, on this machine and in this run:
  1. the baselines of workload-and-targets §2 (skua_baselines on the W1 corpus);
  2. microbenchmarks: decoders, the trace JSON encoder, storage write/read (google-benchmark);
  3. whole-process figures of the skua binary for each storage backend: W1 driven flat out by
     `skua tracegen` over each ingest protocol (spans/s, CPU-seconds per million spans, peak RSS,
     bytes per stored span), freshness (acknowledged -> searchable), and trace-by-ID / search
     latencies over stored corpora of several sizes;
then prints every figure with its ratio to the same run's baseline and its target (T1-T11), and
rewrites BENCHMARKS.md. Standard library only (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import http.client
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.parse
from pathlib import Path

import clickhouse_bench


def this_module():
    """This driver's functions and classes as one object, for clickhouse_bench (which shares
    them instead of redefining them); works however this file was loaded."""
    return types.SimpleNamespace(**globals())

ROOT = Path(__file__).resolve().parent.parent

MODES = {
    "quick": dict(
        baseline_spans=100_000, baseline_reps=3, baseline_min_time=0.3, syncs=500,
        micro_reps=3, micro_min_time=0.2, decode_spans=20_000, storage_spans=100_000,
        ingest_spans=200_000, ingest_reps=3, concurrency=4, sizes=[100_000, 1_000_000],
        query_samples=150, freshness_probes=20, big_trace_fetches=5, disk_all_protocols=False,
        peak_spans=1_000_000, peak_reps=3, peak_concurrency=16, replay_reps=2,
        scale_sizes=[]),
    "full": dict(
        baseline_spans=1_000_000, baseline_reps=5, baseline_min_time=1.0, syncs=2000,
        micro_reps=5, micro_min_time=1.0, decode_spans=100_000, storage_spans=1_000_000,
        ingest_spans=1_000_000, ingest_reps=5, concurrency=4,
        sizes=[100_000, 1_000_000, 4_000_000], query_samples=300, freshness_probes=100,
        big_trace_fetches=20, disk_all_protocols=True,
        peak_spans=2_000_000, peak_reps=5, peak_concurrency=16, replay_reps=3,
        scale_sizes=[]),
}

BENCH_TARGETS = ["skua", "skua_baselines", "skua_decode_bench", "skua_ui_json_bench",
                 "skua_storage_bench"]

# Ingest protocols in the order they are reported: tracegen's name, the skua flag whose listener
# receives it (a regex over `skua help`), and how tracegen's --endpoint is written for it.
PROTOCOLS = [
    ("otlp-grpc", r"collector\.otlp\.grpc\.host-port", "{host}:{port}"),
    ("otlp-http-proto", r"collector\.otlp\.http\.host-port", "http://{host}:{port}"),
    ("otlp-http-json", r"collector\.otlp\.http\.host-port", "http://{host}:{port}"),
    ("jaeger-grpc", r"collector\.grpc-server\.host-port", "{host}:{port}"),
    ("jaeger-thrift-http", r"collector\.http-server\.host-port", "http://{host}:{port}"),
    ("zipkin-json", r"collector\.zipkin\.host-port", "http://{host}:{port}"),
    ("jaeger-agent-compact", r"processor\.jaeger-compact\.server-host-port", "{host}:{port}"),
    ("jaeger-agent-binary", r"processor\.jaeger-binary\.server-host-port", "{host}:{port}"),
]
# Datagram protocols: nothing is acknowledged, and what the receiver cannot take is dropped.
UDP_PROTOCOLS = ("jaeger-agent-compact", "jaeger-agent-binary")
# Protocols T1 is stated for; the others are compared with these (T2).
T1_PROTOCOLS = ("otlp-grpc", "otlp-http-proto")

# What §2 of workload-and-targets.md measured earlier on this machine kind, for orientation.
BASELINE_REFERENCE = {
    "libprotobuf_parse": "0.87 M spans/s",
    "libprotobuf_parse_mb": "320 MB/s",
    "wire_walk": "8.8 M spans/s",
    "wire_walk_mb": "3.2 GB/s",
    "simdjson_walk": "0.79 M spans/s",
    "protobuf_json_parse": "0.03 M spans/s",
    "zstd3_per_request": "57.5 B/span",
    "libprotobuf_memory": "1,420 B/span",
    "fdatasync_4k_avg": "165 µs",
    "fdatasync_4k_p99": "250 µs",
}
BASELINE_LABELS = {
    "libprotobuf_parse": "libprotobuf parse, arena, every span touched",
    "libprotobuf_parse_mb": "libprotobuf parse (bytes)",
    "wire_walk": "zero-copy protobuf wire walk, every field",
    "wire_walk_mb": "zero-copy wire walk (bytes)",
    "simdjson_walk": "simdjson on-demand walk of OTLP/JSON",
    "protobuf_json_parse": "protobuf's own JSON parser",
    "zstd3_per_request": "zstd -3 of each raw OTLP batch",
    "zstd3_4mib_blocks": "zstd -3 of the OTLP batches in 4 MiB blocks",
    "libprotobuf_memory": "libprotobuf in-memory size (SpaceUsedLong)",
    "fdatasync_4k_avg": "fdatasync of a 4 KiB append, average",
    "fdatasync_4k_p50": "fdatasync of a 4 KiB append, p50",
    "fdatasync_4k_p99": "fdatasync of a 4 KiB append, p99",
}

HISTORY_START = "<!-- history:start -->"
HISTORY_END = "<!-- history:end -->"
SUMMARY_ROW = "<!-- summary-row: "


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- statistics ------------------------------------------------------------------------------

def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return float("nan")
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100): the smallest value with at least p % at or below."""
    v = sorted(values)
    if not v:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(v)))
    return v[rank - 1]


def summarize(values):
    """{"median", "min", "max", "n"} of a list of repetitions."""
    return {"median": median(values), "min": min(values) if values else float("nan"),
            "max": max(values) if values else float("nan"), "n": len(values)}


# --- formatting --------------------------------------------------------------------------------

def fmt(value, unit):
    """Human form of a figure: rates in k/M, times in µs/ms/s, sizes in B/KiB/MiB/GiB."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit in ("spans/s", "traces/s", "/s"):
        if value >= 1e6:
            return f"{value / 1e6:.2f} M/s"
        if value >= 1e3:
            return f"{value / 1e3:.1f} k/s"
        return f"{value:.0f} /s"
    if unit == "s":
        value, unit = value * 1e6, "us"
    if unit == "us":
        if value >= 1e6:
            return f"{value / 1e6:.2f} s"
        if value >= 1e3:
            return f"{value / 1e3:.2f} ms"
        return f"{value:.1f} µs"
    if unit == "bytes":
        for div, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= div:
                return f"{value / div:.2f} {name}"
        return f"{value:.0f} B"
    if unit == "bytes/span":
        return f"{value:.1f} B/span"
    if unit == "MB/s":
        return f"{value:,.0f} MB/s"
    if unit == "cpu-s/M":
        return f"{value:.2f} CPU-s/M spans"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:.4g} {unit}"


def fmt_range(values, unit):
    if len(values) < 2 or min(values) == max(values):
        return ""
    return f"{fmt(min(values), unit)} – {fmt(max(values), unit)}"


# --- parsers ---------------------------------------------------------------------------------

def parse_baselines(text):
    """skua_baselines --json output -> (corpus dict, {name: {"unit", "values"}})."""
    data = json.loads(text.strip().splitlines()[-1])
    results = {r["name"]: {"unit": r["unit"], "values": [float(v) for v in r["values"]]}
               for r in data["results"]}
    return data["corpus"], results


_TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_GBENCH_FIELDS = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                  "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                  "per_family_instance_index", "aggregate_name", "aggregate_unit", "label",
                  "error_occurred", "error_message"}


def parse_gbench(text):
    """google-benchmark --benchmark_format=json -> {name: {"cpu_s": [...], "real_s": [...],
    counter: [...]}} with one value per repetition (aggregate rows are ignored)."""
    data = json.loads(text)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        name = b.get("run_name", b["name"])
        entry = out.setdefault(name, {"cpu_s": [], "real_s": []})
        if b.get("error_occurred"):
            entry["error"] = b.get("error_message", "error")
            continue
        scale = _TIME_UNITS[b.get("time_unit", "ns")]
        entry["cpu_s"].append(b["cpu_time"] * scale)
        entry["real_s"].append(b["real_time"] * scale)
        for k, v in b.items():
            if k not in _GBENCH_FIELDS and isinstance(v, (int, float)):
                entry.setdefault(k, []).append(float(v))
    return out


def parse_prometheus(text, name):
    """Sum of every series of metric `name` in Prometheus text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        rest = line[len(name):]
        if not rest or rest[0] not in "{ ":
            continue
        try:
            total += float(line.rsplit(None, 1)[1])
        except (IndexError, ValueError):
            pass
    return total


def parse_histogram(text, name):
    """Cumulative buckets [(le, count)] of Prometheus histogram `name`, summed over label sets."""
    buckets = {}
    for line in text.splitlines():
        m = re.match(re.escape(name) + r'_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\} (\S+)$', line)
        if m:
            le = float(m.group(1))
            buckets[le] = buckets.get(le, 0.0) + float(m.group(2))
    return sorted(buckets.items())


def histogram_quantile(buckets, q):
    """The q-quantile of cumulative buckets, interpolated linearly inside the bucket it falls in
    (as PromQL's histogram_quantile); the highest finite bound if it falls in +Inf; None if
    empty."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return prev_le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def parse_skua_help(text):
    """`skua help` -> (host-port flags, storage backends, tracegen present)."""
    flags = re.findall(r"^\s+--([\w.\-]*host-port)\b", text, re.M)
    backends = ["memory"]
    m = re.search(r"--span-storage\.type.*?\n\s+.*?Available: ([\w, \-]+)", text)
    if m:
        backends = [b.strip() for b in m.group(1).split(",") if b.strip()]
    return flags, backends


def parse_tracegen_protocols(help_text):
    """Protocols `skua tracegen --help` lists as supported, in this driver's order. Its
    "Protocols:" section has one entry per protocol: the name at the start of a line, details on
    the same and any more-indented following lines, "not supported yet" on those that are not."""
    section = help_text.split("Protocols:", 1)[1] if "Protocols:" in help_text else ""
    entries = {}
    current = None
    for line in section.splitlines():
        m = re.match(r"^ {1,3}([a-z0-9][a-z0-9-]*)(\s|$)", line)
        if m:
            current = m.group(1)
            entries[current] = line
        elif line.startswith("    ") and current is not None:
            entries[current] += " " + line.strip()
        elif line.strip():
            break  # the next section
    listed = {name for name, text in entries.items() if "not supported" not in text}
    return [p for p, _, _ in PROTOCOLS if p in listed]


def parse_tracegen_result(text):
    """The last JSON object line of `skua tracegen --json` output."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("tracegen printed no JSON result line")


# --- process helpers ---------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    """utime + stime of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def proc_memory(pid):
    """{"VmRSS", "VmHWM"} in bytes, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def free_port():
    """A port free on 127.0.0.1 for both TCP and UDP right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


class Http:
    """A persistent HTTP/1.1 connection with timing."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """-> (status, body bytes, seconds)."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                elapsed = time.perf_counter() - start
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data, elapsed
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get(self, path):
        return self.request("GET", path)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Skua:
    """One skua all-in-one process on free loopback ports, for one backend."""

    def __init__(self, binary, backend, host_port_flags, workdir, extra_flags=(), data_dir=None):
        """A disk store gets a fresh data directory, removed by stop(); or, with `data_dir`, the
        directory of an earlier process (a restart), which stop() leaves to its owner."""
        self.binary = binary
        self.backend = backend
        self.workdir = Path(workdir)
        self.ports = {flag: free_port() for flag in host_port_flags}
        self.data_dir = None
        self.owns_data = data_dir is None
        flags = [f"--{flag}=127.0.0.1:{port}" for flag, port in self.ports.items()]
        flags += [f"--span-storage.type={backend}", "--log-level=warn"]
        if backend == "memory":
            # Keep everything that is sent: the figures are about storing, not evicting.
            flags += ["--memory.max-traces=0", "--memory.max-bytes=64GiB"]
        else:
            self.data_dir = Path(data_dir) if data_dir else \
                self.workdir / f"data-{backend}-{os.getpid()}-{time.monotonic_ns()}"
            self.data_dir.mkdir(parents=True, exist_ok=True)
            flags += [f"--{backend}.directory={self.data_dir}"]
        self.flags = flags + list(extra_flags)
        self.proc = None
        self.log_path = self.workdir / f"skua-{backend}.log"

    def port(self, flag_regex):
        for flag, port in self.ports.items():
            if re.fullmatch(flag_regex, flag):
                return port
        return None

    def start(self, timeout=30, wait=True):
        """Starts the process; with `wait`, returns once the admin health check answers 200."""
        self.log_file = open(self.log_path, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen([self.binary] + self.flags, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.admin = Http(self.port(r"admin\.http\.host-port"))
        self.query = Http(self.port(r"query\.http-server\.host-port"))
        if not wait:
            return self
        admin = Http(self.port(r"admin\.http\.host-port"), timeout=2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"skua exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _, _ = admin.get("/")
                if status == 200:
                    admin.close()
                    self.admin = Http(self.port(r"admin\.http\.host-port"))
                    self.query = Http(self.port(r"query\.http-server\.host-port"))
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"skua did not become ready in {timeout}s; see {self.log_path}")

    def stop(self, remove_data=True, timeout=120):
        """SIGTERM (a graceful stop: a disk store flushes its head) and wait; then removes the
        data directory this object created, unless `remove_data` is false. Idempotent."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.log_file.close()
            self.proc = None
            self.admin.close()
            self.query.close()
        if remove_data and self.owns_data and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self):
        """SIGKILL: a crash; the data directory stays."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.log_file.close()
            self.proc = None
            self.admin.close()
            self.query.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def cpu_seconds(self):
        return proc_cpu_seconds(self.proc.pid)

    def memory(self):
        return proc_memory(self.proc.pid)

    def metric(self, name):
        status, body, _ = self.admin.get("/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        return parse_prometheus(body.decode(), name)

    def stored_bytes(self, rss_before):
        """Bytes the stored spans occupy: the data directory for disk stores, the RSS growth for
        the memory store."""
        if self.data_dir is not None:
            return dir_bytes(self.data_dir)
        return self.memory()["VmRSS"] - rss_before

    def wait_until(self, fn, timeout=300):
        """Polls fn() (an HTTP check that may fail while the process starts) until it is true;
        -> seconds since the process was started, or None on timeout / exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return None
            try:
                if fn():
                    return time.monotonic() - self.started_at
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.005)
        return None

    def wait_stored(self, expected, timeout=120, stall=15):
        """Polls until skua_spans_stored_total >= expected, or until it has not grown for `stall`
        seconds (datagrams lost on the way never arrive), or `timeout`; returns (stored, seconds
        waited until the last growth)."""
        start = time.perf_counter()
        deadline = start + timeout
        stored = self.metric("skua_spans_stored_total")
        last_growth = start
        while stored < expected:
            now = time.perf_counter()
            if now > deadline or now - last_growth > stall:
                break
            time.sleep(0.01)
            current = self.metric("skua_spans_stored_total")
            if current > stored:
                last_growth = time.perf_counter()
            stored = current
        return stored, (time.perf_counter() if stored >= expected else last_growth) - start


def run_tracegen(skua_bin, protocol, endpoint, concurrency, spans=None, seed=None, replay=None):
    """Runs `skua tracegen` to completion -> (result JSON, tracegen CPU seconds, wall seconds).
    Sends `spans` generated W1 spans, or with `replay` the payloads of a written corpus."""
    cmd = [skua_bin, "tracegen", f"--endpoint={endpoint}", f"--protocol={protocol}",
           f"--concurrency={concurrency}", "--json"]
    if replay is not None:
        cmd.append(f"--replay={replay}")
    if spans is not None:
        cmd.append(f"--spans={spans}")
    if seed is not None:
        cmd.append(f"--seed={seed}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                           f"{(proc.stdout + proc.stderr)[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return parse_tracegen_result(proc.stdout), cpu, wall


def write_corpus(skua_bin, protocol, spans, directory):
    """`skua tracegen --write-corpus`: W1 serialized for `protocol`, so ingest runs replay bytes
    instead of generating and encoding them while they are being measured."""
    shutil.rmtree(directory, ignore_errors=True)
    cmd = [skua_bin, "tracegen", f"--protocol={protocol}", f"--write-corpus={directory}",
           f"--spans={spans}", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(proc.stdout + proc.stderr)[-2000:]}")
    return parse_tracegen_result(proc.stdout)


def tracegen_spans_acked(result, asked):
    for key in ("spans_acknowledged", "spans_acked", "acked_spans", "spans_sent", "spans"):
        if isinstance(result.get(key), (int, float)):
            return int(result[key])
    return asked


def tracegen_send_seconds(result):
    for key in ("duration_seconds", "seconds", "elapsed_seconds", "wall_seconds", "duration_s"):
        if isinstance(result.get(key), (int, float)) and result[key] > 0:
            return float(result[key])
    return None


# --- phases ------------------------------------------------------------------------------------

def build(build_dir, kind="release"):
    log(f"== building {', '.join(BENCH_TARGETS)} ({kind})")
    cmd = [str(ROOT / "scripts" / "build.sh"), kind] + BENCH_TARGETS
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("bench: build failed")


def run_baselines(binary, cfg, workdir):
    log("== baselines (skua_baselines)")
    cmd = [binary, f"--spans={cfg['baseline_spans']}", f"--reps={cfg['baseline_reps']}",
           f"--min-time={cfg['baseline_min_time']}", f"--syncs={cfg['syncs']}",
           f"--dir={workdir}", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    corpus, results = parse_baselines(proc.stdout)
    return {"command": " ".join(map(str, cmd[1:])), "corpus": corpus, "results": results}


def run_gbench(binary, spans, reps, min_time, bench_filter=None):
    cmd = [binary, f"--w1_spans={spans}", f"--benchmark_min_time={min_time}",
           f"--benchmark_repetitions={reps}", "--benchmark_format=json"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return {"command": " ".join([Path(binary).name] + [str(c) for c in cmd[1:]]),
            "results": parse_gbench(proc.stdout)}


def run_micro(bins, cfg):
    out = {}
    for key, spans in (("decode", cfg["decode_spans"]), ("ui_json", cfg["decode_spans"]),
                       ("storage", cfg["storage_spans"])):
        log(f"== microbenchmarks: {Path(bins[key]).name}")
        out[key] = run_gbench(bins[key], spans, cfg["micro_reps"], cfg["micro_min_time"])
    return out


def ingest_once(skua_bin, backend, flags, protocol, endpoint_fmt, flag_re, cfg, workdir, corpus):
    with Skua(skua_bin, backend, flags, workdir) as s:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=s.port(flag_re))
        rss0 = s.memory()["VmRSS"]
        cpu0 = s.cpu_seconds()
        if corpus is not None:
            result, gen_cpu, gen_wall = run_tracegen(skua_bin, protocol, endpoint,
                                                     cfg["concurrency"], replay=corpus)
        else:
            result, gen_cpu, gen_wall = run_tracegen(skua_bin, protocol, endpoint,
                                                     cfg["concurrency"], spans=cfg["ingest_spans"])
        acked = tracegen_spans_acked(result, cfg["ingest_spans"])
        # Over UDP "acknowledged" only means sent; what is lost stops the count growing.
        stored, drain = s.wait_stored(acked, stall=1.0 if protocol in UDP_PROTOCOLS else 15)
        cpu = s.cpu_seconds() - cpu0
        mem = s.memory()
        refused = s.metric("skua_spans_refused_total")
        disk = {}
        if s.data_dir is not None:
            # T9 from the log's own counter; T4 once the head is in blocks: a graceful stop
            # flushes it, so the directory then holds what a long-running store would.
            disk["wal_syncs"] = s.metric("skua_wal_syncs_total")
            s.stop(remove_data=False)
            disk["block_bytes"] = dir_bytes(s.data_dir / "blocks")
            disk["wal_bytes"] = dir_bytes(s.data_dir / "wal")
            size = dir_bytes(s.data_dir)
        else:
            size = s.stored_bytes(rss0)
    send = tracegen_send_seconds(result) or gen_wall
    seconds = send + drain
    out = {
        "spans": stored, "acked": acked, "refused": refused, "replayed": corpus is not None,
        "spans_per_s": stored / seconds if seconds > 0 else float("nan"),
        "cpu_s_per_m": cpu / stored * 1e6 if stored else float("nan"),
        "spans_per_cpu_s": stored / cpu if cpu > 0 else float("nan"),
        "peak_rss": mem["VmHWM"], "bytes_per_span": size / stored if stored else float("nan"),
        "tracegen_cpu_s_per_m": gen_cpu / acked * 1e6 if acked else float("nan"),
        "send_seconds": send, "drain_seconds": drain, "tracegen": result,
    }
    if disk and stored:
        out["wal_syncs_per_1k"] = disk["wal_syncs"] / stored * 1000
        out["block_bytes_per_span"] = disk["block_bytes"] / stored
        out["wal_bytes_after_stop"] = disk["wal_bytes"]
    return out


def run_ingest(skua_bin, backend, flags, protocols, cfg, workdir, can_replay):
    out = {}
    for protocol in protocols:
        flag_re, endpoint_fmt = next((f, e) for p, f, e in PROTOCOLS if p == protocol)
        corpus = None
        if can_replay:
            corpus = workdir / f"corpus-{protocol}"
            log(f"== ingest {backend} {protocol}: writing a corpus of {cfg['ingest_spans']} spans")
            write_corpus(skua_bin, protocol, cfg["ingest_spans"], corpus)
        runs = []
        for rep in range(cfg["ingest_reps"]):
            log(f"== ingest {backend} {protocol} rep {rep + 1}/{cfg['ingest_reps']}: "
                f"{cfg['ingest_spans']} spans, concurrency {cfg['concurrency']}"
                + (", replayed" if corpus else ", generated while sending"))
            runs.append(ingest_once(skua_bin, backend, flags, protocol, endpoint_fmt, flag_re, cfg,
                                    workdir, corpus))
        if corpus is not None:
            shutil.rmtree(corpus, ignore_errors=True)
        out[protocol] = runs
    return out


def run_ingest_each(skua_bin, backend, flags, protocols, cfg, workdir, can_replay, errors):
    """run_ingest per protocol; a protocol that fails is listed in `errors`, the rest still run."""
    out = {}
    for protocol in protocols:
        try:
            out.update(run_ingest(skua_bin, backend, flags, [protocol], cfg, workdir, can_replay))
        except (RuntimeError, OSError, ValueError) as e:
            errors.append(f"ingest into {backend} over {protocol}: {e}")
            log(f"!! {errors[-1]}")
    return out


# --- the embedded store at peak ingest (T9) and its log replay (T11) ---------------------------

# Peak: skua saturated with realistic SDK batches (OpenTelemetry's BatchSpanProcessor exports up to
# 512 spans per request) from enough concurrent senders (cfg peak_concurrency).
PEAK_PROTOCOL = "otlp-grpc"
PEAK_REQUEST_SPANS = 512


def write_peak_corpus(skua_bin, spans, directory):
    shutil.rmtree(directory, ignore_errors=True)
    cmd = [skua_bin, "tracegen", f"--protocol={PEAK_PROTOCOL}", f"--write-corpus={directory}",
           f"--spans={spans}", f"--max-spans-per-request={PEAK_REQUEST_SPANS}", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(proc.stdout + proc.stderr)[-2000:]}")


def embedded_peak_once(skua_bin, flags, cfg, workdir, corpus):
    """A fresh embedded store (default flags) receiving `corpus` flat out from
    cfg["peak_concurrency"] senders -> fsyncs per 1,000 spans and the log's commit latencies
    (skua_wal_commit_seconds: append -> durable; skua_wal_sync_seconds: the fdatasync alone)."""
    flag_re, endpoint_fmt = next((f, e) for p, f, e in PROTOCOLS if p == PEAK_PROTOCOL)
    with Skua(skua_bin, "embedded", flags, workdir) as s:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=s.port(flag_re))
        cpu0 = s.cpu_seconds()
        result, _, wall = run_tracegen(skua_bin, PEAK_PROTOCOL, endpoint, cfg["peak_concurrency"],
                                       replay=corpus)
        stored, drain = s.wait_stored(tracegen_spans_acked(result, cfg["peak_spans"]))
        cpu = s.cpu_seconds() - cpu0
        status, body, _ = s.admin.get("/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        text = body.decode()
    seconds = (tracegen_send_seconds(result) or wall) + drain
    commit = parse_histogram(text, "skua_wal_commit_seconds")
    sync = parse_histogram(text, "skua_wal_sync_seconds")
    nan = float("nan")

    def q(buckets, p):
        v = histogram_quantile(buckets, p)
        return nan if v is None else v

    return {"spans": stored, "spans_per_s": stored / seconds if seconds > 0 else nan,
            "spans_per_cpu_s": stored / cpu if cpu > 0 else nan,
            "skua_cores": cpu / seconds if seconds > 0 else nan,
            "syncs_per_1k": parse_prometheus(text, "skua_wal_syncs_total") / stored * 1000
            if stored else nan,
            "commit_p50": q(commit, 0.5), "commit_p99": q(commit, 0.99),
            "sync_p50": q(sync, 0.5), "sync_p99": q(sync, 0.99),
            "spans_per_append": stored / commit[-1][1] if commit and commit[-1][1] else nan}


def embedded_replay(skua_bin, flags, cfg, workdir, corpus):
    """T11 with a big log: a fresh store whose head limits are raised so that nothing is flushed
    is loaded with `corpus` (cfg["peak_spans"] spans) and killed with SIGKILL, then started on its
    directory cfg["replay_reps"] times (killed again each time, so the whole log is replayed
    each time). Per start: seconds from the start of the process until /api/services answers, the
    spans replayed and the replay's own seconds (gauges skua_embedded_replayed_spans,
    skua_embedded_replay_seconds), and the RSS then."""
    extra = ["--embedded.head-max-bytes=64GiB", "--embedded.head-max-age=24h"]
    flag_re, endpoint_fmt = next((f, e) for p, f, e in PROTOCOLS if p == PEAK_PROTOCOL)
    s = Skua(skua_bin, "embedded", flags, workdir, extra_flags=extra).start()
    try:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=s.port(flag_re))
        result, _, _ = run_tracegen(skua_bin, PEAK_PROTOCOL, endpoint, cfg["peak_concurrency"],
                                    replay=corpus)
        stored, _ = s.wait_stored(tracegen_spans_acked(result, cfg["peak_spans"]))
        s.kill()
        out = {"stored": stored, "log_bytes": dir_bytes(s.data_dir / "wal"), "starts": []}
        for _ in range(cfg["replay_reps"]):
            r = Skua(skua_bin, "embedded", flags, workdir, extra_flags=extra,
                     data_dir=s.data_dir).start(wait=False)
            try:
                serving = r.wait_until(lambda: r.query.get("/api/services")[0] == 200)
                if serving is None:
                    raise RuntimeError(f"the restarted skua did not serve; see {r.log_path}")
                out["starts"].append({"serving_s": serving,
                                      "replayed": r.metric("skua_embedded_replayed_spans"),
                                      "replay_s": r.metric("skua_embedded_replay_seconds"),
                                      "rss": r.memory()["VmRSS"]})
            finally:
                r.kill()
        return out
    finally:
        s.stop()  # removes the data directory


def run_embedded_durability(skua_bin, flags, cfg, workdir):
    """T9 at peak and T11 with a big log, on one corpus -> (peak runs, replay result)."""
    corpus = workdir / "corpus-peak"
    spans = cfg["peak_spans"]
    log(f"== embedded at peak: writing a corpus of {spans} spans "
        f"(≤ {PEAK_REQUEST_SPANS} spans per request)")
    write_peak_corpus(skua_bin, spans, corpus)
    try:
        peak = []
        for rep in range(cfg["peak_reps"]):
            log(f"== embedded at peak rep {rep + 1}/{cfg['peak_reps']}: {spans} spans, "
                f"{cfg['peak_concurrency']} senders")
            peak.append(embedded_peak_once(skua_bin, flags, cfg, workdir, corpus))
        log(f"== embedded log replay: loading {spans} spans into the head, kill -9, "
            f"{cfg['replay_reps']} restarts")
        replay = embedded_replay(skua_bin, flags, cfg, workdir, corpus)
    finally:
        shutil.rmtree(corpus, ignore_errors=True)
    return peak, replay


def probe_body(trace_id, probe_id, now_ns):
    span = {"traceId": trace_id, "spanId": trace_id[:16], "name": "freshness-probe", "kind": 2,
            "startTimeUnixNano": str(now_ns), "endTimeUnixNano": str(now_ns + 1_000_000),
            "attributes": [{"key": "probe.id", "value": {"stringValue": probe_id}}]}
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": "bench-freshness"}}]},
        "scopeSpans": [{"scope": {"name": "skua-bench"}, "spans": [span]}]}]}).encode()


class FreshnessProbes(threading.Thread):
    """Sends marked one-span traces over OTLP HTTP/JSON one after another and measures, for each,
    the time from the acknowledgement (HTTP 200) to the first search that finds it."""

    def __init__(self, otlp_http_port, query_port, count, interval=0.25, timeout=30):
        super().__init__(daemon=True)
        self.otlp = Http(otlp_http_port)
        self.query = Http(query_port)
        self.count = count
        self.interval = interval  # between probes, so they spread over the load
        self.timeout = timeout
        self.latencies = []
        self.timeouts = 0
        self.under_load = 0
        self.load_running = threading.Event()
        self.error = None
        self.rng = random.Random(99)

    def run(self):
        try:
            self.probe_all()
        except (OSError, RuntimeError, ValueError, http.client.HTTPException) as e:
            self.error = f"freshness probe failed: {e}"

    def probe_all(self):
        for i in range(self.count):
            if i:
                time.sleep(self.interval)
            loaded = self.load_running.is_set()
            trace_id = "%032x" % self.rng.getrandbits(128)
            probe_id = f"probe-{os.getpid()}-{i}-{trace_id[:8]}"
            now_ns = time.time_ns()
            body = probe_body(trace_id, probe_id, now_ns)
            while True:
                status, _, _ = self.otlp.request("POST", "/v1/traces", body,
                                                 {"Content-Type": "application/json"})
                if status == 200:
                    break
                if status not in (429, 503):
                    raise RuntimeError(f"freshness probe refused with HTTP {status}")
                time.sleep(0.005)
            acked = time.perf_counter()
            params = urllib.parse.urlencode({
                "service": "bench-freshness", "tags": json.dumps({"probe.id": probe_id}),
                "limit": 1, "start": now_ns // 1000 - 3_600_000_000,
                "end": now_ns // 1000 + 3_600_000_000})
            while True:
                status, data, _ = self.query.get(f"/api/traces?{params}")
                if status == 200 and json.loads(data).get("data"):
                    self.latencies.append(time.perf_counter() - acked)
                    break
                if time.perf_counter() - acked > self.timeout:
                    self.timeouts += 1
                    break
            self.under_load += loaded and self.load_running.is_set()


# Span attributes used for the attribute search, in order of preference.
SEARCH_KEYS = ["http.request.method", "http.response.status_code", "rpc.method", "db.system",
               "messaging.system", "http.route"]


def measure_queries(s, samples, rng):
    """Latencies (seconds) of each query kind against what `s` stores now."""
    def get(path):
        status, data, seconds = s.query.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {data[:200]!r}")
        return status, data, seconds

    now_us = time.time_ns() // 1000
    end = now_us + 1_800_000_000  # W1 times run ahead of the clock (~1 ms per trace)
    out = {k: [] for k in ("services", "operations", "trace_by_id", "search_service_operation",
                           "search_service_tag", "search_no_match")}
    status, data, _ = get("/api/services")
    services = [x for x in json.loads(data)["data"] if x != "bench-freshness"]
    ops, ids, tags, trace_spans = {}, [], [], []
    for service in services:
        path = "/api/operations?" + urllib.parse.urlencode({"service": service})
        status, data, _ = get(path)
        ops[service] = [o["name"] for o in json.loads(data)["data"]]
        path = "/api/traces?" + urllib.parse.urlencode(
            {"service": service, "limit": 20, "start": end - 86_400_000_000, "end": end})
        status, data, _ = get(path)
        for trace in json.loads(data)["data"]:
            ids.append(trace["traceID"])
            procs = trace.get("processes", {})
            for span in trace["spans"]:
                if procs.get(span.get("processID"), {}).get("serviceName") != service:
                    continue
                tagmap = {t["key"]: t["value"] for t in span.get("tags", [])}
                for key in SEARCH_KEYS:
                    if key in tagmap:
                        tags.append((service, key, str(tagmap[key]).lower()
                                     if isinstance(tagmap[key], bool) else str(tagmap[key])))
                        break
    if not services or not ids:
        raise RuntimeError("the store returned no services or traces to query")
    for _ in range(samples):
        out["services"].append(get("/api/services")[2])
        service = rng.choice(services)
        out["operations"].append(
            get("/api/operations?" + urllib.parse.urlencode({"service": service}))[2])
        status, data, t = get(f"/api/traces/{rng.choice(ids)}")
        out["trace_by_id"].append(t)
        trace_spans.append(len(json.loads(data)["data"][0]["spans"]))
        service = rng.choice([x for x in services if ops.get(x)])
        params = {"service": service, "operation": rng.choice(ops[service]), "limit": 20,
                  "start": end - 3_600_000_000, "end": end}
        out["search_service_operation"].append(
            get("/api/traces?" + urllib.parse.urlencode(params))[2])
        if tags:
            service, key, value = rng.choice(tags)
            params = {"service": service, "tags": json.dumps({key: value}), "limit": 20,
                      "start": end - 86_400_000_000, "end": end}
            out["search_service_tag"].append(
                get("/api/traces?" + urllib.parse.urlencode(params))[2])
            params["tags"] = json.dumps({key: "bench-no-such-value"})
            status, data, t = get("/api/traces?" + urllib.parse.urlencode(params))
            if json.loads(data)["data"]:
                raise RuntimeError("the no-match search matched")
            out["search_no_match"].append(t)
    return out, (sum(trace_spans) / len(trace_spans) if trace_spans else 0)


def big_trace_requests(n_spans, per_request, now_ns, rng):
    """A trace of n_spans spans (a 4-ary call tree over 4 services) as OTLP/JSON bodies."""
    trace_id = "%032x" % rng.getrandbits(128)
    span_ids = ["%016x" % (rng.getrandbits(63) | 1) for _ in range(n_spans)]
    bodies = []
    for first in range(0, n_spans, per_request):
        service = f"bench-big-{first // per_request % 4}"
        spans = []
        for i in range(first, min(n_spans, first + per_request)):
            span = {"traceId": trace_id, "spanId": span_ids[i], "name": f"op-{i % 50}",
                    "kind": 2 if i % 2 else 3, "startTimeUnixNano": str(now_ns + i * 1000),
                    "endTimeUnixNano": str(now_ns + i * 1000 + 500_000),
                    "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}},
                                   {"key": "span.index", "value": {"intValue": str(i)}}]}
            if i:
                span["parentSpanId"] = span_ids[(i - 1) // 4]
            spans.append(span)
        bodies.append(json.dumps({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name",
                                         "value": {"stringValue": service}}]},
            "scopeSpans": [{"spans": spans}]}]}).encode())
    return trace_id, bodies


def measure_big_trace(s, otlp_port, fetches, rng, n_spans=10_000):
    trace_id, bodies = big_trace_requests(n_spans, 2_000, time.time_ns(), rng)
    otlp = Http(otlp_port)
    for body in bodies:
        while True:
            status, _, _ = otlp.request("POST", "/v1/traces", body,
                                        {"Content-Type": "application/json"})
            if status == 200:
                break
            if status not in (429, 503):
                raise RuntimeError(f"big trace refused with HTTP {status}")
            time.sleep(0.01)
    otlp.close()
    # Wait until every span is visible, then time whole fetches.
    deadline = time.monotonic() + 60
    while True:
        status, data, _ = s.query.get(f"/api/traces/{trace_id}")
        if status == 200 and len(json.loads(data)["data"][0]["spans"]) >= n_spans:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the 10,000-span trace never became complete")
        time.sleep(0.02)
    latencies = [s.query.get(f"/api/traces/{trace_id}")[2] for _ in range(fetches)]
    return {"spans": n_spans, "latencies": latencies, "response_bytes": len(data)}


def run_queries(skua_bin, backend, flags, cfg, workdir, load_protocol):
    """Loads W1 in steps up to each size in cfg["sizes"] and measures queries at each step;
    freshness probes run during the last (longest) load."""
    rng = random.Random(2024)
    flag_re, endpoint_fmt = next((f, e) for p, f, e in PROTOCOLS if p == load_protocol)
    out = {"sizes": [], "freshness": None, "big_trace": None, "load_protocol": load_protocol}
    with Skua(skua_bin, backend, flags, workdir) as s:
        endpoint = endpoint_fmt.format(host="127.0.0.1", port=s.port(flag_re))
        otlp_http = s.port(r"collector\.otlp\.http\.host-port")
        rss0 = s.memory()["VmRSS"]
        stored = 0
        for i, size in enumerate(cfg["sizes"]):
            need = size - int(stored)
            probes = None
            if i == len(cfg["sizes"]) - 1 and otlp_http:
                probes = FreshnessProbes(otlp_http, s.port(r"query\.http-server\.host-port"),
                                         cfg["freshness_probes"])
                probes.load_running.set()
                probes.start()
            log(f"== queries {backend}: loading {need} spans over {load_protocol} "
                f"(to {size})" + (", freshness probes running" if probes else ""))
            if need > 0:
                result, _, _ = run_tracegen(skua_bin, load_protocol, endpoint, cfg["concurrency"],
                                            spans=need, seed=100 + i)
                stored, _ = s.wait_stored(stored + tracegen_spans_acked(result, need))
            if probes:
                probes.load_running.clear()
                probes.join()
                if probes.error:
                    raise RuntimeError(probes.error)
                out["freshness"] = {"latencies": probes.latencies, "timeouts": probes.timeouts,
                                    "under_load": probes.under_load}
            stored = s.metric("skua_spans_stored_total")
            size_bytes = s.stored_bytes(rss0)
            log(f"== queries {backend}: measuring at {int(stored)} spans")
            lat, mean_spans = measure_queries(s, cfg["query_samples"], rng)
            out["sizes"].append({"target": size, "stored": stored, "latencies": lat,
                                 "mean_trace_spans": mean_spans,
                                 "bytes_per_span": size_bytes / stored if stored else None,
                                 "rss": s.memory()["VmRSS"]})
        if otlp_http:
            log(f"== queries {backend}: a 10,000-span trace")
            out["big_trace"] = measure_big_trace(s, otlp_http, cfg["big_trace_fetches"], rng)
        if s.data_dir is not None:
            out["restart"] = measure_restart(s, skua_bin, backend, flags, workdir)
    return out


def known_trace(s):
    """A trace ID the store serves now (the newest of some W1 service), or None."""
    status, data, _ = s.query.get("/api/services")
    services = [x for x in json.loads(data)["data"] if not x.startswith("bench-")] \
        if status == 200 else []
    end = time.time_ns() // 1000 + 1_800_000_000
    for service in services:
        params = urllib.parse.urlencode({"service": service, "limit": 1,
                                         "start": end - 86_400_000_000, "end": end})
        status, data, _ = s.query.get(f"/api/traces?{params}")
        if status == 200 and json.loads(data)["data"]:
            return json.loads(data)["data"][0]["traceID"]
    return None


def time_to_serving(skua_bin, backend, flags, workdir, data_dir, trace_id):
    """Starts skua on an existing data directory -> {"services_s", "trace_s", "head_spans",
    "stop_s"}: seconds from the start until /api/services answers and until `trace_id` is found,
    the spans the store replayed from its log into the head, and how long the graceful stop (which
    flushes them) took."""
    r = Skua(skua_bin, backend, flags, workdir, data_dir=data_dir).start(wait=False)
    try:
        services = r.wait_until(lambda: r.query.get("/api/services")[0] == 200)
        found = r.wait_until(lambda: r.query.get(f"/api/traces/{trace_id}")[0] == 200)
        if services is None or found is None:
            raise RuntimeError(f"the restarted skua did not serve; see {r.log_path}")
        head = r.metric("skua_embedded_head_spans")
        stop_start = time.monotonic()
        r.stop()
        return {"services_s": services, "trace_s": found, "head_spans": head,
                "stop_s": time.monotonic() - stop_start}
    finally:
        r.stop()


def measure_restart(s, skua_bin, backend, flags, workdir):
    """T11 on the store `s` holds: a crash (kill -9, so the head comes back from the log) and a
    graceful restart (everything in blocks), each timed until the API answers and a known trace
    is found."""
    trace_id = known_trace(s)
    if trace_id is None:
        raise RuntimeError("no trace to look for after the restart")
    stored = s.metric("skua_spans_stored_total")
    log(f"== queries {backend}: restart after kill -9 holding {int(stored)} spans")
    s.kill()
    crash = time_to_serving(skua_bin, backend, flags, workdir, s.data_dir, trace_id)
    log(f"== queries {backend}: graceful restart")
    graceful = time_to_serving(skua_bin, backend, flags, workdir, s.data_dir, trace_id)
    return {"stored": stored, "crash": crash, "graceful": graceful,
            "disk_bytes": dir_bytes(s.data_dir)}


# --- the report -------------------------------------------------------------------------------

def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "memory": mem, "kernel": os.uname().release,
            "loadavg": os.getloadavg()}


def git_commit():
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout
    commit = git("rev-parse", "--short=12", "HEAD").strip() or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    return commit + ("+uncommitted changes" if dirty else "")


class Row:
    """One reported figure: values over repetitions, optional ratio to a baseline, target."""

    def __init__(self, label, unit, values, ratio=None, ratio_to="", target="", ok=None, note=""):
        self.label, self.unit, self.values = label, unit, [v for v in values if v == v]
        self.ratio, self.ratio_to, self.target = ratio, ratio_to, target
        self.ok, self.note = ok, note

    @property
    def median(self):
        return median(self.values) if self.values else float("nan")

    def cells(self):
        ratio = f"{self.ratio:.2f}× {self.ratio_to}" if self.ratio is not None else ""
        status = {True: "✅ meets", False: "❌ misses", None: ""}[self.ok]
        target = f"{self.target} {status}".strip()
        return [self.label, fmt(self.median, self.unit), fmt_range(self.values, self.unit), ratio,
                " — ".join(x for x in (target, self.note) if x)]


def baseline_median(run, name):
    r = run.get("baselines", {}).get("results", {}).get(name)
    return median(r["values"]) if r else None


def meets(*checks):
    """True when every available check passes; None when none is available. A check is a bool,
    or None when its input (e.g. a skipped baseline) is missing."""
    known = [c for c in checks if c is not None]
    return all(known) if known else None


def ratio_or_none(value, base):
    if base is None or base == 0 or value is None or value != value:
        return None
    return value / base


def build_sections(run):
    """The report as [(title, intro, [Row])], computed from a run dict (also used by tests)."""
    sections = []
    base = run.get("baselines")
    proto = baseline_median(run, "libprotobuf_parse")
    if base:
        rows = []
        for name, r in base["results"].items():
            unit = "us" if r["unit"] == "us" else r["unit"]
            rows.append(Row(BASELINE_LABELS.get(name, name), unit, r["values"],
                            target=f"ref. {BASELINE_REFERENCE[name]}"
                            if name in BASELINE_REFERENCE else ""))
        c = base["corpus"]
        sections.append((
            "Baselines (workload-and-targets §2)",
            f"W1 corpus of {c['spans']:,} spans in {c['requests']} requests: "
            f"{c['otlp_proto_bytes_per_span']:.0f} B/span as OTLP protobuf, "
            f"{c['otlp_json_bytes_per_span']:.0f} B/span as OTLP/JSON. Rates are per core "
            f"(spans per CPU-second of one thread). `skua_baselines {base['command']}`. The last "
            "column quotes what §2 measured earlier on this machine kind.", rows))

    micro = run.get("micro", {})
    rows = []
    dec = micro.get("decode", {}).get("results", {})
    for name, r in dec.items():
        rate = r.get("spans/s", [])
        if name == "BM_Decode/otlp_proto":
            ratio = ratio_or_none(median(rate), proto)
            ok = meets(median(rate) >= 3e6 if rate else None,
                       None if ratio is None else ratio >= 3.5)
            rows.append(Row("T3 decode OTLP protobuf → model", "spans/s", rate, ratio,
                            "libprotobuf parse", "T3: ≥ 3 M/s and ≥ 3.5×", ok))
        elif name.startswith("BM_Decode/"):
            # JSON decoders against the simdjson walk (§2); the others against OTLP protobuf
            # decoding in the same binary, the decoder-level view of T2.
            fmt_name = name.split("/", 1)[1]
            if "json" in fmt_name:
                use, to = baseline_median(run, "simdjson_walk"), "simdjson walk"
            else:
                otlp = dec.get("BM_Decode/otlp_proto", {}).get("spans/s")
                use, to = (median(otlp) if otlp else None), "OTLP protobuf decode"
            rows.append(Row(f"decode {fmt_name} → model", "spans/s", rate,
                            ratio_or_none(median(rate), use), to))
        elif name.startswith("BM_Encode/"):
            rows.append(Row(f"encode model → {name.split('/', 1)[1]}", "spans/s", rate))
    ui = micro.get("ui_json", {}).get("results", {})
    if "BM_AppendTraceJson" in ui:
        rate = ui["BM_AppendTraceJson"].get("spans/s", [])
        rows.append(Row("T10 trace JSON serialization (Jaeger UI)", "spans/s", rate,
                        ratio_or_none(median(rate), proto), "libprotobuf parse",
                        "T10: ≥ 1 M/s", median(rate) >= 1e6 if rate else None))
    if "BM_QueryPipeline" in ui:
        rows.append(Row("convert + adjust + serialize a trace", "spans/s",
                        ui["BM_QueryPipeline"].get("spans/s", [])))
    if rows:
        cmd = "; ".join(f"`{v['command']}`" for k, v in micro.items()
                        if k in ("decode", "ui_json"))
        sections.append(("Decoding and serialization (microbenchmarks, per core)",
                         f"{cmd}.", rows))

    st = micro.get("storage", {}).get("results", {})
    if st:
        rows = []
        for name, r in st.items():
            parts = name.split("/")
            if parts[0] == "BM_Write":
                rows.append(Row(f"{parts[1]} store: write W1 batches", "spans/s",
                                r.get("spans/s", [])))
                if "store_bytes/span" in r:
                    rows.append(Row(f"{parts[1]} store: its own byte accounting", "bytes/span",
                                    r["store_bytes/span"]))
            elif parts[0] == "BM_TraceById":
                rows.append(Row(f"{parts[1]} store: trace by ID (one trace, in process)", "s",
                                r["cpu_s"], target="T5: ≤ 10 ms p99 at 100 M"))
            elif parts[0] == "BM_Search":
                limits = {"service_operation": "T6: ≤ 50 ms", "service_tag": "T6: ≤ 300 ms",
                          "no_match": "T6: ≤ 50 ms"}
                rows.append(Row(f"{parts[1]} store: search {parts[2]} (in process)", "s",
                                r["cpu_s"], target=limits.get(parts[2], "")))
            elif parts[0] in ("BM_Services", "BM_Operations"):
                rows.append(Row(f"{parts[1]} store: {parts[0][3:].lower()} list", "s", r["cpu_s"],
                                target="T6: ≤ 5 ms"))
        sections.append((
            "Storage (microbenchmarks, in process, per call)",
            f"`{micro['storage']['command']}`: a store preloaded with the W1 "
            "corpus; times are CPU time per call, medians over repetitions.", rows))

    for backend, sysrun in run.get("system", {}).items():
        ingest = sysrun.get("ingest", {})
        if ingest:
            rows = []
            otlp_core = None
            for protocol, runs in ingest.items():
                per_core = [r["spans_per_cpu_s"] for r in runs]
                if protocol == "otlp-grpc":
                    otlp_core = median(per_core)
            for protocol, runs in ingest.items():
                per_core = [r["spans_per_cpu_s"] for r in runs]
                wall = [r["spans_per_s"] for r in runs]
                m = median(per_core)
                if protocol in T1_PROTOCOLS:
                    ratio = ratio_or_none(m, proto)
                    rows.append(Row(f"{protocol}: spans per skua CPU-second", "spans/s", per_core,
                                    ratio, "libprotobuf parse", "T1: ≥ 150 k/s, ≥ 0.17×",
                                    meets(m >= 150e3 if m == m else None,
                                          None if ratio is None else ratio >= 0.17),
                                    "memory store, not durable" if backend == "memory" else
                                    "durable: acknowledged once the log is synced"))
                else:
                    want = 0.5 if "json" in protocol else 0.8
                    ratio = ratio_or_none(m, otlp_core)
                    rows.append(Row(f"{protocol}: spans per skua CPU-second", "spans/s", per_core,
                                    ratio, "OTLP gRPC", f"T2: ≥ {want}× OTLP",
                                    None if ratio is None else ratio >= want))
                rows.append(Row(f"{protocol}: wall-clock ingest rate", "spans/s", wall))
                if protocol in UDP_PROTOCOLS:
                    rows.append(Row(f"{protocol}: spans stored of those sent (UDP, unpaced)",
                                    "%", [100 * r["spans"] / r["acked"] for r in runs if
                                          r["acked"]],
                                    note="datagrams the kernel drops when the receiver falls "
                                         "behind; the rates above count stored spans only"))
                rows.append(Row(f"{protocol}: skua CPU per million spans", "cpu-s/M",
                                [r["cpu_s_per_m"] for r in runs]))
                rows.append(Row(f"{protocol}: tracegen CPU per million spans", "cpu-s/M",
                                [r["tracegen_cpu_s_per_m"] for r in runs]))
                rows.append(Row(f"{protocol}: skua peak RSS (VmHWM)", "bytes",
                                [r["peak_rss"] for r in runs], target="T8: ≤ 1 GiB",
                                ok=max(r["peak_rss"] for r in runs) <= 1 << 30,
                                note="the memory store keeps every span in RSS"
                                if backend == "memory" else ""))
                if protocol in UDP_PROTOCOLS:
                    pass  # few spans arrive; their bytes/span is mostly the receiver's buffers
                elif backend == "memory":
                    bps = [r["bytes_per_span"] for r in runs]
                    lp = baseline_median(run, "libprotobuf_memory")
                    ratio = ratio_or_none(median(bps), lp)
                    rows.append(Row(f"{protocol}: bytes per stored span (RSS growth)",
                                    "bytes/span", bps, ratio, "libprotobuf in memory",
                                    "T8: ≤ 429 B (20 M in 8 GiB), ≤ 0.3×",
                                    meets(median(bps) <= 429,
                                          None if ratio is None else ratio <= 0.3)))
                else:
                    bps = [r["bytes_per_span"] for r in runs]
                    z = baseline_median(run, "zstd3_per_request")
                    ratio = ratio_or_none(median(bps), z)
                    wal_left = max(r.get("wal_bytes_after_stop", 0) for r in runs)
                    rows.append(Row(f"{protocol}: bytes per span on disk (data directory after "
                                    "a flush)", "bytes/span", bps,
                                    ratio, "zstd -3", "T4: ≤ 35 B, ≤ 0.6×",
                                    meets(median(bps) <= 35,
                                          None if ratio is None else ratio <= 0.6),
                                    f"{fmt(wal_left, 'bytes')} of log left after the stop"
                                    if wal_left else ""))
                    blocks = [r["block_bytes_per_span"] for r in runs
                              if "block_bytes_per_span" in r]
                    if blocks:
                        rows.append(Row(f"{protocol}: bytes per span in block files alone",
                                        "bytes/span", blocks,
                                        ratio_or_none(median(blocks), z), "zstd -3"))
                    syncs = [r["wal_syncs_per_1k"] for r in runs if "wal_syncs_per_1k" in r]
                    if syncs:
                        # T9 is stated at peak: see the durability section.
                        rows.append(Row(f"{protocol}: log fsyncs per 1,000 spans "
                                        f"({sysrun['concurrency']} senders, not peak)",
                                        "fsyncs", syncs,
                                        note="T9 is judged at peak, below"
                                        if sysrun.get("peak") else ""))
            r0 = next(iter(ingest.values()))[0]
            sections.append((
                f"Ingest through the skua process — {backend} store",
                f"A fresh skua per repetition on free loopback ports; `skua tracegen` sends "
                f"{r0['acked']:,} W1 spans flat out ({sysrun['concurrency']} concurrent "
                "requests) on the same 2 cores. Rates count stored spans (admin /metrics "
                "`skua_spans_stored_total`) over send time plus drain; CPU from "
                "/proc/<pid>/stat utime+stime of skua alone." +
                ("" if backend == "memory" else
                 " Bytes on disk: the data directory after a graceful stop, which flushes the "
                 "head into blocks; fsyncs from the log's `skua_wal_syncs_total`."), rows))
        durability = embedded_durability_section(sysrun)
        if durability:
            sections.append(durability)
        q = sysrun.get("queries")
        if q:
            rows = []
            fr = q.get("freshness")
            if fr and fr["latencies"]:
                p99 = percentile(fr["latencies"], 99)
                rows.append(Row(f"T7 freshness p50 ({len(fr['latencies'])} probes, "
                                f"{fr['under_load']} under load)", "s",
                                [percentile(fr["latencies"], 50)]))
                rows.append(Row("T7 freshness p99", "s", [p99], target="T7: ≤ 1 s",
                                ok=p99 <= 1.0 and fr["timeouts"] == 0,
                                note=f"{fr['timeouts']} timed out" if fr["timeouts"] else ""))
            limits = {"trace_by_id": ("T5 trace by ID", 0.010, "T5: ≤ 10 ms"),
                      "search_service_operation": ("T6 search service+operation, 1 h, limit 20",
                                                   0.050, "T6: ≤ 50 ms"),
                      "search_service_tag": ("T6 search service+attribute, 24 h, limit 20", 0.300,
                                             "T6: ≤ 300 ms"),
                      "search_no_match": ("T6 search matching nothing", 0.050, "T6: ≤ 50 ms"),
                      "services": ("T6 services list", 0.005, "T6: ≤ 5 ms"),
                      "operations": ("T6 operations list", 0.005, "T6: ≤ 5 ms")}
            for step in q["sizes"]:
                n = f"{int(step['stored']):,} spans"
                for kind, (label, limit, target) in limits.items():
                    lat = step["latencies"].get(kind, [])
                    if not lat:
                        continue
                    extra = (f", {step['mean_trace_spans']:.1f} spans/trace"
                             if kind == "trace_by_id" else "")
                    rows.append(Row(f"{label} p50 @ {n}{extra}", "s", [percentile(lat, 50)]))
                    p99 = percentile(lat, 99)
                    rows.append(Row(f"{label} p99 @ {n}", "s", [p99], target=target,
                                    ok=p99 <= limit))
                if step.get("bytes_per_span") is not None:
                    rows.append(Row(f"bytes per stored span @ {n}" +
                                    (" (RSS growth)" if backend == "memory" else
                                     " (data directory while running, log included)"),
                                    "bytes/span", [step["bytes_per_span"]]))
            bt = q.get("big_trace")
            if bt:
                m = median(bt["latencies"])
                rows.append(Row(f"T5 {bt['spans']:,}-span trace by ID through the HTTP API "
                                f"({fmt(bt['response_bytes'], 'bytes')} JSON)", "s",
                                bt["latencies"], target="T5: ≤ 250 ms", ok=m <= 0.250))
            rows += restart_rows(q.get("restart"))
            sections.append((
                f"Freshness and queries through the HTTP API — {backend} store",
                f"One skua loaded step by step over {q['load_protocol']} to each size; at each "
                f"step {sysrun['query_samples']} requests of each kind, timed end to end by the "
                "driver (Python http.client on a kept-alive connection, so small latencies include "
                "~0.1 ms of client overhead). Freshness: a marked one-span trace posted over OTLP "
                "HTTP/JSON during the largest load, then searched for until found. The targets "
                "are stated at 100 M stored spans." +
                (" Restart (T11): the loaded skua is killed with SIGKILL and started on its "
                 "directory (the head comes back from the log), then stopped and started again "
                 "(all in blocks); each time from the start of the process until /api/services "
                 "answers and until a known trace is returned." if q.get("restart") else ""),
                rows))
    sections += clickhouse_bench.sections(this_module(), run)
    return sections


def embedded_durability_section(sysrun):
    """T9 at peak and T11 with a big log (embedded_peak_once / embedded_replay), or None."""
    peak, replay = sysrun.get("peak"), sysrun.get("replay")
    if not peak and not replay:
        return None
    rows = []
    if peak:
        syncs = [r["syncs_per_1k"] for r in peak]
        rows.append(Row("T9 at peak: log fsyncs per 1,000 spans", "fsyncs", syncs,
                        target="T9: ≤ 1", ok=median(syncs) <= 1.0))
        p50 = [r["commit_p50"] for r in peak]
        p99 = [r["commit_p99"] for r in peak]
        rows.append(Row("T9 at peak: group commit latency p50 (append → durable)", "s", p50))
        rows.append(Row("T9 at peak: group commit latency p99 (append → durable)", "s", p99,
                        target="T9: ≤ 5 ms", ok=median(p99) <= 0.005 if p99 else None))
        rows.append(Row("at peak: the fdatasync alone, p50", "s", [r["sync_p50"] for r in peak]))
        rows.append(Row("at peak: the fdatasync alone, p99", "s", [r["sync_p99"] for r in peak],
                        note="the disk's share of the latency above"))
        rows.append(Row("at peak: wall-clock ingest rate", "spans/s",
                        [r["spans_per_s"] for r in peak]))
        rows.append(Row("at peak: spans per skua CPU-second", "spans/s",
                        [r["spans_per_cpu_s"] for r in peak]))
        rows.append(Row("at peak: skua cores busy", "x", [r["skua_cores"] for r in peak],
                        note="of 2, shared with the sender"))
        rows.append(Row("at peak: spans per log record", "spans",
                        [r["spans_per_append"] for r in peak]))
    if replay and replay["starts"]:
        starts = replay["starts"]
        n = f"{int(median([s['replayed'] for s in starts])):,}"
        until_serving = [s["replayed"] / s["serving_s"] for s in starts if s["serving_s"] > 0]
        rows.append(Row(f"T11 log replay after kill -9, {n} spans in the log: spans per second "
                        "from process start until /api/services answers", "spans/s",
                        until_serving, target="T11: ≥ 1 M/s",
                        ok=median(until_serving) >= 1e6 if until_serving else None))
        rows.append(Row("T11 log replay alone (skua_embedded_replay_seconds)", "spans/s",
                        [s["replayed"] / s["replay_s"] for s in starts if s["replay_s"] > 0]))
        rows.append(Row(f"restart after kill -9 with {n} spans in the log: /api/services "
                        "answers", "s", [s["serving_s"] for s in starts]))
        rows.append(Row("RSS once the log is replayed", "bytes", [s["rss"] for s in starts]))
        rows.append(Row("log size", "bytes", [replay["log_bytes"]]))
    peak_note = ""
    if peak:
        peak_note = (f"T9 at peak: a fresh skua per repetition, default flags, receiving a W1 "
                     f"corpus of {int(median([r['spans'] for r in peak])):,} spans in requests of "
                     f"≤ {PEAK_REQUEST_SPANS} spans (OpenTelemetry's BatchSpanProcessor maximum) "
                     f"from {sysrun.get('peak_concurrency', 16)} concurrent senders over OTLP "
                     "gRPC, which saturates skua on the 2 cores it shares with the sender. fsyncs "
                     "from `skua_wal_syncs_total` (group syncs and new segments' directory syncs); "
                     "latencies from the log's histograms `skua_wal_commit_seconds` (append called "
                     "→ record durable: group commit wait, write, fdatasync) and "
                     "`skua_wal_sync_seconds` (the fdatasync alone). ")
    replay_note = ""
    if replay:
        replay_note = ("T11: a separate skua with the head limits raised (nothing flushed) is "
                       "loaded with the same corpus, killed with SIGKILL and started again on its "
                       "directory (killed again after each start, so each start replays the whole "
                       "log); spans replayed and the replay's own time from the gauges "
                       "`skua_embedded_replayed_spans` and `skua_embedded_replay_seconds`.")
    return ("Durability at peak (T9) and log replay (T11) — embedded store",
            peak_note + replay_note, rows)


def restart_rows(rs):
    """T11 rows from measure_restart's result (none when it did not run)."""
    if not rs:
        return []
    n = f"{int(rs['stored']):,} spans"
    rows = []
    for key, how in (("crash", "after kill -9"), ("graceful", "after a graceful stop")):
        r = rs[key]
        rows.append(Row(f"T11 restart {how} holding {n}: /api/services answers", "s",
                        [r["services_s"]], target="T11: ≤ 5 s", ok=r["services_s"] <= 5))
        rows.append(Row(f"T11 restart {how}: a known trace is found", "s", [r["trace_s"]],
                        target="T11: ≤ 5 s", ok=r["trace_s"] <= 5))
        if key == "crash" and r["head_spans"] > 0:
            # Few spans are left in the log here (the head was flushed while loading), so process
            # start-up dominates: a rate, not the T11 replay figure (that one is measured with a
            # big log, in the durability section).
            rows.append(Row(f"restart after kill -9: {int(r['head_spans']):,} spans replayed "
                            "from the log", "spans", [r["head_spans"]]))
        rows.append(Row(f"graceful stop {how} (flushes the head)", "s", [r["stop_s"]]))
    rows.append(Row(f"data directory holding {n}", "bytes", [rs["disk_bytes"]]))
    return rows


def render_table(rows):
    out = ["| figure | median | min – max | ratio (same run) | target |",
           "|---|---|---|---|---|"]
    for row in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |")
    return "\n".join(out)


def summary_cells(run, sections):
    """One history row: date, commit, mode and a handful of headline figures."""
    wanted = {"T3 decode OTLP protobuf → model": "T3",
              "T10 trace JSON serialization (Jaeger UI)": "T10",
              "otlp-grpc: spans per skua CPU-second": "T1 gRPC",
              "T7 freshness p99": "T7 p99"}
    found = {}
    for _, _, rows in sections:
        for row in rows:
            if row.label in wanted and wanted[row.label] not in found:
                found[wanted[row.label]] = fmt(row.median, row.unit)
    proto = baseline_median(run, "libprotobuf_parse")
    return [run["date"], run["commit"], run["mode"], fmt(proto, "spans/s") if proto else "–",
            found.get("T1 gRPC", "–"), found.get("T3", "–"), found.get("T10", "–"),
            found.get("T7 p99", "–")]


def render_markdown(run, previous_text=""):
    sections = build_sections(run)
    m = run["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench.sh` (driver: `bench/bench.py`); how to read it: "
        "[docs/benchmarks.md](docs/benchmarks.md). Targets T1–T11 and the W1 workload are "
        "defined in the project's workload-and-targets reference. Every figure below was "
        "measured in the run described here, together with its baselines; ratios compare "
        "figures of the same run only.",
        "",
        f"## Latest run: {run['date']} ({run['mode']})",
        "",
        f"- Command: `{run['command']}`",
        f"- Commit: `{run['commit']}`",
        f"- Machine: {m['cpu']}, {m['nproc']} cores (`nproc`), "
        f"{fmt(m['memory'], 'bytes')} RAM, Linux {m['kernel']}",
        f"- Load average at start {m['loadavg'][0]:.2f}, at end "
        f"{run.get('loadavg_end', [float('nan')])[0]:.2f} (1-minute). The machine is shared: "
        "other developers' builds and tests may run during the benchmark, so absolute figures "
        "are noisy; compare ratios and CPU-seconds per span. " + (run.get("note") or ""),
        f"- Duration: {run.get('duration_s', 0):.0f} s. Medians over repetitions, with min – max "
        "when there were several; latencies are percentiles over the samples of one run.",
    ]
    if run.get("skipped"):
        lines.append("- Not measured in this run: " + "; ".join(run["skipped"]) + ".")
    for error in run.get("errors", []):
        lines.append(f"- **Failed in this run:** {error}")
    lines.append("")
    for title, intro, rows in sections:
        lines += [f"### {title}", "", intro, "", render_table(rows), ""]
    durable = [b for b in run.get("system", {}) if b != "memory"]
    if durable:
        lines += ["### Notes on the targets", "",
                  f"- T1, T4, T9 and T11 are stated for the default durable store: see the "
                  f"{', '.join(durable)} sections; the memory store's figures are for comparison.",
                  "- T9 is judged at peak (the durability section): fsyncs per span and group "
                  "commit latency there; the fsyncs at the ingest sections' lower concurrency are "
                  "shown for comparison. The fdatasync baseline above bounds the latency from "
                  "below.",
                  "- T5/T6/T11 are stated at 100 M stored spans; this run measures the sizes "
                  "listed, so the growth with size is visible.", ""]
    else:
        lines += ["### Targets not measurable yet", "",
                  "- T1 is stated for the default durable store; only the memory store was "
                  "measured, so T1 figures above are for ingest into memory.",
                  "- T4 (bytes on disk), T9 (fsyncs per span, group commit) and T11 (restart) need "
                  "a durable store; the zstd and fdatasync baselines they will be compared with "
                  "are measured above.",
                  "- T5/T6 are stated at 100 M stored spans; this run measures the sizes listed, "
                  "so the growth with size is visible.", ""]
    # History: earlier runs, one row each, newest first.
    history = []
    if previous_text:
        m_prev = re.search(re.escape(SUMMARY_ROW) + r"(.*?) -->", previous_text)
        if m_prev:
            history.append(m_prev.group(1))
        block = re.search(re.escape(HISTORY_START) + r"\n(.*?)" + re.escape(HISTORY_END),
                          previous_text, re.S)
        if block:
            history += [ln for ln in block.group(1).splitlines()
                        if ln.startswith("| ") and not ln.startswith("| date")]
    row = "| " + " | ".join(summary_cells(run, sections)) + " |"
    lines += ["## Earlier runs", "",
              "Headline figures of previous runs (each measured with its own baselines).", "",
              HISTORY_START,
              "| date | commit | mode | libprotobuf parse | T1 OTLP gRPC per core | T3 decode | "
              "T10 JSON | T7 p99 |",
              "|---|---|---|---|---|---|---|---|"] + history[:50] + [HISTORY_END, "",
                                                                     f"{SUMMARY_ROW}{row} -->",
                                                                     ""]
    return "\n".join(lines)


def print_console(run):
    for title, _, rows in build_sections(run):
        print(f"\n{title}")
        for row in rows:
            c = row.cells()
            print(f"  {c[0]:<62} {c[1]:>16}  {c[2]:<26} {c[3]:<28} {c[4]}")


# --- main --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="scripts/bench.sh",
        description="Runs skua's benchmarks (baselines, microbenchmarks, whole-process ingest, "
                    "freshness and query latency per storage backend) and rewrites "
                    "BENCHMARKS.md. See docs/benchmarks.md.")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick",
                      help="the default: ≤ 5 minutes on a 2-core machine (sizes 100k and 1M)")
    mode.add_argument("--full", action="store_const", dest="mode", const="full",
                      help="larger corpora and more repetitions (tens of minutes)")
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "release"),
                    help="tree with the binaries (default build/release, built by "
                         "scripts/build.sh release)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"),
                    help="report to rewrite (default BENCHMARKS.md)")
    ap.add_argument("--no-report", action="store_true", help="print figures only")
    ap.add_argument("--sizes", help="comma-separated stored-corpus sizes for query latencies")
    ap.add_argument("--skip", default="",
                    help="comma-separated phases to skip: baselines,micro,ingest,queries,clickhouse")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one setting of the mode, e.g. --set ingest_reps=5 "
                         "(keys: " + ", ".join(sorted(MODES["quick"])) + ")")
    ap.add_argument("--note", default="", help="a remark to print in the report")
    ap.add_argument("--from-json", help="re-render the report from a saved run (no measuring)")
    args = ap.parse_args(argv)
    args.mode = args.mode or "quick"
    cfg = dict(MODES[args.mode])
    if args.sizes:
        cfg["sizes"] = [int(float(x)) for x in args.sizes.split(",")]
    skip = {s for s in args.skip.split(",") if s}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in cfg:
            ap.error(f"--set: unknown key {key!r}")
        cfg[key] = type(cfg[key])(float(value)) if not isinstance(cfg[key], list) else \
            [int(float(x)) for x in value.split(",")]

    if args.from_json:
        run = json.loads(Path(args.from_json).read_text())
    else:
        run = measure(args, cfg, skip)
    print_console(run)
    if not args.no_report:
        out = Path(args.out)
        previous = out.read_text() if out.exists() else ""
        if args.from_json:
            previous = re.sub(re.escape(SUMMARY_ROW) + r".*? -->", "", previous)
        out.write_text(render_markdown(run, previous))
        log(f"\nwrote {out}")
    return 0


def measure(args, cfg, skip):
    started = time.time()
    build_dir = Path(args.build_dir)
    if not args.no_build:
        build(build_dir)
    bins = {"skua": build_dir / "src" / "cli" / "skua",
            "baselines": build_dir / "bench" / "skua_baselines",
            "decode": build_dir / "bench" / "skua_decode_bench",
            "ui_json": build_dir / "bench" / "skua_ui_json_bench",
            "storage": build_dir / "bench" / "skua_storage_bench"}
    bins = {k: str(v) for k, v in bins.items()}
    workdir = build_dir / "bench-run"
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = "scripts/bench.sh " + " ".join(sys.argv[1:]) if sys.argv[1:] else "scripts/bench.sh"
    run = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "mode": args.mode, "command": cmd.strip(), "commit": git_commit(),
           "machine": machine_info(), "config": cfg, "note": args.note, "skipped": [], "errors": [],
           "system": {}}
    if "baselines" not in skip:
        run["baselines"] = run_baselines(bins["baselines"], cfg, workdir)
    if "micro" not in skip:
        run["micro"] = run_micro(bins, cfg)

    help_text = subprocess.run([bins["skua"], "help"], capture_output=True, text=True).stdout
    flags, backends = parse_skua_help(help_text)
    tg = subprocess.run([bins["skua"], "tracegen", "--help"], capture_output=True, text=True)
    protocols = parse_tracegen_protocols(tg.stdout + tg.stderr) if tg.returncode == 0 else []
    protocols = [p for p in protocols
                 if any(re.fullmatch(f, x) for x in flags for q, f, _ in PROTOCOLS if q == p)]
    if not protocols:
        run["skipped"].append("whole-process figures (`skua tracegen` is not available)")
    for backend in backends:
        if not protocols or ({"ingest", "queries"} <= skip):
            break
        if backend == "clickhouse":
            continue  # the split roles on a ClickHouse server: bench/clickhouse_bench.py, below
        sysrun = {"concurrency": cfg["concurrency"], "query_samples": cfg["query_samples"],
                  "peak_concurrency": cfg["peak_concurrency"]}
        run["system"][backend] = sysrun
        # A backend or protocol that fails is reported as such; the other figures still count.
        if "ingest" not in skip:
            # Disk stores: the T1 protocols (the others measure the receivers, not the store),
            # every protocol with --set disk_all_protocols=1 (the default of --full).
            ingest_protocols = protocols if backend == "memory" or cfg["disk_all_protocols"] \
                else [p for p in protocols if p in T1_PROTOCOLS]
            sysrun["ingest"] = run_ingest_each(bins["skua"], backend, flags, ingest_protocols,
                                               cfg, workdir, "--replay" in tg.stdout + tg.stderr,
                                               run["errors"])
            if backend == "embedded" and PEAK_PROTOCOL in protocols and \
                    "--max-spans-per-request" in tg.stdout + tg.stderr:
                # T9 at peak and T11 with a big log (embedded store only).
                try:
                    sysrun["peak"], sysrun["replay"] = run_embedded_durability(
                        bins["skua"], flags, cfg, workdir)
                except (RuntimeError, OSError, ValueError) as e:
                    run["errors"].append(f"embedded store at peak / log replay: {e}")
                    log(f"!! {run['errors'][-1]}")
        if "queries" not in skip:
            try:
                sysrun["queries"] = run_queries(bins["skua"], backend, flags, cfg, workdir,
                                                protocols[0])
            except (RuntimeError, OSError, ValueError) as e:
                run["errors"].append(f"queries on {backend}: {e}")
                log(f"!! {run['errors'][-1]}")
    if cfg["scale_sizes"] and "embedded" in backends and protocols and "queries" not in skip:
        # The growth curve beyond the mode's sizes (e.g. --set scale_sizes=1e7,3e7), for the
        # default store only: one more skua loaded to each size, reported as "embedded-large".
        large = dict(cfg, sizes=cfg["scale_sizes"])
        try:
            run["system"]["embedded-large"] = {
                "concurrency": cfg["concurrency"], "query_samples": cfg["query_samples"],
                "queries": run_queries(bins["skua"], "embedded", flags, large, workdir,
                                       protocols[0])}
        except (RuntimeError, OSError, ValueError) as e:
            run["errors"].append(f"queries on embedded at {cfg['scale_sizes']}: {e}")
            log(f"!! {run['errors'][-1]}")
    if "clickhouse" in backends and protocols and "clickhouse" not in skip and \
            not ({"ingest", "queries"} <= skip):
        run["clickhouse"] = clickhouse_bench.run(this_module(), bins["skua"], cfg, workdir,
                                                 protocols, skip, run["errors"])
    run["loadavg_end"] = os.getloadavg()
    run["duration_s"] = time.time() - started
    saved = workdir / "last-run.json"
    saved.write_text(json.dumps(run, indent=1))
    log(f"raw results: {saved}")
    return run


if __name__ == "__main__":
    sys.exit(main())

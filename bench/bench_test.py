#!/usr/bin/python3
"""Tests of the benchmark driver (bench/bench.py): its parsers, statistics and report, on small
real runs of skua_baselines and skua_decode_bench (no server). Run by ctest as bench.driver:

  bench_test.py --baselines=PATH/skua_baselines --decode-bench=PATH/skua_decode_bench
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench", HERE / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

ARGS = None


class StatisticsTest(unittest.TestCase):
    def test_median_odd_and_even(self):
        self.assertEqual(bench.median([5, 1, 3]), 3)
        self.assertEqual(bench.median([4, 1, 3, 2]), 2.5)

    def test_nearest_rank_percentiles(self):
        values = list(range(1, 101))  # 1..100
        self.assertEqual(bench.percentile(values, 50), 50)
        self.assertEqual(bench.percentile(values, 99), 99)
        self.assertEqual(bench.percentile(values, 100), 100)
        self.assertEqual(bench.percentile([7.0], 99), 7.0)

    def test_summarize(self):
        self.assertEqual(bench.summarize([3, 9, 1]), {"median": 3, "min": 1, "max": 9, "n": 3})


class ParserTest(unittest.TestCase):
    def test_prometheus_sums_every_series_of_one_metric(self):
        text = "\n".join([
            "# HELP skua_spans_stored_total Spans stored.",
            "# TYPE skua_spans_stored_total counter",
            'skua_spans_stored_total{service="a",transport="grpc"} 10',
            'skua_spans_stored_total{service="b",transport="http"} 32.5',
            "skua_spans_stored_total_other 1000",
            'skua_spans_received_total{service="a"} 7',
        ])
        self.assertEqual(bench.parse_prometheus(text, "skua_spans_stored_total"), 42.5)
        self.assertEqual(bench.parse_prometheus(text, "skua_missing_total"), 0)

    def test_histogram_buckets_and_quantiles(self):
        text = "\n".join([
            "# TYPE x_seconds histogram",
            'x_seconds_bucket{le="0.001"} 10',
            'x_seconds_bucket{le="0.002"} 90',
            'x_seconds_bucket{le="+Inf"} 100',
            'x_seconds_bucket{op="b",le="0.001"} 0',
            'x_seconds_bucket{op="b",le="0.002"} 0',
            'x_seconds_bucket{op="b",le="+Inf"} 0',
            "x_seconds_sum 0.15",
            "x_seconds_count 100",
            'x_seconds_other_bucket{le="0.001"} 5'])
        b = bench.parse_histogram(text, "x_seconds")
        self.assertEqual(b, [(0.001, 10.0), (0.002, 90.0), (float("inf"), 100.0)])
        # Rank 50 lies 40/80 of the way through the (1 ms, 2 ms] bucket.
        self.assertAlmostEqual(bench.histogram_quantile(b, 0.5), 0.0015)
        self.assertAlmostEqual(bench.histogram_quantile(b, 0.05), 0.0005)
        self.assertEqual(bench.histogram_quantile(b, 0.99), 0.002)  # in +Inf: the last bound
        self.assertIsNone(bench.histogram_quantile([], 0.5))
        self.assertIsNone(bench.histogram_quantile([(1.0, 0.0), (float("inf"), 0.0)], 0.5))

    def test_skua_help(self):
        text = ("  --admin.http.host-port (env ADMIN_HTTP_HOST_PORT, default \":14269\")\n"
                "      Admin address.\n"
                "  --collector.otlp.grpc.host-port (env X, default \":4317\")\n"
                "      OTLP gRPC listen address.\n"
                "  --collector.otlp.grpc.max-message-size (env Y, default \"4194304\")\n"
                "  --span-storage.type (env SPAN_STORAGE_TYPE, default \"memory\")\n"
                "      Storage backend. Available: memory, embedded.\n")
        flags, backends = bench.parse_skua_help(text)
        self.assertEqual(flags, ["admin.http.host-port", "collector.otlp.grpc.host-port"])
        self.assertEqual(backends, ["memory", "embedded"])

    def test_tracegen_protocols_match_whole_names(self):
        text = ("  --protocol NAME\n      Ingest protocol, e.g. otlp-http-proto.\n\nProtocols:\n"
                "  otlp-grpc              OTLP gRPC TraceService/Export\n"
                "                         default endpoint localhost:4317\n"
                "  otlp-http-proto        OTLP HTTP (default http://localhost:4318)\n"
                "  otlp-http-json-v9      not a protocol this driver knows\n"
                "  jaeger-grpc            Jaeger api_v2 -- not supported yet\n"
                "  zipkin-json            Zipkin POST /api/v2/spans, JSON v2\n"
                "                         not supported yet\n"
                "\nReport: spans sent; otlp-http-json ...\n")
        self.assertEqual(bench.parse_tracegen_protocols(text), ["otlp-grpc", "otlp-http-proto"])

    def test_tracegen_result_is_last_json_line(self):
        out = 'progress: 10 spans\n{"spans_acknowledged": 5, "seconds": 0.5}\n'
        result = bench.parse_tracegen_result(out)
        self.assertEqual(bench.tracegen_spans_acked(result, 99), 5)
        self.assertEqual(bench.tracegen_send_seconds(result), 0.5)
        with self.assertRaises(ValueError):
            bench.parse_tracegen_result("no json here\n")


class SmallRunTest(unittest.TestCase):
    """The real programs on tiny corpora, parsed and rendered as scripts/bench.sh does."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cfg = dict(baseline_spans=3000, baseline_reps=2, baseline_min_time=0, syncs=5)
        cls.baselines = bench.run_baselines(ARGS.baselines, cfg, cls.tmp.name)
        cls.decode = bench.run_gbench(ARGS.decode_bench, 3000, 2, 0.01)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_baselines_parse(self):
        results = self.baselines["results"]
        for name in ("libprotobuf_parse", "wire_walk", "simdjson_walk", "protobuf_json_parse",
                     "zstd3_per_request", "libprotobuf_memory", "fdatasync_4k_avg",
                     "fdatasync_4k_p99"):
            self.assertIn(name, results)
            self.assertTrue(all(v > 0 for v in results[name]["values"]), name)
        self.assertEqual(len(results["libprotobuf_parse"]["values"]), 2)  # one per rep
        self.assertGreaterEqual(self.baselines["corpus"]["spans"], 3000)
        # The §1 size of W1 (~365 B/span protobuf, ~760 B/span JSON) within a generous band.
        self.assertTrue(250 < self.baselines["corpus"]["otlp_proto_bytes_per_span"] < 500)
        self.assertTrue(550 < self.baselines["corpus"]["otlp_json_bytes_per_span"] < 1000)
        # A zero-copy walk does less than a full parse; zstd shrinks the batches.
        self.assertLess(results["zstd3_per_request"]["values"][0],
                        self.baselines["corpus"]["otlp_proto_bytes_per_span"])

    def test_gbench_parse(self):
        r = self.decode["results"]
        self.assertIn("BM_Decode/otlp_proto", r)
        self.assertEqual(len(r["BM_Decode/otlp_proto"]["spans/s"]), 2)  # repetitions, no aggregates
        self.assertEqual(len(r["BM_Decode/otlp_proto"]["cpu_s"]), 2)
        self.assertGreater(min(r["BM_Decode/otlp_proto"]["spans/s"]), 0)

    def test_report(self):
        run = {"date": "2000-01-01 00:00 UTC", "mode": "quick", "command": "scripts/bench.sh",
               "commit": "abc", "machine": bench.machine_info(), "loadavg_end": [0, 0, 0],
               "duration_s": 1, "baselines": self.baselines, "micro": {"decode": self.decode},
               "system": {}, "skipped": ["whole-process figures (test)"]}
        text = bench.render_markdown(run)
        proto = bench.median(self.baselines["results"]["libprotobuf_parse"]["values"])
        decode = bench.median(self.decode["results"]["BM_Decode/otlp_proto"]["spans/s"])
        self.assertIn("T3 decode OTLP protobuf", text)
        self.assertIn(f"{decode / proto:.2f}× libprotobuf parse", text)
        self.assertIn("`scripts/bench.sh`", text)
        self.assertIn("Not measured in this run: whole-process figures (test)", text)
        self.assertIn(bench.BASELINE_LABELS["wire_walk"], text)
        # A second rendering keeps the first run as a history row.
        again = bench.render_markdown(dict(run, date="2000-01-02 00:00 UTC"), text)
        history = again.split(bench.HISTORY_START)[1].split(bench.HISTORY_END)[0]
        self.assertIn("| 2000-01-01 00:00 UTC | abc | quick |", history)
        self.assertNotIn("2000-01-02", history)


class DiskStoreReportTest(unittest.TestCase):
    """The rows a durable store adds (T4 after a flush, T9, T11), from a synthetic run."""

    def test_disk_store_rows(self):
        ingest = {"spans": 1000, "acked": 1000, "refused": 0, "replayed": True,
                  "spans_per_s": 5e4, "cpu_s_per_m": 5.0, "spans_per_cpu_s": 2e5,
                  "peak_rss": 100 << 20, "bytes_per_span": 30.0, "tracegen_cpu_s_per_m": 1.0,
                  "send_seconds": 0.02, "drain_seconds": 0.0, "tracegen": {},
                  "wal_syncs_per_1k": 0.5, "block_bytes_per_span": 28.0,
                  "wal_bytes_after_stop": 0}
        restart = {"stored": 2e6, "disk_bytes": 60 << 20,
                   "crash": {"services_s": 2.0, "trace_s": 2.5, "head_spans": 4e6, "stop_s": 1},
                   "graceful": {"services_s": 0.5, "trace_s": 6.0, "head_spans": 0, "stop_s": 0.1}}
        peak = {"spans": 1e6, "spans_per_s": 2e5, "spans_per_cpu_s": 1.5e5, "skua_cores": 1.3,
                "syncs_per_1k": 0.8, "commit_p50": 0.003, "commit_p99": 0.004, "sync_p50": 0.001,
                "sync_p99": 0.002, "spans_per_append": 1000.0}
        replay = {"stored": 1e6, "log_bytes": 350 << 20, "starts": [
            {"serving_s": 2.0, "replayed": 1e6, "replay_s": 1.6, "rss": 1 << 30},
            {"serving_s": 4.0, "replayed": 1e6, "replay_s": 3.0, "rss": 1 << 30}]}
        run = {"date": "2000-01-01 00:00 UTC", "mode": "quick", "command": "scripts/bench.sh",
               "commit": "abc", "machine": bench.machine_info(), "loadavg_end": [0, 0, 0],
               "duration_s": 1,
               "system": {"embedded": {
                   "concurrency": 4, "query_samples": 1, "peak_concurrency": 16,
                   "ingest": {"otlp-grpc": [ingest, dict(ingest, wal_syncs_per_1k=1.5)]},
                   "peak": [peak, dict(peak, syncs_per_1k=1.4, commit_p99=0.009),
                            dict(peak, syncs_per_1k=0.9, commit_p99=0.006)],
                   "replay": replay,
                   "queries": {"sizes": [], "freshness": None, "big_trace": None,
                               "load_protocol": "otlp-grpc", "restart": restart}}}}
        rows = {row.label: row for _, _, rs in bench.build_sections(run) for row in rs}
        t4 = rows["otlp-grpc: bytes per span on disk (data directory after a flush)"]
        self.assertEqual((t4.median, t4.ok), (30.0, True))
        low = rows["otlp-grpc: log fsyncs per 1,000 spans (4 senders, not peak)"]
        self.assertEqual((low.median, low.ok), (1.0, None))  # T9 is judged at peak only
        t9 = rows["T9 at peak: log fsyncs per 1,000 spans"]
        self.assertEqual((t9.median, t9.ok), (0.9, True))
        latency = rows["T9 at peak: group commit latency p99 (append → durable)"]
        self.assertEqual((latency.median, latency.ok), (0.006, False))
        self.assertIn("durable", rows["otlp-grpc: spans per skua CPU-second"].note)
        crash = rows["T11 restart after kill -9 holding 2,000,000 spans: /api/services answers"]
        self.assertEqual((crash.median, crash.ok), (2.0, True))
        self.assertFalse(rows["T11 restart after a graceful stop: a known trace is found"].ok)
        # T11's replay rate comes from the big log only: spans over time until serving.
        replay_rows = [r for label, r in rows.items() if label.startswith("T11 log replay")]
        self.assertEqual(len(replay_rows), 2)
        until_serving = rows["T11 log replay after kill -9, 1,000,000 spans in the log: spans per "
                             "second from process start until /api/services answers"]
        self.assertEqual((until_serving.median, until_serving.ok), (375e3, False))
        alone = rows["T11 log replay alone (skua_embedded_replay_seconds)"]
        self.assertAlmostEqual(alone.median, (1e6 / 1.6 + 1e6 / 3.0) / 2)
        text = bench.render_markdown(run)
        self.assertIn("T11: ≤ 5 s ❌ misses", text)
        self.assertIn("T9: ≤ 1 ✅ meets", text)
        self.assertIn("T9: ≤ 5 ms ❌ misses", text)
        self.assertIn("T11: ≥ 1 M/s ❌ misses", text)
        self.assertIn("see the embedded sections", text)


class HelpTest(unittest.TestCase):
    def test_help(self):
        out = subprocess.run([sys.executable, str(HERE / "bench.py"), "--help"],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("--quick", out)
        self.assertIn("--full", out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--baselines", required=True)
    ap.add_argument("--decode-bench", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)

// Human-readable durations and timestamps (all inputs in microseconds, as in Jaeger's JSON).

export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const abs = Math.abs(us);
  const trim = (n: number) => String(Number(n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2)));
  if (abs < 1000) return `${trim(us)}µs`;
  if (abs < 1_000_000) return `${trim(us / 1000)}ms`;
  if (abs < 60_000_000) return `${trim(us / 1_000_000)}s`;
  if (abs < 3_600_000_000) {
    const m = Math.floor(abs / 60_000_000);
    const s = Math.round((abs % 60_000_000) / 1_000_000);
    return `${us < 0 ? '-' : ''}${m}m${s ? ` ${s}s` : ''}`;
  }
  const h = Math.floor(abs / 3_600_000_000);
  const m = Math.round((abs % 3_600_000_000) / 60_000_000);
  return `${us < 0 ? '-' : ''}${h}h${m ? ` ${m}m` : ''}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local date and time with milliseconds, e.g. "2024-01-02 15:04:05.123". */
export function formatTimestamp(us: number): string {
  if (!Number.isFinite(us)) return '–';
  const d = new Date(us / 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "5 minutes ago" style relative time against now (ms). */
export function formatRelative(us: number, nowMs: number): string {
  const sec = Math.round((nowMs - us / 1000) / 1000);
  if (sec < 0) return 'in the future';
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

const UNIT_US: Record<string, number> = {
  ns: 0.001, us: 1, 'µs': 1, 'μs': 1, ms: 1000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000,
};

/**
 * Parses a Go-style duration ("1.5s", "100ms", "1h15m", "250us") to microseconds; null when
 * the text is not one. Matches what skua's /api/traces minDuration/maxDuration accept.
 */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT_US[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './format';

describe('durations', () => {
  it('parses Go durations to microseconds', () => {
    expect(parseDuration('1.5s')).toBe(1_500_000);
    expect(parseDuration('100ms')).toBe(100_000);
    expect(parseDuration('250us')).toBe(250);
    expect(parseDuration('1h15m')).toBe(75 * 60e6);
    expect(parseDuration('500ns')).toBe(0.5);
    expect(parseDuration('10')).toBeNull();
    expect(parseDuration('ms')).toBeNull();
    expect(parseDuration('1x')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });
  it('formats with a fitting unit', () => {
    expect(formatDuration(0)).toBe('0µs');
    expect(formatDuration(999)).toBe('999µs');
    expect(formatDuration(1500)).toBe('1.5ms');
    expect(formatDuration(2_340_000)).toBe('2.34s');
    expect(formatDuration(90_000_000)).toBe('1m 30s');
    expect(formatDuration(2 * 3600e6)).toBe('2h');
  });
});

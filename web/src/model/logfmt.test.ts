import { describe, expect, it } from 'vitest';
import { formatLogfmt, parseLogfmt } from './logfmt';

describe('parseLogfmt', () => {
  it('parses key=value pairs separated by whitespace', () => {
    expect(parseLogfmt('http.status_code=500 error=true')).toEqual({
      tags: { 'http.status_code': '500', error: 'true' }, errors: [],
    });
  });
  it('accepts quoted values with spaces, escapes and equals signs', () => {
    const r = parseLogfmt('msg="two words" q="a=b" esc="say \\"hi\\""  ');
    expect(r.errors).toEqual([]);
    expect(r.tags).toEqual({ msg: 'two words', q: 'a=b', esc: 'say "hi"' });
  });
  it('keeps everything after the first "=" in an unquoted value', () => {
    expect(parseLogfmt('url=http://x/?a=1').tags).toEqual({ url: 'http://x/?a=1' });
  });
  it('allows empty values', () => {
    expect(parseLogfmt('k= other=1').tags).toEqual({ k: '', other: '1' });
  });
  it('reports keys without values and unterminated quotes', () => {
    expect(parseLogfmt('lonely a=1').errors).toHaveLength(1);
    expect(parseLogfmt('lonely a=1').tags).toEqual({ a: '1' });
    expect(parseLogfmt('a="open').errors[0]).toMatch(/unterminated/);
    expect(parseLogfmt('=v').errors).toHaveLength(1);
  });
  it('returns nothing for blank input', () => {
    expect(parseLogfmt('   ')).toEqual({ tags: {}, errors: [] });
  });
  it('round-trips through formatLogfmt', () => {
    const tags = { a: 'plain', b: 'has space', c: 'quote"d', d: '', 'e.f': 'x=y' };
    expect(parseLogfmt(formatLogfmt(tags)).tags).toEqual(tags);
  });
});

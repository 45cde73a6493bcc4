import { describe, expect, it } from 'vitest';
import { jaegerTrace } from '../testing/fixtures';
import { findSpans } from './find';
import { buildTrace } from './trace';

describe('findSpans', () => {
  const t = buildTrace(jaegerTrace([
    { id: 'aaa1', svc: 'web', op: 'GET /cart', start: 0, dur: 10 },
    { id: 'bbb2', parent: 'aaa1', svc: 'db', op: 'SELECT', start: 1, dur: 1,
      tags: [{ key: 'db.system', type: 'string', value: 'postgresql' }, { key: 'rows', type: 'int64', value: 42 }] },
  ]));
  it('matches service, operation, ID, attribute and process text', () => {
    expect(findSpans(t, 'cart')).toEqual(['aaa1']);
    expect(findSpans(t, 'POSTGRES')).toEqual(['bbb2']);
    expect(findSpans(t, 'bbb2')).toEqual(['bbb2']);
    expect(findSpans(t, 'h-web')).toEqual(['aaa1']);
  });
  it('needs every word and supports key=value', () => {
    expect(findSpans(t, 'db select')).toEqual(['bbb2']);
    expect(findSpans(t, 'web select')).toEqual([]);
    expect(findSpans(t, 'rows=42')).toEqual(['bbb2']);
    expect(findSpans(t, 'rows=4')).toEqual([]);
  });
  it('returns null for a blank query', () => {
    expect(findSpans(t, '  ')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { errorMessageFromBody } from './client';

describe('errorMessageFromBody', () => {
  it('joins the envelope errors, prefixing codes that differ from the status', () => {
    const body = JSON.stringify({ data: null, errors: [{ code: 400, msg: 'bad start' }, { code: 500, msg: 'oops' }] });
    expect(errorMessageFromBody(400, 'Bad Request', body)).toBe('bad start; 500 - oops');
  });
  it('falls back to the status and text', () => {
    expect(errorMessageFromBody(502, 'Bad Gateway', 'upstream down\n')).toBe('502 Bad Gateway: upstream down');
    expect(errorMessageFromBody(404, 'Not Found', '')).toBe('404 Not Found');
  });
});

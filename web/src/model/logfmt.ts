// Parses the search form's tag filter, written in logfmt as in Jaeger's UI:
// `http.status_code=500 error=true msg="two words"`. Values are kept as strings (the API
// compares them as text). Keys without '=' or '=' without a key are reported as errors.

export interface LogfmtResult {
  tags: Record<string, string>;
  errors: string[];
}

export function parseLogfmt(input: string): LogfmtResult {
  const tags: Record<string, string> = {};
  const errors: string[] = [];
  let i = 0;
  const n = input.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(input[i])) i++;
    if (i >= n) break;
    // Key: up to '=' or whitespace; may itself be quoted.
    let key = '';
    if (input[i] === '"') {
      const r = readQuoted(input, i);
      if (r === null) {
        errors.push(`unterminated quote at position ${i + 1}`);
        break;
      }
      key = r.value;
      i = r.end;
    } else {
      const start = i;
      while (i < n && input[i] !== '=' && !isSpace(input[i])) i++;
      key = input.slice(start, i);
    }
    if (i >= n || input[i] !== '=') {
      errors.push(key ? `"${key}" has no value (write key=value)` : 'a value has no key');
      while (i < n && !isSpace(input[i])) i++;
      continue;
    }
    i++; // '='
    let value = '';
    if (i < n && input[i] === '"') {
      const r = readQuoted(input, i);
      if (r === null) {
        errors.push(`unterminated quote in the value of "${key}"`);
        break;
      }
      value = r.value;
      i = r.end;
    } else {
      const start = i;
      while (i < n && !isSpace(input[i])) i++;
      value = input.slice(start, i);
    }
    if (!key) {
      errors.push('a value has no key');
      continue;
    }
    tags[key] = value;
  }
  return { tags, errors };
}

function readQuoted(s: string, open: number): { value: string; end: number } | null {
  let out = '';
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const nx = s[++i];
      out += nx === 'n' ? '\n' : nx === 't' ? '\t' : nx;
    } else if (c === '"') {
      return { value: out, end: i + 1 };
    } else {
      out += c;
    }
  }
  return null;
}

/** Writes tags back as logfmt, quoting values that need it (inverse of parseLogfmt). */
export function formatLogfmt(tags: Record<string, string>): string {
  const q = (s: string) =>
    s === '' || /[\s"=\\]/.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s;
  return Object.entries(tags).map(([k, v]) => `${q(k)}=${q(v)}`).join(' ');
}

/** Settings of `splitFields`. */
export interface SplitOptions {
  /** Whether `[` opens a field that runs to the next `]`, as the time of S3 access logs does. */
  brackets?: boolean;
}

/** Reason a line could not be cut into fields. */
export interface SplitError {
  code: 'unterminated_quote' | 'unterminated_bracket';
  reason: string;
}

/**
 * Cuts a space-separated log line into fields, the layout AWS uses for S3 server access and
 * Elastic Load Balancing logs. A field that starts with `"` runs to the next `"` followed by a
 * space or the end of the line, so a quote inside a field, as in `"h2","http/1.1"`, does not end
 * it. The enclosing quotes are removed. With `brackets`, a field that starts with `[` runs to the next `]`
 * and its brackets are removed too. Runs of spaces between fields count as one separator.
 */
export function splitFields(line: string, options: SplitOptions = {}): string[] | SplitError {
  const fields: string[] = [];
  let i = 0;

  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      const close = closingQuote(line, i + 1);
      if (close === -1) {
        return { code: 'unterminated_quote', reason: 'a quoted field has no closing quote' };
      }
      fields.push(line.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    if (options.brackets === true && line[i] === '[') {
      const close = line.indexOf(']', i + 1);
      if (close === -1) {
        return { code: 'unterminated_bracket', reason: 'a bracketed field has no closing ]' };
      }
      fields.push(line.slice(i + 1, close));
      i = close + 1;
      continue;
    }

    const space = line.indexOf(' ', i);
    const end = space === -1 ? line.length : space;
    fields.push(line.slice(i, end));
    i = end;
  }

  return fields;
}

/** Finds the `"` at or after `from` that is followed by a space or the end of the line. */
function closingQuote(line: string, from: number): number {
  let at = line.indexOf('"', from);
  while (at !== -1) {
    const next = line[at + 1];
    if (next === undefined || next === ' ') return at;
    at = line.indexOf('"', at + 1);
  }
  return -1;
}

/** Reads a field where `-` means missing; returns `null` for `-` and for an absent field. */
export function present(value: string | undefined): string | null {
  return value === undefined || value === '-' || value === '' ? null : value;
}

/** Reads a non-negative decimal integer field; `null` for `-`, an absent field or other text. */
export function integerField(value: string | undefined): number | null {
  const found = present(value);
  if (found === null || !/^\d{1,16}$/.test(found)) return null;

  return Number(found);
}

/**
 * Splits `address:port` as ELB writes client and target endpoints; IPv6 addresses come in
 * brackets (`[2001:db8::1]:443`). Returns nulls for `-`.
 */
export function splitEndpoint(value: string | undefined): {
  ip: string | null;
  port: number | null;
} {
  const found = present(value);
  if (found === null) return { ip: null, port: null };

  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(found);
  if (bracketed !== null) return { ip: bracketed[1] ?? null, port: Number(bracketed[2]) };

  const colon = found.lastIndexOf(':');
  if (colon === -1 || found.indexOf(':') !== colon) return { ip: found, port: null };

  const port = integerField(found.slice(colon + 1));
  return { ip: found.slice(0, colon), port };
}

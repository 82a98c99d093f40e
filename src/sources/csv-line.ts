/**
 * Splits one CSV line into its fields as RFC 4180 writes them: comma-separated, a field in
 * double quotes may contain commas, and `""` inside it is one quote. Returns `null` when a quoted
 * field does not close on the line. A field that spans lines is such a field, so it is not read.
 */
export function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (line[at] === '"') {
      let value = '';
      at++;
      for (;;) {
        const close = line.indexOf('"', at);
        if (close < 0) return null;
        value += line.slice(at, close);
        at = close + 1;
        if (line[at] !== '"') break;
        value += '"';
        at++;
      }
      fields.push(value);
      if (at === line.length) return fields;
      if (line[at] !== ',') return null;
      at++;
      continue;
    }

    const comma = line.indexOf(',', at);
    if (comma < 0) {
      fields.push(line.slice(at));
      return fields;
    }
    fields.push(line.slice(at, comma));
    at = comma + 1;
  }
}

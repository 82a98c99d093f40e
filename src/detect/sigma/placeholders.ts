/**
 * Placeholder files: the values of `%name%` placeholders that rules with the `expand` modifier
 * use. The file is a YAML mapping of placeholder name (without the `%`) to a list of values:
 *
 * ```yaml
 * admin_users:
 *   - root
 *   - '*admin*'
 * trusted_networks: ['10.0.0.0/8']
 * ```
 *
 * Values are Sigma values: the modifiers after `expand` apply to them and wildcards keep their
 * meaning. A single value may be written without the list; numbers and booleans are read as
 * their text. An empty list leaves the placeholder with no values, so `expand` matches nothing.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { CloudcaseError, EXIT } from '../../core/errors.ts';

/** Maximum size of a placeholders file, in bytes. */
export const MAX_PLACEHOLDERS_BYTES = 1024 * 1024;

/** Reads a placeholders file; throws `invalid_placeholders` (exit code 2) when it is not one. */
export async function readPlaceholders(file: string): Promise<Record<string, string[]>> {
  const bytes = await readFile(file);
  if (bytes.length > MAX_PLACEHOLDERS_BYTES) {
    throw invalid(file, `it is larger than ${MAX_PLACEHOLDERS_BYTES} bytes`);
  }

  let document: unknown;
  try {
    document = parse(bytes.toString('utf8'), { maxAliasCount: 100 });
  } catch (error) {
    throw invalid(file, `it is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(file, 'it must be a mapping of placeholder names to lists of values');
  }

  const placeholders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(document)) {
    const list = Array.isArray(value) ? value : [value];
    const values = list.map((item) => valueText(item));
    const bad = values.indexOf(null);
    if (bad !== -1) {
      throw invalid(file, `value ${bad + 1} of "${name}" is not a string, number or boolean`);
    }
    placeholders[name] = values as string[];
  }
  return placeholders;
}

function valueText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function invalid(file: string, reason: string): CloudcaseError {
  return new CloudcaseError(
    'invalid_placeholders',
    `placeholders file ${file} is invalid: ${reason}`,
    EXIT.usage,
  );
}

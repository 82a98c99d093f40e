/** `npm run table:panther`: writes docs/panther-log-types.md from the shared Panther tests. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.ts';
import { pantherLogTypes, renderLogTypeTable } from './panther-table.ts';

const page = renderLogTypeTable(await pantherLogTypes());
writeFileSync(path.join(ROOT, 'docs/panther-log-types.md'), page);
process.stdout.write('wrote docs/panther-log-types.md\n');

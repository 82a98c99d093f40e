// Runs before the test suite. The browser tests and PDF reports drive Debian's `chromium`, and
// the PDF tests read the printed pages with poppler's `pdfinfo` and `pdftoppm`. When one is
// missing and this process may install packages (root with apt-get), it installs the Debian
// package; otherwise it says what to install and fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CLOUDCASE_CHROMIUM || '/usr/bin/chromium';
const required = [
  { file: chromium, pkg: 'chromium', hint: ' (or set CLOUDCASE_CHROMIUM to a Chromium binary)' },
  { file: '/usr/bin/pdfinfo', pkg: 'poppler-utils', hint: '' },
  { file: '/usr/bin/pdftoppm', pkg: 'poppler-utils', hint: '' },
];

const missing = required.filter((entry) => !existsSync(entry.file));
if (missing.length > 0) {
  const packages = [...new Set(missing.map((entry) => entry.pkg))];
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    for (const entry of missing) {
      console.error(`Missing ${entry.file}, from the Debian package ${entry.pkg}${entry.hint}.`);
    }
    console.error(`Install with \`sudo apt-get install -y ${packages.join(' ')}\`, then test again.`);
    process.exit(1);
  }
  console.error(`Installing Debian packages for the tests: ${packages.join(', ')}...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (run.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed with exit code ${run.status}`);
      process.exit(1);
    }
  }
  for (const entry of missing) {
    if (!existsSync(entry.file)) {
      console.error(`apt-get installed ${entry.pkg}, but ${entry.file} still does not exist.`);
      process.exit(1);
    }
  }
}

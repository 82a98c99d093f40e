// Runs before the test suite: the browser tests and PDF reports drive Debian's `chromium`.
// When it is missing and this process may install packages (root with apt-get), it installs
// the package; otherwise it says what to install and fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const executable = process.env.CLOUDCASE_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executable)) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(
      `No Chromium at ${executable}. Install it with \`sudo apt-get install -y chromium\` ` +
        '(or set CLOUDCASE_CHROMIUM to a Chromium binary), then run the tests again.',
    );
    process.exit(1);
  }
  console.error('Installing Debian chromium for the browser tests (apt-get install chromium)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (run.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed with exit code ${run.status}`);
      process.exit(1);
    }
  }
  if (!existsSync(executable)) {
    console.error(`apt-get installed chromium, but ${executable} still does not exist.`);
    process.exit(1);
  }
}

#!/usr/bin/env node
// `pnpm test`: builds, makes sure the browser the WebChat tests drive is present (Debian chromium,
// installed with apt when missing and we are allowed to), then runs every vitest suite.
// Extra arguments go to vitest (e.g. `pnpm test test/gateway`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;

if (run(process.execPath, [join(root, 'scripts', 'build.mjs')]) !== 0) process.exit(1);

if (!existsSync('/usr/bin/chromium') && process.env.SWITCHBOARD_SKIP_APT !== '1') {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  console.error('test: installing Debian chromium for the WebChat browser tests (apt-get)…');
  const [cmd, ...args] = [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', 'chromium'];
  if (run(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) !== 0) {
    console.error('test: could not install chromium; the WebChat browser tests will fail. Install it with: sudo apt-get install chromium');
  }
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
process.exit(run(process.execPath, [vitest, 'run', ...process.argv.slice(2)]));

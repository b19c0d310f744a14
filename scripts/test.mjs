#!/usr/bin/env node
// `pnpm test`: builds, makes sure the system packages the suites need are present (Debian chromium
// for the WebChat, python3-websockets and python3-cryptography for the Python node; installed with
// apt when missing and we are allowed to), then runs every vitest suite.
// Extra arguments go to vitest (e.g. `pnpm test test/gateway`).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;

if (run(process.execPath, [join(root, 'scripts', 'build.mjs')]) !== 0) process.exit(1);

if (process.env.SWITCHBOARD_SKIP_APT !== '1' && run('bash', [join(root, 'scripts', 'system-deps.sh')]) !== 0) {
  console.error('test: some system packages are missing; the browser and Python node tests will fail (see above).');
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
process.exit(run(process.execPath, [vitest, 'run', ...process.argv.slice(2)]));

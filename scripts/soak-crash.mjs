#!/usr/bin/env node
// `pnpm soak:crash [cycles]`: the kill -9 crash test with hundreds of cycles (default 500) instead
// of the 50 that `pnpm test` runs. Builds first: the test drives the real daemon from gateway/dist.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cycles = process.argv[2] ?? process.env.SWITCHBOARD_CRASH_CYCLES ?? '500';
if (!/^[1-9][0-9]*$/.test(cycles)) {
  console.error(`soak:crash: the cycle count must be a positive integer, got "${cycles}"`);
  process.exit(2);
}
const run = (args, env = {}) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
if (run([join(root, 'scripts', 'build.mjs')]) !== 0) process.exit(1);
// About a second per cycle on two cores; the test's own timeout grows with the count.
process.exit(run([join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/gateway/crash.test.ts', '--testTimeout', String(60_000 + Number(cycles) * 3_000)],
  { SWITCHBOARD_CRASH_CYCLES: cycles }));

#!/usr/bin/env node
// Builds every package: TypeScript project references (incremental, a no-op when nothing changed),
// then the browser bundle of the WebChat. Run by `pnpm install` (postinstall), `pnpm start`, `pnpm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(process.execPath, [tsc, '-b']);
const webchatBuild = join(root, 'clients', 'webchat', 'build.mjs');
if (existsSync(webchatBuild)) run(process.execPath, [webchatBuild]);

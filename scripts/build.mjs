#!/usr/bin/env node
// Builds every package: TypeScript project references (incremental, a no-op when nothing changed),
// the validators compiled ahead of time, the daemon's single-file bundle, then the browser bundle of
// the WebChat. Run by `pnpm install` (postinstall), `pnpm start`, `pnpm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Newest modification time of the .js files directly in `dir` (0 when there are none). */
function newestJs(dir, except) {
  let newest = 0;
  for (const f of readdirSync(dir)) if (f.endsWith('.js') && f !== except) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  return newest;
}

run(process.execPath, [tsc, '-b']);

// Validators compiled ahead of time (protocol/src/precompile.ts); rewritten when the protocol's
// compiled output is newer, so an unchanged protocol costs nothing here.
const protocolDist = join(root, 'protocol', 'dist');
const precompiled = join(protocolDist, 'precompiled-validators.js');
if (!existsSync(precompiled) || statSync(precompiled).mtimeMs < newestJs(protocolDist, 'precompiled-validators.js')) {
  const { writePrecompiledModule } = await import(pathToFileURL(join(protocolDist, 'precompile.js')).href);
  writePrecompiledModule(precompiled);
}

run(process.execPath, [join(root, 'gateway', 'bundle.mjs')]);
const webchatBuild = join(root, 'clients', 'webchat', 'build.mjs');
if (existsSync(webchatBuild)) run(process.execPath, [webchatBuild]);

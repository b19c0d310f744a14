#!/usr/bin/env node
// Bundles the WebChat for the browser (esbuild) into dist/, next to its static files.
// The gateway serves dist/ at `/`. Nothing secret is ever written here.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  conditions: ['source'],
  minify: true,
  sourcemap: true,
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'none',
});
for (const f of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', f), join(out, f));

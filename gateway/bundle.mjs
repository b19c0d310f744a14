#!/usr/bin/env node
// Bundles the daemon's start-up path: gateway/dist/daemon.js (what dist/main.js and `switchboard
// gateway run` import) from tsc's output of src/run.ts, with a source map that leads back to the
// TypeScript sources. Loading one file instead of some 450 (TypeBox alone is 266 ES modules) is
// most of what makes the daemon start in well under half a second.
//
// What stays outside the start-up file:
// - native code, loaded from node_modules: better-sqlite3 (a .node addon), ws's optional
//   bufferutil/utf-8-validate;
// - packages imported with `import()` (pino-pretty on a TTY; channel libraries such as grammy,
//   discord.js and Baileys), loaded from node_modules only when that code runs, and those channel
//   libraries by name wherever they are imported;
// - modules of ours imported with `import('./x.js')`: code splitting puts each in a chunk under
//   dist/chunks/ that loads when it is imported, together with the packages it imports statically.
//   Code both sides use sits in a shared chunk, so every module still exists once per process.
// Run by scripts/build.mjs after `tsc -b`; `node gateway/bundle.mjs` alone rebuilds it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Never bundled: native addons and optional, heavy or platform libraries. */
export const EXTERNAL = [
  'better-sqlite3',
  'bufferutil',
  'utf-8-validate',
  'pino-pretty',
  'grammy',
  '@grammyjs/*',
  'discord.js',
  '@discordjs/*',
  '@whiskeysockets/baileys',
  '*.node',
];

/** Keeps every dynamic `import('package')` a run-time import: such libraries load only when used. */
const dynamicPackagesStayExternal = {
  name: 'dynamic-packages-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};

/**
 * The esbuild options of the daemon bundle: `entry` (default dist/run.js) becomes `<outdir>/daemon.js`
 * (default dist/), lazily imported modules `<outdir>/chunks/*.js`. Tests bundle a fixture with them.
 */
export function daemonBundleOptions({ entry = join(here, 'dist', 'run.js'), outdir = join(here, 'dist') } = {}) {
  return {
    entryPoints: { daemon: entry },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // tsc's source maps are followed, so the map points at src/*.ts (run with --enable-source-maps).
    sourcemap: 'linked',
    // Class and function names survive (error types in logs come from constructor names).
    keepNames: true,
    external: EXTERNAL,
    plugins: [dynamicPackagesStayExternal],
    // Bundled CommonJS libraries call require() for Node's built-in modules.
    banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  };
}

/** Writes the bundle (see {@link daemonBundleOptions}), replacing the chunks of an earlier build. */
export async function bundleDaemon(options = {}) {
  const opts = daemonBundleOptions(options);
  // Chunk names carry a content hash: drop the previous build's.
  rmSync(join(opts.outdir, 'chunks'), { recursive: true, force: true });
  await build(opts);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundleDaemon();

#!/usr/bin/env node
// `pnpm bench [--quick] [--referee] [--only id,id] [--out DIR]`: runs every registered case against
// the gateway (built dist) and the bare-ws limit in the same run, then writes a markdown table and
// a JSON file under bench/results/ (latest.* for full runs, quick.* for --quick).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCases } from './cases/index.js';
import { FULL_TIMING, QUICK_TIMING } from './cases/types.js';
import { runCases } from './harness.js';
import { machineInfo } from './proc.js';
import { renderMarkdown, type BenchResults } from './report.js';
import { benchPaths, stopAllServers } from './servers.js';

const USAGE = 'usage: pnpm bench [--quick] [--referee] [--only case,case] [--out DIR]';
/** Nothing runs longer than this, whatever happens. */
const RUN_LIMIT_MS = 45 * 60_000;

interface Args {
  quick: boolean;
  referee: boolean;
  only?: string[];
  out: string;
}

function parseArgs(argv: string[], repoRoot: string): Args {
  const args: Args = { quick: false, referee: false, out: join(repoRoot, 'bench', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--referee') args.referee = true;
    else if (a === '--only' && argv[i + 1]) args.only = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--out' && argv[i + 1]) args.out = resolve(argv[++i]);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  return args;
}

async function main(): Promise<number> {
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const args = parseArgs(process.argv.slice(2), repoRoot);
  const paths = benchPaths(repoRoot);
  const cases = args.only ? benchCases.filter((c) => args.only!.includes(c.id)) : benchCases;
  const unknown = (args.only ?? []).filter((id) => !benchCases.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown case ${unknown.join(', ')}; cases: ${benchCases.map((c) => c.id).join(', ')}`);
  const timing = args.quick ? QUICK_TIMING : FULL_TIMING;
  const machine = machineInfo(repoRoot);
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  log(`${cases.length} cases, ${args.quick ? 'quick' : 'full'} timing${args.referee ? ', with the gateway-load.mjs referee' : ''}`);
  const t0 = performance.now();
  const results: BenchResults = {
    tool: 'switchboard pnpm bench',
    quick: args.quick,
    referee: args.referee,
    machine,
    timing,
    durationSeconds: 0,
    loadAverageAtEnd: [],
    cases: await runCases(cases, { timing, paths, referee: args.referee, log }),
  };
  results.durationSeconds = Math.round((performance.now() - t0) / 100) / 10;
  results.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const base = join(args.out, args.quick ? 'quick' : 'latest');
  mkdirSync(args.out, { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  writeFileSync(`${base}.md`, markdown);
  process.stdout.write(markdown);
  log(`wrote ${base}.md and ${base}.json`);
  return 0;
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: still running after ${RUN_LIMIT_MS / 60_000} min; stopping\n`);
  void stopAllServers().finally(() => process.exit(3));
}, RUN_LIMIT_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAllServers().finally(() => process.exit(130)));
}

main().then((code) => {
  clearTimeout(watchdog);
  process.exit(code);
}, (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  void stopAllServers().finally(() => process.exit(1));
});

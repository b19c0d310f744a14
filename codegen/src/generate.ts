#!/usr/bin/env node
// `pnpm codegen` (writes) and `pnpm codegen:check` (`--check`: regenerates in memory, exits 1 naming
// every stale file). `--root DIR` works on another checkout (tests use a copy). Exit 2: cannot generate.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateArtifacts, readProtocolDoc, staleArtifacts, writeArtifacts } from './artifacts.js';
import { protocolInput } from './input.js';

interface Args {
  check: boolean;
  root: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { check: false, root: fileURLToPath(new URL('../..', import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--root' && argv[i + 1]) args.root = resolve(argv[++i]);
    else throw new Error(`unknown argument "${argv[i]}"; use --check and/or --root DIR`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const artifacts = await generateArtifacts(protocolInput(), readProtocolDoc(args.root));
  if (args.check) {
    const stale = staleArtifacts(args.root, artifacts);
    if (stale.length === 0) {
      console.log(`codegen: ${artifacts.length} generated files are up to date`);
      return 0;
    }
    console.error(`codegen: stale generated files — run \`pnpm codegen\` and commit the result:\n${stale.map((s) => `  ${s}`).join('\n')}`);
    return 1;
  }
  const written = writeArtifacts(args.root, artifacts);
  console.log(written.length ? `codegen: wrote ${written.join(', ')}` : 'codegen: everything was up to date');
  const leftovers = staleArtifacts(args.root, artifacts);
  if (leftovers.length) console.error(`codegen: remove files that are no longer generated:\n${leftovers.map((s) => `  ${s}`).join('\n')}`);
  return leftovers.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`codegen: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});

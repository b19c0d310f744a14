// The daemon bundle (gateway/bundle.mjs) loads heavy and optional libraries only when they are used:
// channel libraries and `import()`ed packages never become start-up imports, lazily imported modules
// of ours become chunks that bring their own imports along, and shared code still exists once.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleDaemon } from '../../gateway/bundle.mjs';

const root = join(import.meta.dirname, '..', '..');
const work = join(root, 'test', 'artifacts', 'bundle-fixture');

/** `import … from "x"` / `import "x"` at the top level of an output file (not `import("x")`). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["'];?$/gm)].map((m) => m[1]);
}

const FIXTURE: Record<string, string> = {
  'entry.js': `import { shared } from './shared.js';
export const ready = shared('entry');
export async function startChannel(kind) {
  if (kind === 'telegram') return (await import('grammy')).Bot;
  return (await import('./adapter.js')).adapter;
}`,
  'shared.js': `export const instances = [];
export function shared(name) { instances.push(name); return instances; }`,
  'adapter.js': `import { Client } from 'discord.js';
import makeWASocket from '@whiskeysockets/baileys';
import { shared } from './shared.js';
export const adapter = { Client, makeWASocket, instances: shared('adapter') };`,
};

describe('daemon bundle', () => {
  it('keeps channel libraries and import()ed packages out of the start-up file', async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'src'), { recursive: true });
    for (const [name, text] of Object.entries(FIXTURE)) writeFileSync(join(work, 'src', name), text);
    const out = join(work, 'out');
    // None of these libraries is installed here: bundling them would fail to resolve.
    await bundleDaemon({ entry: join(work, 'src', 'entry.js'), outdir: out });

    const main = readFileSync(join(out, 'daemon.js'), 'utf8');
    const chunks = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(out, 'chunks', f), 'utf8'));
    expect(staticImports(main).filter((s) => !s.startsWith('node:') && !s.startsWith('./'))).toEqual([]);
    expect(main).toContain('import("grammy")');
    const adapterChunk = chunks.find((c) => c.includes('discord.js'));
    expect(adapterChunk, 'the lazily imported adapter is a chunk').toBeDefined();
    expect(staticImports(adapterChunk!)).toEqual(expect.arrayContaining(['discord.js', '@whiskeysockets/baileys']));
    // shared.js exists once, in the start-up file or a shared chunk, never copied into both.
    expect([main, ...chunks].join('\n').match(/instances\.push/g)).toHaveLength(1);

    // It starts without any of the libraries installed: nothing is loaded until a channel asks.
    const mod = await import(pathToFileURL(join(out, 'daemon.js')).href);
    expect(mod.ready).toEqual(['entry']);
    await expect(mod.startChannel('telegram')).rejects.toThrow(/grammy/);
  });

  it('the built daemon imports only Node built-ins and better-sqlite3 at start-up (pnpm build ran)', () => {
    const dist = join(root, 'gateway', 'dist');
    const main = readFileSync(join(dist, 'daemon.js'), 'utf8');
    const builtins = new Set(builtinModules);
    const foreign = staticImports(main).filter((s) => !s.startsWith('./') && !s.startsWith('node:') && !builtins.has(s));
    expect([...new Set(foreign)], 'a package imported at start-up; import() it where it is needed').toEqual(['better-sqlite3']);
  });
});

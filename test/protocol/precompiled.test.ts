// Validators compiled ahead of time (protocol/src/precompile.ts) are the ones the table compiles to
// at boot: the build's module is fresh, its functions decide and explain exactly like ajv.compile,
// and an entry whose schema changed since the build is compiled again instead of reused.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { precompiledModuleSource } from '../../protocol/src/precompile.js';
import {
  compileValidators,
  createAjv,
  defaultEntries,
  loadPrecompiledValidators,
  type PrecompiledValidators,
} from '@switchboard/protocol/validators';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts', 'precompiled');

/** A valid value of `schema` where TypeBox can make one, and variations that break it in many ways. */
function samples(schema: TSchema): unknown[] {
  const out: unknown[] = [null, 'text', 42, [], {}, { unexpected: true }];
  let valid: unknown;
  try {
    valid = Value.Create(schema);
  } catch {
    return out;
  }
  out.push(valid);
  if (valid && typeof valid === 'object' && !Array.isArray(valid)) {
    const base = valid as Record<string, unknown>;
    out.push({ ...base, unexpected: 1 });
    for (const key of Object.keys(base)) {
      const { [key]: _dropped, ...without } = base;
      out.push(without);
      for (const wrong of ['', 'x'.repeat(5000), -1, 1.5, true, null, [], {}, ['a'], 'é'.repeat(70)]) out.push({ ...base, [key]: wrong });
    }
  }
  return out;
}

async function importFresh(): Promise<PrecompiledValidators> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `validators-${process.pid}.mjs`);
  writeFileSync(file, precompiledModuleSource());
  return ((await import(pathToFileURL(file).href)) as { precompiledValidators: PrecompiledValidators }).precompiledValidators;
}

describe('validators compiled ahead of time', () => {
  it('the build wrote them from the current tables (pnpm build ran)', async () => {
    const load = await loadPrecompiledValidators();
    expect(load.problem).toBeUndefined();
    expect(load.table, 'no precompiled validators: run pnpm build').toBeDefined();
    const v = compileValidators({ precompiled: load.table });
    expect(v.report.compiled, 'these schemas changed since the last pnpm build').toEqual([]);
    expect(v.report.reused).toBe(defaultEntries().length);
  });

  it('decide and explain every sample exactly like ajv.compile', async () => {
    const table = await importFresh();
    const ajv = createAjv();
    let checked = 0;
    for (const [entry, schema] of defaultEntries()) {
      const compiled = ajv.compile(schema);
      const ahead = table[entry].validate;
      for (const value of samples(schema)) {
        const a = compiled(value);
        const b = ahead(value);
        expect(b, `${entry}: ${JSON.stringify(value)?.slice(0, 120)}`).toBe(a);
        expect(JSON.stringify(ahead.errors ?? null), entry).toBe(JSON.stringify(compiled.errors ?? null));
        checked++;
      }
    }
    // Not a vacuous loop: every entry was exercised, many with a valid value and its variations.
    expect(checked).toBeGreaterThan(defaultEntries().length * 10);
  });

  it('compiles an entry again when its schema is not the one the code was built from', async () => {
    const table = await importFresh();
    const stale = { ...table, 'health params': { ...table['health params'], fingerprint: 'built-from-an-older-schema' } };
    const v = compileValidators({ precompiled: stale });
    expect(v.report.compiled).toEqual(['health params']);
    expect(v.report.reused).toBe(defaultEntries().length - 1);
    expect(v.params.get('health')).not.toBe(table['health params'].validate);
    expect(v.params.get('status')).toBe(table['status params'].validate);
  });

  it('compiles everything when there is no precompiled set', () => {
    const v = compileValidators();
    expect(v.report.reused).toBe(0);
    expect([...v.report.compiled].sort()).toEqual(defaultEntries().map(([entry]) => entry).sort());
  });
});

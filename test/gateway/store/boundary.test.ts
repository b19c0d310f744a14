// The Store interface is the only way the gateway reaches persistent state (issue 4: a server
// database could stand behind it later). Outside gateway/src/store/, no source file may open SQLite,
// import the store's database module, or reach for a store's raw handle — except the few that work
// on files rather than state, each named here with its reason (and saying so in a comment).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', 'gateway', 'src');

/** Files allowed to use better-sqlite3 directly, and why. */
const FILE_LEVEL_EXCEPTIONS: Record<string, string> = {
  'backup/create.ts': 'copies the database file with the SQLite backup API and checks the copy',
  'backup/restore.ts': 'verifies a backed-up database file and folds the WAL before swapping files',
  'instance-lock.ts': 'SQLite only as an OS lock on gateway.lock; no state',
  'channels/token-lock.ts': 'SQLite only as an OS lock on a token lock file; no state',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'store' && dir === root ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** What a file does that bypasses the Store interface. */
function bypasses(file: string, text: string): string[] {
  const found: string[] = [];
  // `export … from` re-exports in index.ts are the package surface, not a use.
  const imports = text.split('\n').filter((line) => /^\s*import\b/.test(line) || /^\s*}\s*from\b/.test(line));
  if (imports.some((l) => l.includes("'better-sqlite3'")) && !(file in FILE_LEVEL_EXCEPTIONS)) found.push('imports better-sqlite3');
  if (imports.some((l) => /store\/database\.js'/.test(l))) found.push('imports store/database.js');
  if (/\bstore\.db\b|\)\.db\b|\bdeps\.db\b/.test(text)) found.push('reaches for a raw database handle (.db)');
  if (/\bwithDurableCommit\b/.test(text)) found.push('calls withDurableCommit (use store.commit or store.commitSync)');
  return found;
}

describe('the store boundary', () => {
  it('nothing outside gateway/src/store/ touches SQLite except the named file-level exceptions', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .map((path) => ({ file: relative(root, path), problems: bypasses(relative(root, path), readFileSync(path, 'utf8')) }))
      .filter((f) => f.problems.length > 0);
    expect(offenders).toEqual([]);
  });

  it('every exception still exists and says in a comment why it stays outside the Store', () => {
    for (const file of Object.keys(FILE_LEVEL_EXCEPTIONS)) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text, file).toContain("from 'better-sqlite3'");
      expect(text, file).toMatch(/\/\/ .*(Store|store\/)/);
    }
  });
});

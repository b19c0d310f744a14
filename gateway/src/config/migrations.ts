/**
 * Config file migrations. They run on the parsed YAML document *before* validation (an upgrade never
 * fails on a key the new version renamed), edit it in place so comments survive, and never drop a
 * value silently: what they cannot place is kept where it is (and then reported as unknown).
 *
 * Version 0 is a file without `version`: the flat layout of early builds
 * (`port`, `bind`, `token`, `password`, `auth`, `logLevel`, `trustedProxies`, `allowedOrigins`).
 */
import { isMap, isScalar, type Document, type YAMLMap } from 'yaml';
import { CONFIG_VERSION } from './schema.js';

/** One step from config version `from` to `to`. */
export interface ConfigMigration {
  readonly from: number;
  readonly to: number;
  /** One line for the log: what changed. */
  readonly summary: string;
  up(doc: Document): void;
}

/**
 * Moves `from` (top level) to `to` (a path) unless the target is already set. A comment above the
 * moved key goes with it (or to the top of the file when the key was the file's first).
 */
function move(doc: Document, from: string, to: string[]): void {
  if (!doc.has(from) || doc.hasIn(to)) return;
  const root = doc.contents as YAMLMap;
  const index = root.items.findIndex((p) => isScalar(p.key) && p.key.value === from);
  const key = root.items[index]?.key;
  const comment = isScalar(key) ? key.commentBefore : undefined;
  const node = doc.get(from, true);
  doc.delete(from);
  doc.setIn(to, node);
  if (!comment) return;
  if (index === 0) {
    doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n${comment}` : comment;
    return;
  }
  const parent = doc.getIn(to.slice(0, -1), true) as YAMLMap | undefined;
  const target = parent?.items.find((p) => isScalar(p.key) && p.key.value === to[to.length - 1]);
  if (target && isScalar(target.key)) target.key.commentBefore = comment;
}

/** Sets `version` as the file's first key. */
function setVersion(doc: Document, version: number): void {
  if (doc.has('version')) return void doc.set('version', version);
  (doc.contents as YAMLMap).items.unshift(doc.createPair('version', version));
}

/** Every config migration, oldest first. */
export const configMigrations: readonly ConfigMigration[] = [
  {
    from: 0,
    to: 1,
    summary: 'flat keys moved under gateway:, log: (port, bind, token, password, auth, logLevel, trustedProxies, allowedOrigins)',
    up(doc) {
      move(doc, 'port', ['gateway', 'port']);
      move(doc, 'bind', ['gateway', 'bind']);
      if (doc.has('auth') && !isMap(doc.get('auth', true))) move(doc, 'auth', ['gateway', 'auth', 'mode']);
      move(doc, 'token', ['gateway', 'auth', 'token']);
      move(doc, 'password', ['gateway', 'auth', 'password']);
      move(doc, 'trustedProxies', ['gateway', 'trustedProxies']);
      move(doc, 'allowedOrigins', ['gateway', 'allowedOrigins']);
      move(doc, 'logLevel', ['log', 'level']);
      setVersion(doc, 1);
    },
  },
];

/** The version a document declares (0 when it has none). */
export function documentVersion(doc: Document): number {
  const v = doc.get('version');
  return v === undefined || v === null ? 0 : Number(v);
}

/**
 * Runs every migration from the document's version up to {@link CONFIG_VERSION}. Returns the
 * summaries of what ran (empty when the file was current). Throws when no migration path exists.
 */
export function migrateDocument(doc: Document, list: readonly ConfigMigration[] = configMigrations): string[] {
  const applied: string[] = [];
  // A file with only comments has no mapping yet.
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  let version = documentVersion(doc);
  while (version < CONFIG_VERSION) {
    const step = list.find((m) => m.from === version);
    if (!step) throw new Error(`no migration from config version ${version}; set "version: ${CONFIG_VERSION}" and check the file against docs`);
    step.up(doc);
    applied.push(`v${step.from} → v${step.to}: ${step.summary}`);
    version = step.to;
  }
  return applied;
}

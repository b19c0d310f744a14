/**
 * Config file migrations. They run on the parsed YAML document *before* validation (an upgrade never
 * fails on a key the new version renamed), edit it in place so comments survive, and never drop a
 * value silently: what they cannot place is kept where it is (and then reported as unknown).
 *
 * Version 0 is a file without `version`: the flat layout of early builds
 * (`port`, `bind`, `token`, `password`, `auth`, `logLevel`, `trustedProxies`, `allowedOrigins`).
 */
import { isMap, type Document } from 'yaml';
import { CONFIG_VERSION } from './schema.js';

export interface ConfigMigration {
  readonly from: number;
  readonly to: number;
  /** One line for the log: what changed. */
  readonly summary: string;
  up(doc: Document): void;
}

/** Moves `from` (top level) to `to` (a path) unless the target is already set. */
function move(doc: Document, from: string, to: string[]): void {
  if (!doc.has(from) || doc.hasIn(to)) return;
  const node = doc.get(from, true);
  doc.delete(from);
  doc.setIn(to, node);
}

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
      doc.set('version', 1);
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
